import { hasPgCode, PG_ERROR, type Queryable } from '../db/pool.js';
import { appendAudit } from './audit.js';

/**
 * Ties WARP users to HubSpot contacts. HubSpot keeps one contact per email address, so a WARP user
 * and a contact the cache already holds (a row with the contact's HubSpot id and no WARP user, made
 * by a webhook or an import) can be the same person: then the two rows become one, the cached
 * contact's row, which takes over the WARP user's id and facts. The outbound sync learns of the
 * match when its upsert by email returns the contact; the inbound sync never takes a
 * `warp_user_id` from HubSpot (docs/warp-domain.md "One email, one WARP user").
 */

interface LinkRow {
  id: string;
  user_id: string | null;
  hubspot_contact_id: string | null;
  customer_id: string | null;
  email: string | null;
  deleted_at: Date | null;
}

export type LinkOutcome =
  | { linked: true }
  /** Nothing to link: the WARP user no longer exists (deleted meanwhile). */
  | { linked: false; gone: true }
  | { linked: false; gone: false; reason: string };

const sameCustomer = (contact: LinkRow, user: LinkRow): boolean => contact.customer_id === null || String(contact.customer_id) === String(user.customer_id);

/** Moves a WARP user's id and facts onto the cached contact row and removes the user's own row. */
async function mergeUserIntoContact(tx: Queryable, user: LinkRow, contact: LinkRow): Promise<void> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `DELETE FROM users WHERE id = $1 RETURNING user_id, customer_id, email, firstname, lastname, role, twofa_enabled, last_login,
       api_key_count, last_api_call, created_at, version`,
    [user.id],
  );
  const moved = rows[0]!;
  await tx.query(
    `UPDATE users SET user_id = $2, customer_id = $3, role = $4, twofa_enabled = $5, last_login = $6, api_key_count = $7,
       last_api_call = $8, email = COALESCE(email, $9), firstname = COALESCE(firstname, $10), lastname = COALESCE(lastname, $11),
       created_at = LEAST(created_at, $12), version = version + $13 + 1, updated_at = now()
     WHERE id = $1`,
    [contact.id, moved['user_id'], moved['customer_id'], moved['role'], moved['twofa_enabled'], moved['last_login'], moved['api_key_count'],
      moved['last_api_call'], moved['email'], moved['firstname'], moved['lastname'], moved['created_at'], moved['version']],
  );
  await appendAudit(tx, {
    entityType: 'user',
    entityId: contact.hubspot_contact_id!,
    source: 'warp',
    event: 'warp_user_linked',
    changes: {
      user_id: { before: null, after: String(moved['user_id']) },
      customer_id: { before: contact.customer_id === null ? null : String(contact.customer_id), after: String(moved['customer_id']) },
    },
  });
}

/**
 * Gives the user's row the contact's HubSpot id, unless a row with that id was committed meanwhile:
 * a webhook (or an import) creating the contact while we link inserts it without seeing our row,
 * and the unique index makes us wait for it and then refuse. That row is the same person, so the
 * caller looks again and merges instead of failing (in a savepoint: the transaction goes on).
 */
async function claimContactId(tx: Queryable, userRowId: string, hubspotId: string): Promise<boolean> {
  await tx.query('SAVEPOINT claim_contact_id');
  try {
    await tx.query('UPDATE users SET hubspot_contact_id = $2, version = version + 1, updated_at = now() WHERE id = $1', [userRowId, hubspotId]);
  } catch (error) {
    if (!hasPgCode(error, PG_ERROR.uniqueViolation)) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT claim_contact_id');
    return false;
  }
  await tx.query('RELEASE SAVEPOINT claim_contact_id');
  return true;
}

/** One look at both rows; `raced` when a contact row with the HubSpot id was committed while we looked. */
async function linkOnce(tx: Queryable, userId: string, hubspotId: string): Promise<LinkOutcome | 'raced'> {
  const { rows } = await tx.query<LinkRow>(
    `SELECT id, user_id, hubspot_contact_id, customer_id, email, deleted_at FROM users WHERE user_id = $1 OR hubspot_contact_id = $2 ORDER BY id FOR UPDATE`,
    [userId, hubspotId],
  );
  const user = rows.find((r) => r.user_id === userId);
  const contact = rows.find((r) => r.hubspot_contact_id === hubspotId);
  if (!user || user.deleted_at) return { linked: false, gone: true };
  if (user.hubspot_contact_id !== null) return { linked: true };
  if (!contact) return (await claimContactId(tx, user.id, hubspotId)) ? { linked: true } : 'raced';
  if (contact.user_id !== null) return { linked: false, gone: false, reason: `HubSpot contact ${hubspotId} already belongs to WARP user ${contact.user_id} (HubSpot keeps one contact per email)` };
  if (!sameCustomer(contact, user)) return { linked: false, gone: false, reason: `HubSpot contact ${hubspotId} belongs to another customer's company` };
  await mergeUserIntoContact(tx, user, contact);
  return { linked: true };
}

/**
 * Links WARP user `userId` to HubSpot contact `hubspotId` (what an upsert by email returned). A
 * contact cached without a WARP user is merged with the user, also one whose row a webhook creates
 * at this very moment; one that belongs to another WARP user or to another customer's company is
 * refused with the reason, and nothing changes.
 */
export async function linkUserToContact(tx: Queryable, userId: string, hubspotId: string): Promise<LinkOutcome> {
  const first = await linkOnce(tx, userId, hubspotId);
  if (first !== 'raced') return first;
  // The row that won the race is committed, so this look finds it (and merges or refuses).
  const second = await linkOnce(tx, userId, hubspotId);
  if (second === 'raced') throw new Error(`HubSpot contact ${hubspotId}: its cache row was created and removed while it was linked; the send is retried`);
  return second;
}
