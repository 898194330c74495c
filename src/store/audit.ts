import type { Queryable } from '../db/pool.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';

/**
 * The audit trail: one append-only row per change to the cache. The table refuses UPDATE, DELETE
 * and TRUNCATE (trigger in migration 0004), so history cannot be rewritten by this code either.
 */

/** Per field: before/after as text, or `{ changed: true }` for personal data (values kept out). */
export type AuditChanges = Record<string, { before: string | null; after: string | null } | { changed: true }>;

export interface AuditEntry {
  entityType: string;
  entityId: string;
  /** Who made the change: `hubspot` (webhook), `reconcile`, `import`, `onboarding`, `warp`. */
  source: string;
  /** What triggered it: the webhook subscription type, `reconcile`, an onboarding step, ... */
  event: string;
  inboxId?: string | null;
  changes: AuditChanges;
}

export async function appendAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  if (Object.keys(entry.changes).length === 0) return;
  await db.query(
    `INSERT INTO audit_log (entity_type, entity_id, source, event, inbox_id, changes) VALUES ($1, $2, $3, $4, $5, $6)`,
    [entry.entityType, entry.entityId, entry.source, entry.event, entry.inboxId ?? null, JSON.stringify(entry.changes)],
  );
}

export interface AuditRecord extends Required<AuditEntry> {
  id: string;
  at: Date;
}

interface AuditRow {
  id: string;
  at: Date;
  entity_type: string;
  entity_id: string;
  source: string;
  event: string;
  inbox_id: string | null;
  changes: AuditChanges;
}

/** Newest first: each page continues with older entries. */
export async function listAudit(
  db: Queryable,
  filter: { entityType?: string | undefined; entityId?: string | undefined },
  page: PageRequest,
): Promise<Page<AuditRecord>> {
  const { rows } = await db.query<AuditRow>(
    `SELECT id, at, entity_type, entity_id, source, event, inbox_id, changes FROM audit_log
     WHERE ($1::text IS NULL OR entity_type = $1) AND ($2::text IS NULL OR entity_id = $2) AND ($3::bigint IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4`,
    [filter.entityType ?? null, filter.entityId ?? null, page.cursor ?? null, fetchLimit(page)],
  );
  const records = rows.map((r) => ({
    id: String(r.id),
    at: r.at,
    entityType: r.entity_type,
    entityId: r.entity_id,
    source: r.source,
    event: r.event,
    inboxId: r.inbox_id === null ? null : String(r.inbox_id),
    changes: r.changes,
  }));
  return toPage(records, page, (r) => r.id);
}
