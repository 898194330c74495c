import type { Queryable } from '../db/pool.js';

/**
 * Erasure of a person's data after a GDPR deletion in HubSpot (`contact.privacyDeletion`): the
 * personal columns of the cached contact, which is also the WARP user when one is linked (the
 * row keeps its ids, role and counters, which are WARP's facts, not the person's), and every value
 * the contact's webhook events carried, in the inbox and in the stored request bodies. The audit
 * trail never held the values (personal fields are recorded as `{"changed": true}`).
 */

const PERSONAL_COLUMNS = ['email', 'firstname', 'lastname', 'phone'] as const;

/** Nulls the personal columns of the contact's cache row; returns the columns that held a value. */
export async function erasePersonalColumns(tx: Queryable, hubspotContactId: string): Promise<string[]> {
  const { rows } = await tx.query<Record<(typeof PERSONAL_COLUMNS)[number], boolean>>(
    `WITH old AS (SELECT id, ${PERSONAL_COLUMNS.map((c) => `${c} IS NOT NULL AS ${c}`).join(', ')} FROM users WHERE hubspot_contact_id = $1 FOR UPDATE)
     UPDATE users u SET ${PERSONAL_COLUMNS.map((c) => `${c} = NULL`).join(', ')}, version = version + 1, updated_at = now()
     FROM old WHERE u.id = old.id AND (${PERSONAL_COLUMNS.map((c) => `old.${c}`).join(' OR ')})
     RETURNING ${PERSONAL_COLUMNS.map((c) => `old.${c}`).join(', ')}`,
    [hubspotContactId],
  );
  const row = rows[0];
  return row ? PERSONAL_COLUMNS.filter((c) => row[c]) : [];
}

/** True when a stored webhook event is about this contact (legacy `contact.*` or generic `0-1`). */
const isContactEvent = (event: Record<string, unknown>, hubspotContactId: string): boolean => {
  const named = event['subscriptionType'] ?? event['eventType'];
  const type = typeof named === 'string' ? named : '';
  const aboutContact = type.startsWith('contact.') || (type.startsWith('object.') && event['objectTypeId'] === '0-1');
  const objectId = event['objectId'];
  return aboutContact && (typeof objectId === 'number' || typeof objectId === 'string') && String(objectId) === hubspotContactId;
};

/**
 * Blanks the `propertyValue` of every stored event of the contact: inbox rows and the request
 * bodies they came from. Returns how many inbox rows and bodies changed.
 */
export async function blankContactEventValues(tx: Queryable, hubspotContactId: string): Promise<{ events: number; bodies: number }> {
  const events = await tx.query(
    `UPDATE webhook_inbox SET event = jsonb_set(event, '{propertyValue}', '""')
     WHERE object_id = $1 AND event ? 'propertyValue' AND event->>'propertyValue' <> ''
       AND (subscription_type LIKE 'contact.%' OR (subscription_type LIKE 'object.%' AND event->>'objectTypeId' = '0-1'))`,
    [hubspotContactId],
  );
  // Bodies are text as received; the id's digits narrow the candidates, the JSON decides.
  const { rows } = await tx.query<{ id: string; body: string }>(`SELECT id, body FROM webhook_batches WHERE strpos(body, $1) > 0 FOR UPDATE`, [hubspotContactId]);
  let bodies = 0;
  for (const batch of rows) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(batch.body);
    } catch {
      continue;
    }
    if (!Array.isArray(parsed)) continue;
    let changed = false;
    for (const event of parsed as unknown[]) {
      if (event === null || typeof event !== 'object') continue;
      const record = event as Record<string, unknown>;
      if (isContactEvent(record, hubspotContactId) && 'propertyValue' in record && record['propertyValue'] !== '') {
        record['propertyValue'] = '';
        changed = true;
      }
    }
    if (!changed) continue;
    await tx.query('UPDATE webhook_batches SET body = $2 WHERE id = $1', [batch.id, JSON.stringify(parsed)]);
    bodies++;
  }
  return { events: events.rowCount ?? 0, bodies };
}
