import escapeHtml from 'escape-html';

/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is already
 * `Html` (a fragment built the same way), so a company named `<script>` is text everywhere.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const render = (part: Part): string => {
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  if (part === null || part === undefined || part === false) return '';
  return escapeHtml(String(part));
};

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0] ?? '';
  parts.forEach((part, i) => {
    out += render(part) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Times as operators read them: UTC, to the second. */
export const time = (at: Date | null | undefined): Html =>
  at ? html`<time datetime="${at.toISOString()}">${at.toISOString().replace('T', ' ').slice(0, 19)}</time>` : html`<span class="muted">never</span>`;

/** A duration in the largest unit that keeps it readable. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** A query string from the filters that are set (links keep the filters in the URL). */
export function queryString(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A gauge of use against a limit, with its figures as text (the bar alone says nothing to a screen reader). */
export function meter(label: string, used: number, limit: number | null): Html {
  if (!limit) return html`<div class="meter"><span>${label}: ${used}</span></div>`;
  const share = Math.min(1, used / limit);
  const level = share >= 0.9 ? 'bad' : share >= 0.7 ? 'warn' : 'ok';
  return html`<div class="meter"><span>${label}: ${used} of ${limit} (${Math.round(share * 100)} %)</span>
<progress class="${level}" max="${limit}" value="${Math.min(used, limit)}" aria-label="${label}">${Math.round(share * 100)} %</progress></div>`;
}
