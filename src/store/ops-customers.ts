import type { Queryable } from '../db/pool.js';

/**
 * What the dashboard's customer page reads beyond the WARP account: the cached company row as text
 * (HubSpot's fields as last received), and each field's history from the audit trail and the
 * conflict records (field lineage).
 */

/** Every column of the customer's row, as text; null when no customer has this BAN. */
export async function customerColumns(db: Queryable, ban: string): Promise<Record<string, string | null> | null> {
  const { rows } = await db.query<{ row: Record<string, string | null> }>(
    `SELECT (SELECT jsonb_object_agg(key, value) FROM jsonb_each_text(to_jsonb(c))) AS row FROM customers c WHERE ban = $1`,
    [ban],
  );
  return rows[0]?.row ?? null;
}

export interface LineageEntry {
  at: Date;
  /** Cache column (audit trail) or HubSpot property (conflicts). */
  field: string;
  /** `hubspot` (webhook), `reconcile`, `import`, `fetch`, … or `hubspot-refused` for a conflict. */
  source: string;
  event: string;
  before: string | null;
  after: string | null;
  /** Personal data: the values are not kept, only that it changed. */
  masked: boolean;
}

/** The latest `limit` changes recorded for a company: audit rows per field, and refused HubSpot edits. */
export async function companyLineage(db: Queryable, hubspotCompanyId: string, limit: number): Promise<LineageEntry[]> {
  const [audit, conflicts] = await Promise.all([
    db.query<{ at: Date; source: string; event: string; field: string; change: { before?: string | null; after?: string | null; changed?: true } }>(
      `SELECT a.at, a.source, a.event, f.key AS field, f.value AS change
       FROM (SELECT at, source, event, changes FROM audit_log WHERE entity_type = 'customer' AND entity_id = $1 ORDER BY id DESC LIMIT $2) a,
            jsonb_each(a.changes) f`,
      [hubspotCompanyId, limit],
    ),
    db.query<{ detected_at: Date; property: string; hubspot_value: string | null; warp_value: string | null; resolution: string; hubspot_source: string | null }>(
      `SELECT detected_at, property, hubspot_value, warp_value, resolution, hubspot_source FROM sync_conflicts
       WHERE object_type = 'company' AND object_id = $1 ORDER BY id DESC LIMIT $2`,
      [hubspotCompanyId, limit],
    ),
  ]);
  const entries: LineageEntry[] = [
    ...audit.rows.map((r) => ({
      at: r.at,
      field: r.field,
      source: r.source,
      event: r.event,
      before: r.change.before ?? null,
      after: r.change.after ?? null,
      masked: r.change.changed === true,
    })),
    ...conflicts.rows.map((r) => ({
      at: r.detected_at,
      field: r.property,
      source: 'hubspot-refused',
      event: `${r.resolution}${r.hubspot_source ? ` (${r.hubspot_source})` : ''}`,
      before: r.warp_value,
      after: r.hubspot_value,
      masked: false,
    })),
  ];
  return entries.sort((a, b) => b.at.getTime() - a.at.getTime());
}
