import { html, type Html } from './html.js';

/**
 * A line chart as inline SVG (no script, no library): the shape for the eye, and the same facts
 * as text (latest, peak, period) for screen readers and for anyone who wants the figure.
 */
export function lineChart(label: string, points: ReadonlyArray<{ at: Date; value: number }>, rangeLabel: string, unit: (v: number) => string = String): Html {
  if (points.length === 0) {
    return html`<figure><figcaption>${label}</figcaption><p class="muted">No samples yet over the last ${rangeLabel} (the ops-sample schedule takes one a minute).</p></figure>`;
  }
  const width = 300;
  const height = 80;
  const peak = Math.max(1, ...points.map((p) => p.value));
  const first = points[0]!.at.getTime();
  const span = Math.max(1, points.at(-1)!.at.getTime() - first);
  const coordinates = points
    .map((p) => `${(((p.at.getTime() - first) / span) * width).toFixed(1)},${(height - 2 - (p.value / peak) * (height - 4)).toFixed(1)}`)
    .join(' ');
  const latest = points.at(-1)!.value;
  const summary = `${label}: now ${unit(latest)}, peak ${unit(Math.max(...points.map((p) => p.value)))} over the last ${rangeLabel}`;
  return html`<figure><figcaption>${label}</figcaption>
<svg class="chart" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img" aria-label="${summary}"><title>${summary}</title><polyline points="${coordinates}"/></svg>
<p class="muted">${summary}</p></figure>`;
}
