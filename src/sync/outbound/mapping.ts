import { type CrmProperty, outgoingValue, propertiesOf, WARP_COMPANY_PROPERTIES } from '../../domain/crm-catalogue.js';
import type { AccountEvent, AccountEventKind } from '../../store/account-events.js';
import type { Account } from '../../store/accounts.js';
import type { PhoneNumber } from '../../store/numbers.js';
import type { Trunk } from '../../store/trunks.js';
import type { WarpUser } from '../../store/warp-users.js';

/**
 * WARP rows → HubSpot property values, derived from the CRM catalogue (domain/crm-catalogue.ts):
 * a property not produced here never leaves, and the guard (domain/outgoing-guard.ts) checks every
 * payload against `ALLOWED_PROPERTIES`, the WARP-owned properties of each object.
 */

export type OutgoingProperties = Record<string, string | number | boolean | null>;

type Out<O extends 'company' | 'contact' | 'trunk' | 'number'> = NonNullable<ReturnType<typeof propertiesOf<O>>[number]['out']>;
/** Compile-time check that each outbound getter names a field of the record it reads. */
type Reads<R, A, F extends keyof R | `account.${keyof A & string}`> = F;
export type CatalogueGettersExist = [
  Reads<Account, Account, Out<'company'>>,
  Reads<WarpUser, Account, Out<'contact'>>,
  Reads<Trunk, Account, Out<'trunk'>>,
  Reads<PhoneNumber, Account, Out<'number'>>,
];

const outgoing = (object: 'company' | 'contact' | 'trunk' | 'number'): readonly CrmProperty[] =>
  propertiesOf(object).filter((p) => p.owner === 'warp' && p.out !== null);
const OUTGOING = { company: outgoing('company'), contact: outgoing('contact'), trunk: outgoing('trunk'), number: outgoing('number') };
const names = (properties: readonly CrmProperty[]): ReadonlySet<string> => new Set(properties.map((p) => p.name));

export const ALLOWED_PROPERTIES = {
  company: names(OUTGOING.company),
  contact: names(OUTGOING.contact),
  trunk: names(OUTGOING.trunk),
  number: names(OUTGOING.number),
  // A note is its body and its place on the timeline; nothing else.
  note: new Set(['hs_note_body', 'hs_timestamp']),
} as const;

const valuesOf = (properties: readonly CrmProperty[], record: object, account: object): OutgoingProperties =>
  Object.fromEntries(properties.map((p) => [p.name, outgoingValue(p, record, account)]));

export function trunkProperties(trunk: Trunk, account: Account): OutgoingProperties {
  return valuesOf(OUTGOING.trunk, trunk, account);
}

export function numberProperties(number: PhoneNumber, account: Account): OutgoingProperties {
  return valuesOf(OUTGOING.number, number, account);
}

/** The requested WARP-owned company properties (all of them when none are named). */
export function companyProperties(account: Account, fields: readonly string[]): OutgoingProperties {
  const wanted = fields.length > 0 ? WARP_COMPANY_PROPERTIES.filter((p) => fields.includes(p)) : WARP_COMPANY_PROPERTIES;
  return valuesOf(OUTGOING.company.filter((p) => (wanted as readonly string[]).includes(p.name)), account, account);
}

/** Never the key values: only their count (a `warp_api_keys` property is deliberately not in the catalogue). */
export function contactProperties(user: WarpUser): OutgoingProperties {
  return valuesOf(OUTGOING.contact, user, {});
}

const HEADLINES: Record<AccountEventKind, (f: AccountEvent['fields']) => string> = {
  account_created: () => 'WARP account created.',
  account_suspended: () => 'WARP account suspended.',
  account_reactivated: () => 'WARP account reactivated.',
  account_churned: () => 'WARP account closed (churned).',
  credit_limit_changed: () => 'Credit limit changed.',
  payment_method_updated: () => 'Payment method updated.',
  payment_status_changed: () => 'Payment status changed.',
  trunk_created: (f) => `SIP trunk ${String(f.trunk_id)} created.`,
  trunk_modified: (f) => `SIP trunk ${String(f.trunk_id)} modified.`,
  trunk_deleted: (f) => `SIP trunk ${String(f.trunk_id)} deleted.`,
  numbers_purchased: (f) => `Number ${String(f.number)} purchased.`,
  numbers_ported: (f) => `Port-in of number ${String(f.number)} started.`,
  numbers_released: (f) => `Number ${String(f.number)} released.`,
  e911_updated: (f) => `E911 address of ${String(f.number)} updated.`,
  campaign_registered: (f) => `10DLC campaign ${String(f.campaign_id)} registered (${String(f.use_case)}).`,
  spend_threshold_reached: (f) => `Threshold alert: ${String(f.share_of_limit_pct)} % of the credit limit spent in ${String(f.month)}.`,
  spend_limit_reached: () => 'Spend reached the credit limit: trunks limited.',
  spend_below_limit: () => 'Spend is below the credit limit again: limited trunks restored.',
  first_successful_call: () => 'First successful call.',
};

/** Marker in every note body, so a retry can find a note an earlier attempt already created. */
export const eventMarker = (eventId: string): string => `warp-event-${eventId}`;

/** The note for an event: a short human sentence, then its fields, then the marker. */
export function eventNoteProperties(event: AccountEvent): OutgoingProperties {
  const lines = [HEADLINES[event.kind](event.fields)];
  if (event.changeCount > 1) lines.push(`(${event.changeCount} changes)`);
  for (const [name, value] of Object.entries(event.fields)) if (value !== null) lines.push(`${name}: ${String(value)}`);
  lines.push(`[${eventMarker(event.id)}]`);
  return { hs_note_body: lines.join('\n'), hs_timestamp: event.occurredAt.toISOString() };
}
