import type { PoolClient, Queryable } from '../../db/pool.js';
import type { PageMarks } from '../../store/reconcile-runs.js';
import type { InboundHooks } from '../inbound/apply-field.js';
import { type CrmProperty, sameValue } from '../../domain/crm-catalogue.js';
import type { ReconcileObjectType } from './catalogue.js';
import type { DriftReport } from './report.js';

/**
 * What one page's comparison needs. It reads through `db` (outside any transaction: a page without
 * drift then costs one read and one write) and returns its repairs as work for the transaction
 * that also commits the page.
 */
export interface PageContext {
  db: Queryable;
  runId: string;
  /** Full runs mark the rows they see (and sweep the rest); incremental runs do not. */
  mode: 'full' | 'incremental';
  /** Report only: nothing is repaired. */
  dryRun: boolean;
  report: DriftReport;
  hooks: InboundHooks;
  /** Types this run has listed completely already, so a target row it did not mark is gone from HubSpot. */
  listed: ReadonlySet<ReconcileObjectType>;
  startedAt: Date;
}

/** What a compared page leaves to do: its marks (full runs) and, when something differs and the run is not dry, its repairs. */
export interface PageWork {
  marks: PageMarks | null;
  repair: ((tx: PoolClient) => Promise<void>) | null;
}

/** A HubSpot value and WARP's (or the cache's) are the same: equal in their canonical form, or both empty. */
export function sameAs(property: CrmProperty, hubspotRaw: string | null | undefined, ours: string | number | boolean | null): boolean {
  const raw = hubspotRaw ?? '';
  const mine = ours === null ? null : String(ours);
  if (raw === '' && (mine === null || mine === '')) return true;
  const parsed = property.parse(raw);
  return parsed !== undefined && sameValue(property, parsed, mine);
}
