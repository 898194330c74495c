import type { RateLimits } from '../../hubspot/rate-budget.js';
import { RECONCILE_CATALOGUE, type ReconcileObjectType } from './catalogue.js';

/**
 * The drift report of a run: per object type and field, how many records differ and what was
 * done about them (in a dry run: what would be done). It is JSON, kept with the run, shown by the
 * status API and the CLI.
 */

export interface ObjectReport {
  /** Records HubSpot listed (full) or search returned (incremental). */
  read: number;
  /** Records with at least one field that differs. */
  changed: number;
  /** HubSpot records the cache did not have (a missed creation). */
  created: number;
  /** Gone from HubSpot: cache rows deleted there, or WARP records missing there. */
  deleted: number;
  /** Cache rows whose record was merged into another in HubSpot. */
  merged: number;
  /** In HubSpot, unknown to WARP (reported, never deleted automatically). */
  unknown: number;
  /** Records that failed validation: reported and skipped. */
  invalid: number;
  /** Per HubSpot property: records where it differs. */
  fields: Record<string, number>;
  /** What was (or would be) done, and how often. */
  actions: Record<string, number>;
  /** A few examples of invalid and unknown records, for a person to look at (ids and reasons, never values). */
  samples: Array<{ id: string | null; problem: string }>;
}

export interface AssociationReport {
  /** Records whose associations were read. */
  compared: number;
  /** Records whose association differs on its own account. */
  differing: number;
  /** Differences that follow from a deleted, merged or missing record (repaired, not counted as drift). */
  consequential: number;
  actions: Record<string, number>;
}

export interface DriftReport {
  objects: Partial<Record<ReconcileObjectType, ObjectReport>>;
  associations: Record<string, AssociationReport>;
}

const MAX_SAMPLES = 20;

export const emptyObjectReport = (): ObjectReport => ({
  read: 0, changed: 0, created: 0, deleted: 0, merged: 0, unknown: 0, invalid: 0, fields: {}, actions: {}, samples: [],
});
export const emptyAssociationReport = (): AssociationReport => ({ compared: 0, differing: 0, consequential: 0, actions: {} });

export function objectReport(report: DriftReport, objectType: ReconcileObjectType): ObjectReport {
  return (report.objects[objectType] ??= emptyObjectReport());
}

export function associationReport(report: DriftReport, pair: string): AssociationReport {
  return (report.associations[pair] ??= emptyAssociationReport());
}

export function count(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

export function sample(report: ObjectReport, id: string | null, problem: string): void {
  if (report.samples.length < MAX_SAMPLES) report.samples.push({ id, problem });
}

/** Adds a page's report to the run's. */
export function mergeReport(into: DriftReport, page: DriftReport): void {
  const add = (to: Record<string, number>, from: Record<string, number>) => {
    for (const [key, n] of Object.entries(from)) count(to, key, n);
  };
  for (const [type, o] of Object.entries(page.objects) as Array<[ReconcileObjectType, ObjectReport]>) {
    const target = objectReport(into, type);
    for (const key of ['read', 'changed', 'created', 'deleted', 'merged', 'unknown', 'invalid'] as const) target[key] += o[key];
    add(target.fields, o.fields);
    add(target.actions, o.actions);
    for (const s of o.samples) sample(target, s.id, s.problem);
  }
  for (const [pair, a] of Object.entries(page.associations)) {
    const target = associationReport(into, pair);
    target.compared += a.compared;
    target.differing += a.differing;
    target.consequential += a.consequential;
    add(target.actions, a.actions);
  }
}

/** Everything found that differs, of every kind (the benchmark compares it with what it injected). */
export function driftFound(report: DriftReport): number {
  let total = 0;
  for (const o of Object.values(report.objects)) total += o.changed + o.created + o.deleted + o.merged + o.unknown;
  for (const a of Object.values(report.associations)) total += a.differing;
  return total;
}

export interface RunProgress {
  /** HubSpot requests made so far. */
  requests: number;
  /** Requests a whole run is expected to take (list pages of 100). */
  expectedRequests: number;
  /** 0..1 */
  fraction: number;
  /** Time left at the configured burst limit; null when nothing is known yet. */
  etaMs: number | null;
}

/**
 * Progress and ETA from the rate budget: the run is bound by the burst limit, so time left is
 * requests left / rate. A full run reads list pages of 100 that carry the associations it compares
 * (no separate association reads); a finished run is at 100 %, whatever the estimate said.
 */
export function runProgress(
  run: { mode: string; status?: string; requests: number; estimate: Record<string, number> },
  limits: Pick<RateLimits, 'burstLimit' | 'burstWindowMs'>,
): RunProgress {
  const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
  let expected = 0;
  if (run.mode === 'full') {
    for (const entry of RECONCILE_CATALOGUE) {
      const n = run.estimate[entry.objectType];
      if (n !== undefined) expected += pages(n, 100);
    }
  }
  expected = run.status === 'succeeded' ? run.requests : Math.max(expected, run.requests);
  const perMs = limits.burstLimit / limits.burstWindowMs;
  const left = Math.max(0, expected - run.requests);
  return { requests: run.requests, expectedRequests: expected, fraction: expected === 0 ? (run.status === 'succeeded' ? 1 : 0) : run.requests / expected, etaMs: expected === 0 ? null : Math.round(left / perMs) };
}

/** `[##########----------]  52 %  2,540 / 4,950 requests  ETA 1m 12s` */
export function progressLine(progress: RunProgress, width = 30): string {
  const filled = Math.round(Math.min(1, progress.fraction) * width);
  const eta = progress.etaMs === null ? '?' : formatDuration(progress.etaMs);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(progress.fraction * 100)).padStart(3)} %  ${progress.requests.toLocaleString('en-US')} / ${progress.expectedRequests.toLocaleString('en-US')} requests  ETA ${eta}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

const FIELD_ACTION = { hubspot: 'apply HubSpot value to the cache', warp: 'write WARP value back to HubSpot' } as const;

/** The report as text: per object type its counts, per field how many records differ and what is done. */
export function renderReport(report: DriftReport, dryRun: boolean): string[] {
  const lines: string[] = [];
  const verb = dryRun ? 'would ' : '';
  for (const entry of RECONCILE_CATALOGUE) {
    const o = report.objects?.[entry.objectType];
    if (!o) continue;
    lines.push(`${entry.plural}: read ${o.read}, changed ${o.changed}, created ${o.created}, deleted ${o.deleted}, merged ${o.merged}, unknown ${o.unknown}, invalid ${o.invalid}`);
    for (const [field, n] of Object.entries(o.fields).sort()) {
      const owner = entry.properties.find((p) => p.name === field)?.owner ?? 'hubspot';
      lines.push(`  ${field.padEnd(28)} ${String(n).padStart(8)} records  → ${verb}${FIELD_ACTION[owner]}`);
    }
    for (const [action, n] of Object.entries(o.actions).sort()) lines.push(`  ${`(${action})`.padEnd(28)} ${String(n).padStart(8)}`);
    for (const s of o.samples) lines.push(`  ! ${s.id ?? '(no id)'}: ${s.problem}`);
  }
  for (const [pair, a] of Object.entries(report.associations ?? {})) {
    const actions = Object.entries(a.actions).map(([k, n]) => `${verb}${k} ${n}`).join(', ');
    lines.push(`${pair}: compared ${a.compared}, differing ${a.differing}, following from other drift ${a.consequential}${actions ? `; ${actions}` : ''}`);
  }
  return lines;
}
