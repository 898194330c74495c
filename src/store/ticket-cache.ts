import type { Queryable } from '../db/pool.js';

/**
 * The ticket cache (migration 0080): WARP's copy of HubSpot tickets, fed by ticket webhooks
 * (sync/inbound/apply-ticket.ts), by WARP's own ticket writes and by fetches, so WARP knows each
 * customer's open tickets. A ticket is open when its stage's `ticketState` (ticket_stages, read from
 * the portal's pipelines) is OPEN. Each property applies in HubSpot-time order (`versions`).
 */

/** The HubSpot ticket properties the cache keeps, and their columns. */
export const TICKET_CACHE_COLUMNS = {
  subject: 'subject',
  hs_pipeline: 'pipeline',
  hs_pipeline_stage: 'stage',
  hs_ticket_priority: 'priority',
  warp_alert_key: 'alert_key',
  warp_severity: 'severity',
  warp_trunk_id: 'trunk_id',
  warp_issue_type: 'issue_type',
  warp_issue_category: 'issue_category',
} as const;
export type CachedTicketProperty = keyof typeof TICKET_CACHE_COLUMNS;
export const CACHED_TICKET_PROPERTIES = Object.keys(TICKET_CACHE_COLUMNS) as CachedTicketProperty[];
const LIFECYCLE = 'lifecycle';

export interface CachedTicket {
  hubspotId: string;
  customerId: string | null;
  subject: string | null;
  pipeline: string | null;
  stage: string | null;
  /** From the stage's ticketState; null when the stage is unknown (pipelines not read yet). */
  state: 'OPEN' | 'CLOSED' | null;
  priority: string | null;
  alertKey: string | null;
  severity: string | null;
  trunkId: string | null;
  issueType: string | null;
  issueCategory: string | null;
  updatedAt: Date;
}

export function isCachedTicketProperty(name: string): name is CachedTicketProperty {
  return Object.hasOwn(TICKET_CACHE_COLUMNS, name);
}

/** Makes sure a row exists (creation or any first event); returns whether it was new. */
export async function ensureTicket(tx: Queryable, hubspotId: string): Promise<boolean> {
  const { rowCount } = await tx.query('INSERT INTO ticket_cache (hubspot_id) VALUES ($1) ON CONFLICT (hubspot_id) DO NOTHING', [hubspotId]);
  return (rowCount ?? 0) > 0;
}

/** Applies one property change unless a later change of it was applied already. */
export async function applyTicketProperty(tx: Queryable, hubspotId: string, property: CachedTicketProperty, value: string | null, occurredAt: Date): Promise<'applied' | 'stale'> {
  await ensureTicket(tx, hubspotId);
  const column = TICKET_CACHE_COLUMNS[property];
  const { rowCount } = await tx.query(
    `UPDATE ticket_cache SET ${column} = $2, versions = versions || jsonb_build_object($3::text, $4::bigint), updated_at = now()
     WHERE hubspot_id = $1 AND coalesce((versions ->> $3)::bigint, -1) < $4`,
    [hubspotId, value === '' ? null : value, property, occurredAt.getTime()],
  );
  return (rowCount ?? 0) > 0 ? 'applied' : 'stale';
}

/** Deleted (or merged into another ticket), unless restored later. */
export async function markTicketDeleted(tx: Queryable, hubspotId: string, occurredAt: Date, mergedInto: string | null): Promise<'applied' | 'stale'> {
  await ensureTicket(tx, hubspotId);
  const { rowCount } = await tx.query(
    `UPDATE ticket_cache SET deleted_at = $2, merged_into = $3, versions = versions || jsonb_build_object('${LIFECYCLE}', $4::bigint), updated_at = now()
     WHERE hubspot_id = $1 AND coalesce((versions ->> '${LIFECYCLE}')::bigint, -1) < $4`,
    [hubspotId, occurredAt, mergedInto, occurredAt.getTime()],
  );
  return (rowCount ?? 0) > 0 ? 'applied' : 'stale';
}

/** Created or restored: not deleted, and the full record (its company) is to be read. */
export async function markTicketLive(tx: Queryable, hubspotId: string, occurredAt: Date): Promise<'applied' | 'stale'> {
  await ensureTicket(tx, hubspotId);
  const { rowCount } = await tx.query(
    `UPDATE ticket_cache SET deleted_at = NULL, merged_into = NULL, needs_fetch = true, versions = versions || jsonb_build_object('${LIFECYCLE}', $2::bigint), updated_at = now()
     WHERE hubspot_id = $1 AND coalesce((versions ->> '${LIFECYCLE}')::bigint, -1) < $2`,
    [hubspotId, occurredAt.getTime()],
  );
  return (rowCount ?? 0) > 0 ? 'applied' : 'stale';
}

/** A full read of the ticket (WARP's own write, or a fetch): every property at `at`, the customer. */
export async function applyTicketSnapshot(
  db: Queryable,
  snapshot: { hubspotId: string; customerId: string | null; properties: Partial<Record<CachedTicketProperty, string | null>>; at: Date },
): Promise<void> {
  await ensureTicket(db, snapshot.hubspotId);
  for (const [property, value] of Object.entries(snapshot.properties)) {
    if (isCachedTicketProperty(property)) await applyTicketProperty(db, snapshot.hubspotId, property, value ?? null, snapshot.at);
  }
  await db.query('UPDATE ticket_cache SET customer_id = coalesce($2, customer_id), needs_fetch = false WHERE hubspot_id = $1', [snapshot.hubspotId, snapshot.customerId]);
}

export async function ticketsNeedingFetch(db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ hubspot_id: string }>('SELECT hubspot_id FROM ticket_cache WHERE needs_fetch AND deleted_at IS NULL ORDER BY hubspot_id LIMIT $1', [limit]);
  return rows.map((r) => r.hubspot_id);
}

export async function clearNeedsFetch(db: Queryable, hubspotIds: readonly string[]): Promise<void> {
  await db.query('UPDATE ticket_cache SET needs_fetch = false WHERE hubspot_id = ANY($1::text[])', [hubspotIds]);
}

/** The portal's ticket stages of one pipeline, as read now (stages no longer there are removed). */
export async function replaceTicketStages(db: Queryable, pipeline: string, stages: ReadonlyArray<{ id: string; label: string; displayOrder: number; ticketState: 'OPEN' | 'CLOSED' }>): Promise<void> {
  await db.query(
    `WITH fresh AS (SELECT * FROM json_to_recordset($2::json) AS s(id text, label text, display_order int, ticket_state text)),
     gone AS (DELETE FROM ticket_stages WHERE pipeline = $1 AND stage NOT IN (SELECT id FROM fresh))
     INSERT INTO ticket_stages (pipeline, stage, label, display_order, ticket_state, read_at)
     SELECT $1, id, label, display_order, ticket_state, now() FROM fresh
     ON CONFLICT (pipeline, stage) DO UPDATE SET label = excluded.label, display_order = excluded.display_order, ticket_state = excluded.ticket_state, read_at = now()`,
    [pipeline, JSON.stringify(stages.map((s) => ({ id: s.id, label: s.label, display_order: s.displayOrder, ticket_state: s.ticketState })))],
  );
}

/** Cached tickets `t` with their stage `s` (its ticketState), for the reads below and churn analysis (store/churn.ts). */
export const CACHED_TICKETS_WITH_STAGE = `ticket_cache t LEFT JOIN ticket_stages s ON s.pipeline = coalesce(t.pipeline, '0') AND s.stage = t.stage`;
/** Open: not deleted, and its stage not known to be CLOSED (an unknown stage, pipelines not read yet, counts as open). */
export const CACHED_TICKET_IS_OPEN = `t.deleted_at IS NULL AND s.ticket_state IS DISTINCT FROM 'CLOSED'`;

/** A customer's tickets that are not deleted, newest first; `open` keeps those whose stage is OPEN. */
export async function listCachedTickets(db: Queryable, customerId: string, options: { openOnly: boolean }): Promise<CachedTicket[]> {
  const { rows } = await db.query<{
    hubspot_id: string; customer_id: string | null; subject: string | null; pipeline: string | null; stage: string | null; state: 'OPEN' | 'CLOSED' | null; priority: string | null;
    alert_key: string | null; severity: string | null; trunk_id: string | null; issue_type: string | null; issue_category: string | null; updated_at: Date;
  }>(
    `SELECT t.*, s.ticket_state AS state FROM ${CACHED_TICKETS_WITH_STAGE}
     WHERE t.customer_id = $1 AND t.deleted_at IS NULL AND (NOT $2 OR ${CACHED_TICKET_IS_OPEN})
     ORDER BY length(t.hubspot_id) DESC, t.hubspot_id DESC LIMIT 500`,
    [customerId, options.openOnly],
  );
  return rows.map((r) => ({
    hubspotId: r.hubspot_id,
    customerId: r.customer_id === null ? null : String(r.customer_id),
    subject: r.subject,
    pipeline: r.pipeline,
    stage: r.stage,
    state: r.state,
    priority: r.priority,
    alertKey: r.alert_key,
    severity: r.severity,
    trunkId: r.trunk_id,
    issueType: r.issue_type,
    issueCategory: r.issue_category,
    updatedAt: r.updated_at,
  }));
}

/** The cached priority of a ticket (an agent may have changed it since WARP set it). */
export async function cachedPriority(db: Queryable, hubspotId: string): Promise<string | null> {
  const { rows } = await db.query<{ priority: string | null }>('SELECT priority FROM ticket_cache WHERE hubspot_id = $1', [hubspotId]);
  return rows[0]?.priority ?? null;
}

/** The customer whose company is `companyHubspotId`, if it is a WARP customer. */
export async function customerOfCompany(db: Queryable, companyHubspotId: string): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM customers WHERE hubspot_company_id = $1', [companyHubspotId]);
  return rows[0] ? String(rows[0].id) : null;
}

/** A cached ticket as reconcile compares it: its columns (by HubSpot property) and its customer. */
export interface ReconciledTicket {
  values: Record<CachedTicketProperty, string | null>;
  customerId: string | null;
  deleted: boolean;
}

/** The cached tickets of these HubSpot ids, in one query; ids never seen are absent. */
export async function readTickets(db: Queryable, hubspotIds: readonly string[]): Promise<Map<string, ReconciledTicket>> {
  if (hubspotIds.length === 0) return new Map();
  const { rows } = await db.query<Record<string, string | null> & { hubspot_id: string; customer_id: string | null; deleted: boolean }>(
    `SELECT hubspot_id, customer_id::text, deleted_at IS NOT NULL AS deleted, ${Object.values(TICKET_CACHE_COLUMNS).join(', ')} FROM ticket_cache WHERE hubspot_id = ANY($1::text[])`,
    [[...new Set(hubspotIds)]],
  );
  return new Map(
    rows.map((r) => [
      r.hubspot_id,
      {
        values: Object.fromEntries(CACHED_TICKET_PROPERTIES.map((p) => [p, r[TICKET_CACHE_COLUMNS[p]] ?? null])) as Record<CachedTicketProperty, string | null>,
        customerId: r.customer_id,
        deleted: r.deleted,
      },
    ]),
  );
}

/** The WARP customers of these HubSpot companies (companies of no customer are absent). */
export async function customersOfCompanies(db: Queryable, companyHubspotIds: readonly string[]): Promise<Map<string, string>> {
  if (companyHubspotIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; company: string }>(
    'SELECT id::text, hubspot_company_id AS company FROM customers WHERE hubspot_company_id = ANY($1::text[])',
    [[...new Set(companyHubspotIds)]],
  );
  return new Map(rows.map((r) => [r.company, r.id]));
}

/** The ticket's company link changed (null: removed, or not a WARP customer's company). */
export async function linkTicketCustomer(db: Queryable, hubspotId: string, customerId: string | null): Promise<void> {
  await db.query(
    'INSERT INTO ticket_cache (hubspot_id, customer_id) VALUES ($1, $2) ON CONFLICT (hubspot_id) DO UPDATE SET customer_id = excluded.customer_id, updated_at = now()',
    [hubspotId, customerId],
  );
}
