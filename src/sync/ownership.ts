/**
 * Who owns which field (PRODUCT.md, "Field ownership"): HubSpot owns customer master data, WARP
 * owns technical configuration and measured facts. A change from the side that does not own a
 * field is not applied; it is recorded as a conflict and the owner's value is written back.
 *
 * Keys are HubSpot property names; the cache column each maps to is decided by the mapping code.
 */

export const SYNC_SIDES = ['hubspot', 'warp'] as const;
export type SyncSide = (typeof SYNC_SIDES)[number];

export const SYNCED_OBJECT_TYPES = ['company', 'contact', 'trunk', 'number', 'ticket'] as const;
export type SyncedObjectType = (typeof SYNCED_OBJECT_TYPES)[number];

const COMPANY_FIELDS = {
  name: 'hubspot',
  domain: 'hubspot',
  industry: 'hubspot',
  warp_tier: 'hubspot',
  warp_service_tier: 'hubspot',
  warp_credit_limit: 'hubspot',
  warp_payment_terms: 'hubspot',
  warp_contract_end: 'hubspot',
  warp_ban: 'warp',
  warp_status: 'warp',
  warp_payment_method: 'warp',
  warp_payment_status: 'warp',
  warp_mrr: 'warp',
  warp_mtd_minutes: 'warp',
  warp_mtd_spend: 'warp',
  warp_trunk_count: 'warp',
  warp_number_count: 'warp',
  warp_api_enabled: 'warp',
  warp_sms_enabled: 'warp',
  warp_tcr_brand_id: 'warp',
  warp_resporg_status: 'warp',
  warp_10dlc_campaign_count: 'warp',
} as const satisfies Record<string, SyncSide>;

const CONTACT_FIELDS = {
  email: 'hubspot',
  firstname: 'hubspot',
  lastname: 'hubspot',
  phone: 'hubspot',
  warp_user_id: 'warp',
  warp_role: 'warp',
  warp_2fa_enabled: 'warp',
  warp_last_login: 'warp',
  warp_api_key_count: 'warp',
  warp_last_api_call: 'warp',
} as const satisfies Record<string, SyncSide>;

/** Every trunk and number field is WARP's: HubSpot only displays them. */
const TRUNK_FIELDS = {
  name: 'warp',
  trunk_id: 'warp',
  company_id: 'warp',
  status: 'warp',
  ip_addresses: 'warp',
  concurrent_calls: 'warp',
  monthly_minutes: 'warp',
  created_date: 'warp',
  partition_id: 'warp',
} as const satisfies Record<string, SyncSide>;

const NUMBER_FIELDS = {
  number: 'warp',
  company_id: 'warp',
  trunk_id: 'warp',
  type: 'warp',
  capabilities: 'warp',
  monthly_cost: 'warp',
  e911_address: 'warp',
  cnam: 'warp',
} as const satisfies Record<string, SyncSide>;

/** Tickets: agents own what they edit; WARP owns the technical fields it created the ticket with. */
const TICKET_FIELDS = {
  warp_issue_type: 'warp',
  warp_trunk_id: 'warp',
  warp_call_id: 'warp',
  warp_severity: 'warp',
  warp_sla_breach: 'warp',
  warp_technical_details: 'warp',
} as const satisfies Record<string, SyncSide>;

export const FIELD_OWNERS: Readonly<Record<SyncedObjectType, Readonly<Record<string, SyncSide>>>> = {
  company: COMPANY_FIELDS,
  contact: CONTACT_FIELDS,
  trunk: TRUNK_FIELDS,
  number: NUMBER_FIELDS,
  ticket: TICKET_FIELDS,
};

/**
 * The owner of a field, or undefined when we do not sync it (unknown properties are recorded,
 * never applied). Ticket fields not listed belong to HubSpot (support agents).
 */
export function fieldOwner(objectType: SyncedObjectType, property: string): SyncSide | undefined {
  const owner = FIELD_OWNERS[objectType][property];
  if (owner) return owner;
  return objectType === 'ticket' ? 'hubspot' : undefined;
}

/** True when a change of `property` coming from `side` may be applied. */
export function mayWrite(objectType: SyncedObjectType, property: string, side: SyncSide): boolean {
  return fieldOwner(objectType, property) === side;
}
