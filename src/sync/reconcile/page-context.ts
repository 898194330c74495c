import type { PoolClient } from '../../db/pool.js';
import type { InboundHooks } from '../inbound/apply-field.js';
import { type CrmProperty, sameValue } from '../../domain/crm-catalogue.js';
import type { ReconcileObjectType } from './catalogue.js';
import type { DriftReport } from './report.js';

/** What one page's comparison and repair needs; everything it writes goes through `tx`. */
export interface PageContext {
  tx: PoolClient;
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

/** A HubSpot value and WARP's (or the cache's) are the same: equal in their canonical form, or both empty. */
export function sameAs(property: CrmProperty, hubspotRaw: string | null | undefined, ours: string | number | boolean | null): boolean {
  const raw = hubspotRaw ?? '';
  const mine = ours === null ? null : String(ours);
  if (raw === '' && (mine === null || mine === '')) return true;
  const parsed = property.parse(raw);
  return parsed !== undefined && sameValue(property, parsed, mine);
}
