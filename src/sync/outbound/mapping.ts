import type { AccountEvent, AccountEventKind } from '../../store/account-events.js';
import type { Account } from '../../store/accounts.js';
import type { PhoneNumber } from '../../store/numbers.js';
import type { Trunk } from '../../store/trunks.js';
import type { WarpUser } from '../../store/warp-users.js';
import { FIELD_OWNERS, type SyncedObjectType } from '../ownership.js';
import { WARP_COMPANY_PROPERTIES, type WarpCompanyProperty } from './company-properties.js';

/**
 * WARP rows → HubSpot property values. These functions ARE the mapping: a property not produced
 * here never leaves, and the guard (guard.ts) checks every payload against `ALLOWED_PROPERTIES`,
 * which is derived from the ownership table (only WARP-owned fields).
 */

export type OutgoingProperties = Record<string, string | number | boolean | null>;

const warpOwned = (type: SyncedObjectType): ReadonlySet<string> =>
  new Set(Object.entries(FIELD_OWNERS[type]).filter(([, owner]) => owner === 'warp').map(([name]) => name));

export const ALLOWED_PROPERTIES = {
  company: warpOwned('company'),
  contact: warpOwned('contact'),
  trunk: warpOwned('trunk'),
  number: warpOwned('number'),
  // A note is its body and its place on the timeline; nothing else.
  note: new Set(['hs_note_body', 'hs_timestamp']),
} as const;

/** HubSpot custom object names (the gateway's provisioning creates them) and unique id properties. */
export const HUBSPOT_OBJECTS = {
  trunk: { objectType: 'trunks', idProperty: 'trunk_id' },
  number: { objectType: 'numbers', idProperty: 'number' },
  company: { objectType: 'companies', idProperty: 'warp_ban' },
  contact: { objectType: 'contacts', idProperty: 'warp_user_id' },
} as const;

/** HubSpot-defined association type ids (hubspot-api.md §7). */
export const NOTE_TO_COMPANY_TYPE_ID = 190;

// Multi-value text goes out `;`-separated, HubSpot's convention for multiple values.
const list = (values: readonly string[]): string => values.join(';');

export function trunkProperties(trunk: Trunk, account: Account): OutgoingProperties {
  return {
    name: trunk.name,
    trunk_id: trunk.trunkId,
    company_id: account.ban,
    status: trunk.status,
    ip_addresses: list(trunk.ipAddresses),
    concurrent_calls: trunk.concurrentCalls,
    monthly_minutes: trunk.monthlyMinutes,
    created_date: trunk.createdDate,
    partition_id: trunk.partitionId,
  };
}

export function numberProperties(number: PhoneNumber, account: Account): OutgoingProperties {
  return {
    number: number.number,
    company_id: account.ban,
    trunk_id: number.trunkId,
    type: number.type,
    capabilities: list(number.capabilities),
    monthly_cost: number.monthlyCost,
    e911_address: number.e911Address,
    cnam: number.cnam,
  };
}

const COMPANY_VALUES: Record<WarpCompanyProperty, (a: Account) => string | number | boolean | null> = {
  warp_ban: (a) => a.ban,
  warp_status: (a) => a.status,
  warp_payment_method: (a) => a.paymentMethod,
  warp_payment_status: (a) => a.paymentStatus,
  warp_mrr: (a) => a.mrr,
  warp_mtd_minutes: (a) => a.mtdMinutes,
  warp_mtd_spend: (a) => a.mtdSpend,
  warp_trunk_count: (a) => a.trunkCount,
  warp_number_count: (a) => a.numberCount,
  warp_api_enabled: (a) => a.apiEnabled,
  warp_sms_enabled: (a) => a.smsEnabled,
  warp_tcr_brand_id: (a) => a.tcrBrandId,
  warp_resporg_status: (a) => a.resporgStatus,
  warp_10dlc_campaign_count: (a) => a.campaignCount,
};

/** The requested WARP-owned company properties (all of them when none are named). */
export function companyProperties(account: Account, fields: readonly string[]): OutgoingProperties {
  const names = fields.length > 0 ? WARP_COMPANY_PROPERTIES.filter((p) => fields.includes(p)) : WARP_COMPANY_PROPERTIES;
  return Object.fromEntries(names.map((name) => [name, COMPANY_VALUES[name](account)]));
}

/** Never the key values: only their count (seed `warp_api_keys` is deliberately not mapped). */
export function contactProperties(user: WarpUser): OutgoingProperties {
  return {
    warp_user_id: user.userId,
    warp_role: user.role,
    warp_2fa_enabled: user.twofaEnabled,
    warp_last_login: user.lastLogin?.toISOString() ?? null,
    warp_api_key_count: user.apiKeyCount,
    warp_last_api_call: user.lastApiCall?.toISOString() ?? null,
  };
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
