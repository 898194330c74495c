import { z } from 'zod';

import type { Queryable } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { type Account, findAccountByBan, findCustomerIdByBan } from '../../store/accounts.js';
import { numericId } from '../schemas.js';

/** Shared by the WARP-side routes under `/customers/{ban}/…`. */

export const banParams = z.object({ ban: numericId('a BAN') });

/** The customer a BAN names, or 404. */
export async function accountByBan(db: Queryable, ban: string): Promise<Account> {
  const account = await findAccountByBan(db, ban);
  if (!account) throw notFound(`No customer with BAN ${ban}`);
  return account;
}

/** The id of the customer a BAN names, or 404: all a write needs (no roll-ups computed). */
export async function customerIdByBan(db: Queryable, ban: string): Promise<string> {
  const id = await findCustomerIdByBan(db, ban);
  if (!id) throw notFound(`No customer with BAN ${ban}`);
  return id;
}

/**
 * Free text that will be shown in HubSpot. What the outgoing guard would refuse (card numbers, API
 * keys), NULs and unpaired surrogates are refused for every body field before this schema runs
 * (`http/api.ts`), so such data is never even stored.
 */
export const safeText = (max: number) => z.string().trim().min(1).max(max);

/** E.164: a plus, a non-zero country digit, 7 to 15 digits in all. */
export const e164 = z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 number such as +13035551000');

export const iso = (date: Date | null): string | null => date?.toISOString() ?? null;
