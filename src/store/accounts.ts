import type { Queryable } from '../db/pool.js';
import type { AccountStatus, PaymentMethod, PaymentStatus, ResporgStatus } from '../domain/value-sets.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';

/**
 * The WARP side of the `customers` table: find and search accounts, apply the WARP-owned account
 * facts (status, payment, API/SMS switches, 10DLC brand, RespOrg status), and read what the
 * company write carries, with the exact roll-ups (trunks, numbers, campaigns) computed from the cache.
 */

export interface Account {
  id: string;
  ban: string | null;
  hubspotCompanyId: string | null;
  name: string | null;
  domain: string | null;
  status: AccountStatus;
  creditLimit: number | null;
  paymentMethod: PaymentMethod | null;
  paymentStatus: PaymentStatus | null;
  mrr: number | null;
  mtdMinutes: number;
  mtdSpend: number;
  /** Calls in progress on its trunks when the 5-minute usage run last looked. */
  activeCalls: number;
  apiEnabled: boolean;
  smsEnabled: boolean;
  tcrBrandId: string | null;
  resporgStatus: ResporgStatus | null;
  /** Live trunks, numbers not released, registered 10DLC campaigns: the roll-ups sent to HubSpot. */
  trunkCount: number;
  numberCount: number;
  campaignCount: number;
}

interface AccountRow {
  id: string;
  ban: string | null;
  hubspot_company_id: string | null;
  name: string | null;
  domain: string | null;
  status: AccountStatus;
  credit_limit: string | null;
  payment_method: PaymentMethod | null;
  payment_status: PaymentStatus | null;
  mrr: string | null;
  mtd_minutes: string;
  mtd_spend: string;
  active_calls: number;
  api_enabled: boolean;
  sms_enabled: boolean;
  tcr_brand_id: string | null;
  resporg_status: ResporgStatus | null;
  trunk_count: string;
  number_count: string;
  campaign_count: string;
}

const SELECT = `SELECT c.id, c.ban, c.hubspot_company_id, c.name, c.domain, c.status, c.credit_limit, c.payment_method, c.payment_status,
  c.mrr, c.mtd_minutes, c.mtd_spend, c.active_calls, c.api_enabled, c.sms_enabled, c.tcr_brand_id, c.resporg_status,
  (SELECT count(*) FROM trunks t WHERE t.customer_id = c.id AND t.deleted_at IS NULL) AS trunk_count,
  (SELECT count(*) FROM numbers n WHERE n.customer_id = c.id AND n.deleted_at IS NULL AND n.status <> 'released') AS number_count,
  (SELECT count(*) FROM messaging_campaigns m WHERE m.customer_id = c.id) AS campaign_count
  FROM customers c`;

const num = (value: string | null): number | null => (value === null ? null : Number(value));

const toAccount = (row: AccountRow): Account => ({
  id: String(row.id),
  ban: row.ban,
  hubspotCompanyId: row.hubspot_company_id,
  name: row.name,
  domain: row.domain,
  status: row.status,
  creditLimit: num(row.credit_limit),
  paymentMethod: row.payment_method,
  paymentStatus: row.payment_status,
  mrr: num(row.mrr),
  mtdMinutes: Number(row.mtd_minutes),
  mtdSpend: Number(row.mtd_spend),
  activeCalls: row.active_calls,
  apiEnabled: row.api_enabled,
  smsEnabled: row.sms_enabled,
  tcrBrandId: row.tcr_brand_id,
  resporgStatus: row.resporg_status,
  trunkCount: Number(row.trunk_count),
  numberCount: Number(row.number_count),
  campaignCount: Number(row.campaign_count),
});

export async function findAccountByBan(db: Queryable, ban: string): Promise<Account | null> {
  const { rows } = await db.query<AccountRow>(`${SELECT} WHERE c.ban = $1 AND c.deleted_at IS NULL`, [ban]);
  return rows[0] ? toAccount(rows[0]) : null;
}

/** Just the customer id for a BAN (no roll-ups): what every write request needs, cheaply. */
export async function findCustomerIdByBan(db: Queryable, ban: string): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM customers WHERE ban = $1 AND deleted_at IS NULL', [ban]);
  return rows[0] ? String(rows[0].id) : null;
}

export async function findAccounts(db: Queryable, customerIds: readonly string[]): Promise<Account[]> {
  const { rows } = await db.query<AccountRow>(`${SELECT} WHERE c.id = ANY($1::bigint[])`, [[...customerIds]]);
  return rows.map(toAccount);
}

export async function findAccount(db: Queryable, customerId: string): Promise<Account | null> {
  return (await findAccounts(db, [customerId]))[0] ?? null;
}

export interface AccountSearch {
  /** Part of the name or domain, or the start of the BAN (any letter case). */
  q?: string | undefined;
  name?: string | undefined;
  domain?: string | undefined;
  ban?: string | undefined;
}

/**
 * Accounts (customers with a BAN: only those are addressable by the API), oldest first, filtered
 * by every given criterion. Substrings are matched with `strpos`, so `%` and `_` in the input are
 * plain characters, not LIKE wildcards.
 */
export async function searchAccounts(db: Queryable, search: AccountSearch, page: PageRequest): Promise<Page<Account>> {
  const { rows } = await db.query<AccountRow>(
    `${SELECT} WHERE c.ban IS NOT NULL AND c.deleted_at IS NULL
       AND ($1::text IS NULL OR strpos(lower(c.name), lower($1)) > 0 OR strpos(lower(c.domain), lower($1)) > 0 OR starts_with(c.ban, $1))
       AND ($2::text IS NULL OR strpos(lower(c.name), lower($2)) > 0)
       AND ($3::text IS NULL OR strpos(lower(c.domain), lower($3)) > 0)
       AND ($4::text IS NULL OR c.ban = $4)
       AND ($5::bigint IS NULL OR c.id > $5)
     ORDER BY c.id LIMIT $6`,
    [search.q ?? null, search.name ?? null, search.domain ?? null, search.ban ?? null, page.cursor ?? null, fetchLimit(page)],
  );
  return toPage(rows.map(toAccount), page, (a) => a.id);
}

/** The WARP-owned account facts; undefined leaves a fact as it is, null (brand id) clears it. */
export interface AccountPatch {
  status?: AccountStatus | undefined;
  paymentMethod?: PaymentMethod | undefined;
  paymentStatus?: PaymentStatus | undefined;
  apiEnabled?: boolean | undefined;
  smsEnabled?: boolean | undefined;
  tcrBrandId?: string | null | undefined;
  resporgStatus?: ResporgStatus | undefined;
}

/** Applies WARP-owned account facts; returns the account before and after (null if unknown). */
export async function updateAccountRow(db: Queryable, customerId: string, patch: AccountPatch): Promise<{ before: Account; after: Account } | null> {
  const before = (await db.query<AccountRow>(`${SELECT} WHERE c.id = $1 FOR UPDATE OF c`, [customerId])).rows[0];
  if (!before) return null;
  await db.query(
    `UPDATE customers SET status = COALESCE($2, status), payment_method = COALESCE($3, payment_method),
       payment_status = COALESCE($4, payment_status), api_enabled = COALESCE($5, api_enabled), sms_enabled = COALESCE($6, sms_enabled),
       tcr_brand_id = CASE WHEN $7 THEN $8 ELSE tcr_brand_id END, resporg_status = COALESCE($9, resporg_status),
       version = version + 1, updated_at = now()
     WHERE id = $1`,
    [
      customerId,
      patch.status ?? null,
      patch.paymentMethod ?? null,
      patch.paymentStatus ?? null,
      patch.apiEnabled ?? null,
      patch.smsEnabled ?? null,
      patch.tcrBrandId !== undefined,
      patch.tcrBrandId ?? null,
      patch.resporgStatus ?? null,
    ],
  );
  return { before: toAccount(before), after: (await findAccount(db, customerId))! };
}

/** Records the HubSpot company a WARP-created account was upserted to (by `warp_ban`). */
export async function setAccountHubspotIds(db: Queryable, pairs: ReadonlyArray<{ customerId: string; hubspotId: string }>): Promise<void> {
  if (pairs.length === 0) return;
  await db.query(
    `UPDATE customers c SET hubspot_company_id = p.hubspot_id
     FROM unnest($1::bigint[], $2::text[]) AS p(id, hubspot_id)
     WHERE c.id = p.id AND c.hubspot_company_id IS NULL`,
    [pairs.map((p) => p.customerId), pairs.map((p) => p.hubspotId)],
  );
}
