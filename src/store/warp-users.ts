import { lockForTransaction } from '../db/locks.js';
import type { Queryable } from '../db/pool.js';
import type { UserRole } from '../domain/value-sets.js';
import { randomHexId } from '../lib/ids.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';

/**
 * WARP portal users as the outbound side writes and reads them (the `users` table). Only the
 * number of API keys is stored and synced, never a key value.
 */

export interface WarpUser {
  id: string;
  userId: string;
  customerId: string | null;
  hubspotContactId: string | null;
  email: string | null;
  firstname: string | null;
  lastname: string | null;
  role: UserRole | null;
  twofaEnabled: boolean;
  lastLogin: Date | null;
  apiKeyCount: number;
  lastApiCall: Date | null;
}

interface WarpUserRow {
  id: string;
  user_id: string;
  customer_id: string | null;
  hubspot_contact_id: string | null;
  email: string | null;
  firstname: string | null;
  lastname: string | null;
  role: UserRole | null;
  twofa_enabled: boolean;
  last_login: Date | null;
  api_key_count: number;
  last_api_call: Date | null;
}

const COLUMNS = `id, user_id, customer_id, hubspot_contact_id, email, firstname, lastname, role, twofa_enabled, last_login,
  api_key_count, last_api_call`;

const toUser = (row: WarpUserRow): WarpUser => ({
  id: String(row.id),
  userId: row.user_id,
  customerId: row.customer_id === null ? null : String(row.customer_id),
  hubspotContactId: row.hubspot_contact_id,
  email: row.email,
  firstname: row.firstname,
  lastname: row.lastname,
  role: row.role,
  twofaEnabled: row.twofa_enabled,
  lastLogin: row.last_login,
  apiKeyCount: row.api_key_count,
  lastApiCall: row.last_api_call,
});

export const newUserId = (): string => randomHexId('usr');

export interface NewWarpUser {
  userId?: string | undefined;
  email: string;
  firstname?: string | null | undefined;
  lastname?: string | null | undefined;
  role: UserRole;
  twofaEnabled?: boolean | undefined;
  apiKeyCount?: number | undefined;
}

/**
 * Creates a WARP user. `adoptRowId` names a contact already cached from HubSpot (same email, no
 * WARP id yet) that becomes this user instead of a new row, so the person stays one row and one
 * HubSpot contact; the caller decides whether that contact may be adopted.
 */
export async function insertWarpUser(db: Queryable, customerId: string, input: NewWarpUser, adoptRowId?: string): Promise<WarpUser> {
  const values = [input.userId ?? newUserId(), customerId, input.email, input.role, input.twofaEnabled ?? false, input.apiKeyCount ?? 0, input.firstname ?? null, input.lastname ?? null];
  if (adoptRowId !== undefined) {
    const adopted = await db.query<WarpUserRow>(
      `UPDATE users SET user_id = $1, customer_id = $2, role = $4, twofa_enabled = $5, api_key_count = $6,
         firstname = COALESCE(firstname, $7), lastname = COALESCE(lastname, $8), version = version + 1, updated_at = now()
       WHERE id = $9 AND user_id IS NULL AND lower(email) = lower($3) RETURNING ${COLUMNS}`,
      [...values, adoptRowId],
    );
    if (adopted.rows[0]) return toUser(adopted.rows[0]);
  }
  const { rows } = await db.query<WarpUserRow>(
    `INSERT INTO users (user_id, customer_id, email, role, twofa_enabled, api_key_count, firstname, lastname)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    values,
  );
  return toUser(rows[0]!);
}

/**
 * Serialises everything that decides who owns an email address (user creation, linking) for the
 * rest of the transaction: the check "no other WARP user has it" then holds until commit.
 */
export async function lockEmail(tx: Queryable, email: string): Promise<void> {
  await lockForTransaction(tx, `user-email:${email.toLowerCase()}`);
}

/** The live WARP user with this email (compared without letter case), if any. */
export async function findWarpUserByEmail(db: Queryable, email: string): Promise<WarpUser | null> {
  const { rows } = await db.query<WarpUserRow>(
    `SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1) AND user_id IS NOT NULL AND deleted_at IS NULL ORDER BY id LIMIT 1`,
    [email],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** Live contacts cached from HubSpot with this email and no WARP user yet (normally at most one). */
export async function findUnclaimedContacts(db: Queryable, email: string): Promise<WarpUser[]> {
  const { rows } = await db.query<WarpUserRow>(
    `SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1) AND user_id IS NULL AND deleted_at IS NULL ORDER BY id`,
    [email],
  );
  return rows.map(toUser);
}

export interface WarpUserPatch {
  role?: UserRole | undefined;
  twofaEnabled?: boolean | undefined;
  lastLogin?: Date | undefined;
  apiKeyCount?: number | undefined;
  lastApiCall?: Date | undefined;
}

/** Applies WARP-owned user facts; null when the user does not belong to the customer. */
export async function updateWarpUser(db: Queryable, customerId: string, userId: string, patch: WarpUserPatch): Promise<WarpUser | null> {
  const { rows } = await db.query<WarpUserRow>(
    `UPDATE users SET role = COALESCE($3, role), twofa_enabled = COALESCE($4, twofa_enabled), last_login = COALESCE($5, last_login),
       api_key_count = COALESCE($6, api_key_count), last_api_call = COALESCE($7, last_api_call), version = version + 1, updated_at = now()
     WHERE user_id = $2 AND customer_id = $1 AND deleted_at IS NULL RETURNING ${COLUMNS}`,
    [customerId, userId, patch.role ?? null, patch.twofaEnabled ?? null, patch.lastLogin ?? null, patch.apiKeyCount ?? null, patch.lastApiCall ?? null],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** The WARP user id of a cached contact row, or null when the contact is no WARP user. */
export async function findUserIdByRowId(db: Queryable, rowId: string): Promise<string | null> {
  const { rows } = await db.query<{ user_id: string | null }>('SELECT user_id FROM users WHERE id = $1 AND deleted_at IS NULL', [rowId]);
  return rows[0]?.user_id ?? null;
}

export async function findWarpUsers(db: Queryable, userIds: readonly string[]): Promise<WarpUser[]> {
  const { rows } = await db.query<WarpUserRow>(`SELECT ${COLUMNS} FROM users WHERE user_id = ANY($1::text[]) AND deleted_at IS NULL`, [[...userIds]]);
  return rows.map(toUser);
}

/** The WARP users of a customer, oldest first. */
export async function listWarpUsers(db: Queryable, customerId: string, page: PageRequest): Promise<Page<WarpUser>> {
  const { rows } = await db.query<WarpUserRow>(
    `SELECT ${COLUMNS} FROM users WHERE customer_id = $1 AND deleted_at IS NULL AND user_id IS NOT NULL AND ($2::bigint IS NULL OR id > $2)
     ORDER BY id LIMIT $3`,
    [customerId, page.cursor ?? null, fetchLimit(page)],
  );
  return toPage(rows.map(toUser), page, (u) => u.id);
}
