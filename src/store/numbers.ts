import type { Queryable } from '../db/pool.js';
import type { NumberCapability, NumberStatus, NumberType } from '../domain/value-sets.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';

export interface PhoneNumber {
  id: string;
  number: string;
  customerId: string;
  /** WARP trunk id (`trunk_…`) the number routes to, if any. */
  trunkId: string | null;
  type: NumberType;
  capabilities: NumberCapability[];
  monthlyCost: number;
  e911Address: string | null;
  cnam: string | null;
  status: NumberStatus;
  hubspotObjectId: string | null;
  updatedAt: Date;
  deletedAt: Date | null;
}

interface NumberRow {
  id: string;
  number: string;
  customer_id: string;
  trunk_id: string | null;
  type: NumberType;
  capabilities: NumberCapability[];
  monthly_cost: string;
  e911_address: string | null;
  cnam: string | null;
  status: NumberStatus;
  hubspot_object_id: string | null;
  updated_at: Date;
  deleted_at: Date | null;
}

// numbers.trunk_id references trunks.id; callers speak WARP trunk ids, so join them in.
const SELECT = `SELECT n.id, n.number, n.customer_id, t.trunk_id, n.type, n.capabilities, n.monthly_cost, n.e911_address,
  n.cnam, n.status, n.hubspot_object_id, n.updated_at, n.deleted_at
  FROM numbers n LEFT JOIN trunks t ON t.id = n.trunk_id`;

const toNumber = (row: NumberRow): PhoneNumber => ({
  id: String(row.id),
  number: row.number,
  customerId: String(row.customer_id),
  trunkId: row.trunk_id,
  type: row.type,
  capabilities: row.capabilities,
  monthlyCost: Number(row.monthly_cost),
  e911Address: row.e911_address,
  cnam: row.cnam,
  status: row.status,
  hubspotObjectId: row.hubspot_object_id,
  updatedAt: row.updated_at,
  deletedAt: row.deleted_at,
});

async function findById(db: Queryable, id: string): Promise<PhoneNumber> {
  const { rows } = await db.query<NumberRow>(`${SELECT} WHERE n.id = $1`, [id]);
  return toNumber(rows[0]!);
}

export interface NewNumber {
  number: string;
  trunkId?: string | null | undefined;
  type: NumberType;
  capabilities: readonly NumberCapability[];
  monthlyCost: number;
  e911Address?: string | null | undefined;
  cnam?: string | null | undefined;
  status: 'active' | 'porting';
}

/**
 * Inserts a number; a released number may be bought again, so it replaces the released row. Null
 * when the number is in use (not released), by this customer or another.
 */
export async function insertNumber(db: Queryable, customerId: string, input: NewNumber): Promise<PhoneNumber | null> {
  await db.query(`DELETE FROM numbers WHERE number = $1 AND status = 'released'`, [input.number]);
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO numbers (number, customer_id, trunk_id, type, capabilities, monthly_cost, e911_address, cnam, status)
     VALUES ($1, $2, (SELECT id FROM trunks WHERE trunk_id = $3 AND customer_id = $2 AND deleted_at IS NULL), $4, $5, $6, $7, $8, $9)
     ON CONFLICT (number) DO NOTHING RETURNING id`,
    [input.number, customerId, input.trunkId ?? null, input.type, [...input.capabilities], input.monthlyCost, input.e911Address ?? null, input.cnam ?? null, input.status],
  );
  return rows[0] ? findById(db, rows[0].id) : null;
}

export interface NumberPatch {
  trunkId?: string | null | undefined;
  e911Address?: string | null | undefined;
  cnam?: string | null | undefined;
  capabilities?: readonly NumberCapability[] | undefined;
  status?: NumberStatus | undefined;
}

/** Applies the given fields (undefined = unchanged, null = cleared); null when the customer has no such number. */
export async function updateNumberRow(db: Queryable, customerId: string, number: string, patch: NumberPatch): Promise<PhoneNumber | null> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE numbers n SET
       trunk_id = CASE WHEN $2 THEN (SELECT id FROM trunks t WHERE t.trunk_id = $3 AND t.customer_id = n.customer_id AND t.deleted_at IS NULL) ELSE n.trunk_id END,
       e911_address = CASE WHEN $4 THEN $5 ELSE n.e911_address END,
       cnam = CASE WHEN $6 THEN $7 ELSE n.cnam END,
       capabilities = COALESCE($8::text[], n.capabilities),
       status = COALESCE($9, n.status),
       release_after = CASE WHEN $9 = 'released' THEN now() ELSE n.release_after END,
       version = n.version + 1, updated_at = now()
     WHERE n.number = $1 AND n.customer_id = $10 AND n.deleted_at IS NULL AND n.status <> 'released' RETURNING n.id`,
    [
      number,
      patch.trunkId !== undefined,
      patch.trunkId ?? null,
      patch.e911Address !== undefined,
      patch.e911Address ?? null,
      patch.cnam !== undefined,
      patch.cnam ?? null,
      patch.capabilities ? [...patch.capabilities] : null,
      patch.status ?? null,
      customerId,
    ],
  );
  return rows[0] ? findById(db, rows[0].id) : null;
}

export async function findNumbers(db: Queryable, numbers: readonly string[]): Promise<PhoneNumber[]> {
  const { rows } = await db.query<NumberRow>(`${SELECT} WHERE n.number = ANY($1::text[])`, [[...numbers]]);
  return rows.map(toNumber);
}

/** Numbers of a customer not released, oldest first. */
export async function listNumbers(db: Queryable, customerId: string, page: PageRequest): Promise<Page<PhoneNumber>> {
  const { rows } = await db.query<NumberRow>(
    `${SELECT} WHERE n.customer_id = $1 AND n.deleted_at IS NULL AND n.status <> 'released' AND ($2::bigint IS NULL OR n.id > $2)
     ORDER BY n.id LIMIT $3`,
    [customerId, page.cursor ?? null, fetchLimit(page)],
  );
  return toPage(rows.map(toNumber), page, (n) => n.id);
}

/**
 * Marks a customer's live numbers for release once `releaseAfter` has passed (churn, docs/product-rules.md "Dependent updates");
 * returns how many. Numbers already being released keep their earlier date.
 */
export async function markNumbersForRelease(db: Queryable, customerId: string, releaseAfter: Date): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE numbers SET status = 'pending_release', release_after = $2, version = version + 1, updated_at = now()
     WHERE customer_id = $1 AND deleted_at IS NULL AND status IN ('active', 'porting')`,
    [customerId, releaseAfter],
  );
  return rowCount ?? 0;
}

export async function setNumberHubspotIds(db: Queryable, pairs: ReadonlyArray<{ number: string; hubspotId: string | null }>): Promise<void> {
  if (pairs.length === 0) return;
  await db.query(
    `UPDATE numbers n SET hubspot_object_id = p.hubspot_id
     FROM unnest($1::text[], $2::text[]) AS p(number, hubspot_id)
     WHERE n.number = p.number AND n.hubspot_object_id IS DISTINCT FROM p.hubspot_id`,
    [pairs.map((p) => p.number), pairs.map((p) => p.hubspotId)],
  );
}
