import type { Queryable } from '../db/pool.js';
import type { TrunkStatus } from '../domain/value-sets.js';
import { randomHexId } from '../lib/ids.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';

export interface Trunk {
  id: string;
  trunkId: string;
  customerId: string;
  name: string;
  status: TrunkStatus;
  statusReason: string | null;
  ipAddresses: string[];
  concurrentCalls: number;
  monthlyMinutes: number;
  partitionId: string | null;
  createdDate: string;
  /** The last full hour's highest concurrent calls and its share of `concurrentCalls` (%); null until measured. */
  peakConcurrentCalls: number | null;
  utilizationPct: number | null;
  hubspotObjectId: string | null;
  version: number;
  updatedAt: Date;
  deletedAt: Date | null;
}

interface TrunkRow {
  id: string;
  trunk_id: string;
  customer_id: string;
  name: string;
  status: TrunkStatus;
  status_reason: string | null;
  ip_addresses: string[];
  concurrent_calls: number;
  monthly_minutes: string;
  partition_id: string | null;
  created_date: string;
  peak_concurrent_calls: number | null;
  utilization_pct: string | null;
  hubspot_object_id: string | null;
  version: string;
  updated_at: Date;
  deleted_at: Date | null;
}

// inet[] comes back as text (abbrev drops a host's /32 or /128) so the driver needs no custom
// parser; dates as ISO text.
const COLUMNS = `id, trunk_id, customer_id, name, status, status_reason, ARRAY(SELECT abbrev(a) FROM unnest(ip_addresses) AS a) AS ip_addresses,
  concurrent_calls, monthly_minutes, partition_id, to_char(created_date, 'YYYY-MM-DD') AS created_date,
  peak_concurrent_calls, utilization_pct, hubspot_object_id, version, updated_at, deleted_at`;

const toTrunk = (row: TrunkRow): Trunk => ({
  id: String(row.id),
  trunkId: row.trunk_id,
  customerId: String(row.customer_id),
  name: row.name,
  status: row.status,
  statusReason: row.status_reason,
  ipAddresses: row.ip_addresses,
  concurrentCalls: row.concurrent_calls,
  monthlyMinutes: Number(row.monthly_minutes),
  partitionId: row.partition_id,
  createdDate: row.created_date,
  peakConcurrentCalls: row.peak_concurrent_calls,
  utilizationPct: row.utilization_pct === null ? null : Number(row.utilization_pct),
  hubspotObjectId: row.hubspot_object_id,
  version: Number(row.version),
  updatedAt: row.updated_at,
  deletedAt: row.deleted_at,
});

export const newTrunkId = (): string => randomHexId('trunk');

export interface NewTrunk {
  trunkId?: string | undefined;
  name: string;
  ipAddresses: readonly string[];
  concurrentCalls: number;
  monthlyMinutes: number;
  partitionId?: string | null | undefined;
  status?: TrunkStatus | undefined;
}

export async function insertTrunk(db: Queryable, customerId: string, input: NewTrunk): Promise<Trunk> {
  const { rows } = await db.query<TrunkRow>(
    `INSERT INTO trunks (trunk_id, customer_id, name, ip_addresses, concurrent_calls, monthly_minutes, partition_id, status)
     VALUES ($1, $2, $3, $4::inet[], $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [
      input.trunkId ?? newTrunkId(),
      customerId,
      input.name,
      [...input.ipAddresses],
      input.concurrentCalls,
      input.monthlyMinutes,
      input.partitionId ?? null,
      input.status ?? 'active',
    ],
  );
  return toTrunk(rows[0]!);
}

export interface TrunkPatch {
  name?: string | undefined;
  ipAddresses?: readonly string[] | undefined;
  concurrentCalls?: number | undefined;
  monthlyMinutes?: number | undefined;
  partitionId?: string | null | undefined;
}

/** Applies the given fields (undefined = unchanged) to a live trunk of the customer; null when there is none. */
export async function updateTrunkRow(db: Queryable, customerId: string, trunkId: string, patch: TrunkPatch): Promise<Trunk | null> {
  const { rows } = await db.query<TrunkRow>(
    `UPDATE trunks SET
       name = COALESCE($2, name),
       ip_addresses = COALESCE($3::inet[], ip_addresses),
       concurrent_calls = COALESCE($4, concurrent_calls),
       monthly_minutes = COALESCE($5, monthly_minutes),
       partition_id = CASE WHEN $6 THEN $7 ELSE partition_id END,
       version = version + 1, updated_at = now()
     WHERE trunk_id = $1 AND customer_id = $8 AND deleted_at IS NULL RETURNING ${COLUMNS}`,
    [
      trunkId,
      patch.name ?? null,
      patch.ipAddresses ? [...patch.ipAddresses] : null,
      patch.concurrentCalls ?? null,
      patch.monthlyMinutes ?? null,
      patch.partitionId !== undefined,
      patch.partitionId ?? null,
      customerId,
    ],
  );
  return rows[0] ? toTrunk(rows[0]) : null;
}

/** Sets the status of live trunks; returns those that actually changed. */
export async function setTrunkStatusRows(
  db: Queryable,
  trunkIds: readonly string[],
  status: TrunkStatus,
  reason: string | null,
): Promise<Trunk[]> {
  const { rows } = await db.query<TrunkRow>(
    `UPDATE trunks SET status = $2, status_reason = $3, version = version + 1, updated_at = now()
     WHERE trunk_id = ANY($1::text[]) AND deleted_at IS NULL AND (status <> $2 OR status_reason IS DISTINCT FROM $3)
     RETURNING ${COLUMNS}`,
    [[...trunkIds], status, status === 'active' ? null : reason],
  );
  return rows.map(toTrunk);
}

export async function softDeleteTrunk(db: Queryable, customerId: string, trunkId: string): Promise<Trunk | null> {
  const { rows } = await db.query<TrunkRow>(
    `UPDATE trunks SET deleted_at = now(), version = version + 1, updated_at = now()
     WHERE trunk_id = $1 AND customer_id = $2 AND deleted_at IS NULL RETURNING ${COLUMNS}`,
    [trunkId, customerId],
  );
  return rows[0] ? toTrunk(rows[0]) : null;
}

/** The customer's trunk with this id (live unless asked); null when there is none (or it is another customer's). */
export async function findCustomerTrunk(db: Queryable, customerId: string, trunkId: string, options: { includeDeleted?: boolean } = {}): Promise<Trunk | null> {
  const { rows } = await db.query<TrunkRow>(
    `SELECT ${COLUMNS} FROM trunks WHERE trunk_id = $1 AND customer_id = $2 AND ($3 OR deleted_at IS NULL)`,
    [trunkId, customerId, options.includeDeleted ?? false],
  );
  return rows[0] ? toTrunk(rows[0]) : null;
}

/** Every trunk with one of these ids, deleted ones included (the sender archives those). */
export async function findTrunks(db: Queryable, trunkIds: readonly string[]): Promise<Trunk[]> {
  const { rows } = await db.query<TrunkRow>(`SELECT ${COLUMNS} FROM trunks WHERE trunk_id = ANY($1::text[])`, [[...trunkIds]]);
  return rows.map(toTrunk);
}

/** What usage ingest needs of a trunk: its row id, its customer and when it was deleted. */
export interface TrunkOwner {
  trunkId: string;
  id: string;
  customerId: string;
  /** Epoch milliseconds; null while the trunk is live. */
  deletedAtMs: number | null;
}

/** The owners of these trunks (deleted ones too), in one narrow read: usage looks up every trunk of every request. */
export async function findTrunkOwners(db: Queryable, trunkIds: readonly string[]): Promise<TrunkOwner[]> {
  const { rows } = await db.query<{ trunk_id: string; id: string; customer_id: string; deleted_ms: number | null }>(
    `SELECT trunk_id, id, customer_id, floor(extract(epoch FROM deleted_at) * 1000)::float8 AS deleted_ms FROM trunks WHERE trunk_id = ANY($1::text[])`,
    [[...trunkIds]],
  );
  return rows.map((r) => ({ trunkId: r.trunk_id, id: String(r.id), customerId: String(r.customer_id), deletedAtMs: r.deleted_ms }));
}

/** Live trunks of a customer, oldest first. */
export async function listTrunks(db: Queryable, customerId: string, page: PageRequest): Promise<Page<Trunk>> {
  const { rows } = await db.query<TrunkRow>(
    `SELECT ${COLUMNS} FROM trunks WHERE customer_id = $1 AND deleted_at IS NULL AND ($2::bigint IS NULL OR id > $2) ORDER BY id LIMIT $3`,
    [customerId, page.cursor ?? null, fetchLimit(page)],
  );
  return toPage(rows.map(toTrunk), page, (t) => t.id);
}

/** Live trunks of a customer in one of the given statuses (for account-level status changes). */
export async function listTrunksByStatus(db: Queryable, customerId: string, statuses: readonly TrunkStatus[]): Promise<Trunk[]> {
  const { rows } = await db.query<TrunkRow>(
    `SELECT ${COLUMNS} FROM trunks WHERE customer_id = $1 AND deleted_at IS NULL AND status = ANY($2::text[]) ORDER BY id`,
    [customerId, [...statuses]],
  );
  return rows.map(toTrunk);
}

export async function setTrunkHubspotIds(db: Queryable, pairs: ReadonlyArray<{ trunkId: string; hubspotId: string }>): Promise<void> {
  if (pairs.length === 0) return;
  await db.query(
    `UPDATE trunks t SET hubspot_object_id = p.hubspot_id
     FROM unnest($1::text[], $2::text[]) AS p(trunk_id, hubspot_id)
     WHERE t.trunk_id = p.trunk_id AND t.hubspot_object_id IS DISTINCT FROM p.hubspot_id`,
    [pairs.map((p) => p.trunkId), pairs.map((p) => p.hubspotId)],
  );
}
