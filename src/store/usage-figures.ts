/**
 * What one usage record adds to the roll-ups, defined once in SQL and used by both the
 * incremental path (signed deltas of a batch) and recompute (current versions read back from the
 * raw tables), so the two cannot disagree. Inputs are the fields usage_record_versions keeps:
 * kind ('c' call, 'm' message), outbound, ok (answered / not failed), billable_seconds, cost.
 * The definitions are in docs/usage.md ("Figures").
 */

export const ADDITIVE_FIGURES = [
  'calls_attempted',
  'calls_completed',
  'outbound_answered',
  'outbound_answered_seconds',
  'billable_seconds',
  'sms_sent',
  'spend',
] as const;
export type AdditiveFigure = (typeof ADDITIVE_FIGURES)[number];

/** SQL for each figure of one record whose columns are prefixed `p` (e.g. `s.`), times `sign`. */
function figureOf(figure: AdditiveFigure, p: string): string {
  const call = `${p}kind = 'c'`;
  switch (figure) {
    case 'calls_attempted':
      return `(${call} AND ${p}outbound)::int`;
    case 'calls_completed':
      return `(${call} AND ${p}ok)::int`;
    case 'outbound_answered':
      return `(${call} AND ${p}outbound AND ${p}ok)::int`;
    case 'outbound_answered_seconds':
      return `CASE WHEN ${call} AND ${p}outbound AND ${p}ok THEN ${p}billable_seconds ELSE 0 END`;
    case 'billable_seconds':
      return `CASE WHEN ${call} THEN ${p}billable_seconds ELSE 0 END`;
    case 'sms_sent':
      return `(${p}kind = 'm' AND ${p}outbound AND ${p}ok)::int`;
    case 'spend':
      return `${p}cost`;
  }
}

/** `sum(sign * figure) AS figure, …` over rows with the record columns and a `sign` column. */
export const summedFigures = (p = '', sign = `${p}sign`): string =>
  ADDITIVE_FIGURES.map((f) => `sum(${sign} * ${figureOf(f, p)}) AS ${f}`).join(',\n  ');

/** `figure = t.figure + excluded.figure, …` for ON CONFLICT DO UPDATE. */
export const addedFigures = (target: string): string => ADDITIVE_FIGURES.map((f) => `${f} = ${target}.${f} + excluded.${f}`).join(', ');

/** True when every figure of the aliased row is zero: a delta that changes nothing. */
export const allZero = (p: string): string => ADDITIVE_FIGURES.map((f) => `${p}${f} = 0`).join(' AND ');

/** True when the figures of two aliased rows differ (recompute writes only real changes). */
export const figuresDiffer = (a: string, b: string): string => ADDITIVE_FIGURES.map((f) => `${a}.${f} IS DISTINCT FROM ${b}.${f}`).join(' OR ');

export const FIGURE_LIST = ADDITIVE_FIGURES.join(', ');

/** `figure = excluded.figure, …`: recompute replaces instead of adding. */
export const replacedFigures = (): string => ADDITIVE_FIGURES.map((f) => `${f} = excluded.${f}`).join(', ');

/** `sum(figure) AS figure, …` over rows that already hold figures. */
export const summedColumns = (): string => ADDITIVE_FIGURES.map((f) => `sum(${f}) AS ${f}`).join(', ');

/** `coalesce(p.figure, 0) AS figure, …` for keys that may have no contributions. */
export const zeroFilled = (p: string): string => ADDITIVE_FIGURES.map((f) => `coalesce(${p}${f}, 0) AS ${f}`).join(', ');
