import type { Queryable } from '../db/pool.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';
import { type Conflict, type ConflictRow, toConflict } from './conflicts.js';

/**
 * The conflict inbox (migration 0110): conflicts nobody has reviewed yet, and their review —
 * WARP's value kept, or HubSpot's taken through WARP's own commands (src/http/ops/conflicts.ts).
 */

export const CONFLICT_REVIEWS = ['kept_warp', 'took_hubspot'] as const;
export type ConflictReview = (typeof CONFLICT_REVIEWS)[number];

export interface OpenConflict extends Conflict {
  /** The customer (company conflicts): its BAN and name, when WARP has the company. */
  ban: string | null;
  customerName: string | null;
}

interface Row extends ConflictRow {
  ban: string | null;
  customer_name: string | null;
}

const SELECT = `SELECT c.id, c.detected_at, c.object_type, c.object_id, c.property, c.owner, c.hubspot_value, c.warp_value,
  c.hubspot_source, c.changed_at, c.resolution, c.inbox_id, cu.ban, cu.name AS customer_name
  FROM sync_conflicts c LEFT JOIN customers cu ON c.object_type = 'company' AND cu.hubspot_company_id = c.object_id`;

const toOpenConflict = (r: Row): OpenConflict => ({ ...toConflict(r), ban: r.ban, customerName: r.customer_name });

/** Unreviewed conflicts, newest first, optionally of one property. */
export async function listOpenConflicts(db: Queryable, filter: { property?: string | undefined }, page: PageRequest): Promise<Page<OpenConflict>> {
  const { rows } = await db.query<Row>(
    `${SELECT} WHERE c.reviewed_at IS NULL AND ($1::text IS NULL OR c.property = $1) AND ($2::bigint IS NULL OR c.id < $2) ORDER BY c.id DESC LIMIT $3`,
    [filter.property ?? null, page.cursor ?? null, fetchLimit(page)],
  );
  return toPage(rows.map(toOpenConflict), page, (c) => c.id);
}

export async function findOpenConflicts(db: Queryable, ids: readonly string[]): Promise<OpenConflict[]> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE c.reviewed_at IS NULL AND c.id = ANY($1::bigint[]) ORDER BY c.id`, [[...ids]]);
  return rows.map(toOpenConflict);
}

export async function countOpenConflicts(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_conflicts WHERE reviewed_at IS NULL');
  return rows[0]?.n ?? 0;
}

/** Marks a conflict reviewed; false when someone reviewed it first. */
export async function reviewConflict(db: Queryable, id: string, review: ConflictReview, reviewedBy: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE sync_conflicts SET reviewed_at = now(), review = $2, reviewed_by = $3 WHERE id = $1 AND reviewed_at IS NULL',
    [id, review, reviewedBy],
  );
  return rowCount === 1;
}
