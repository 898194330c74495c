import type { PropertyDefinition, SchemaDefinition } from './types.js';

/**
 * What WARP needs in a HubSpot portal: the custom properties the seed lists for companies,
 * contacts and tickets (in a `warp` property group), and the custom objects Trunks and Numbers.
 * Provisioning (provision.ts) makes a portal match this; nothing else writes definitions.
 *
 * Decisions where the seed is loose:
 * - `warp_api_keys` (seed, contact mapping) is not created: PRODUCT.md says HubSpot never receives
 *   API key values, only `warp_api_key_count`.
 * - `warp_tier` (seed mapping) and `warp_service_tier` (seed property list) are both created with
 *   the same options; src/sync/ownership.ts knows both.
 * - Money is `number` with `numberDisplayHint: currency` (HubSpot has no currency type, §6):
 *   `warp_mrr`, `warp_mtd_spend`, `monthly_cost`. `warp_credit_limit` stays a plain number as the
 *   seed types it.
 * - `warp_ban` and `warp_user_id` are unique (upserts address records by them); unique values can
 *   only be set when a property is created, so this is decided now.
 * - Trunk `status` has the four states of migrations/0002 (active, suspended, limited, disabled).
 */

export const WARP_GROUP = { name: 'warp', label: 'WARP', displayOrder: -1 } as const;

type Def = Omit<PropertyDefinition, 'groupName'>;

const text = (name: string, label: string, description: string, extra: Partial<Def> = {}): Def => ({
  name, label, description, type: 'string', fieldType: 'text', ...extra,
});
const number = (name: string, label: string, description: string): Def => ({ name, label, description, type: 'number', fieldType: 'number' });
const currency = (name: string, label: string, description: string): Def => ({
  name, label, description, type: 'number', fieldType: 'number', numberDisplayHint: 'currency', showCurrencySymbol: true,
});
// Options spelled out: the portal shows them as the checkbox's Yes/No values.
const bool = (name: string, label: string, description: string): Def => ({
  name, label, description, type: 'bool', fieldType: 'booleancheckbox',
  options: [{ label: 'Yes', value: 'true', displayOrder: 0 }, { label: 'No', value: 'false', displayOrder: 1 }],
});
const datetime = (name: string, label: string, description: string): Def => ({ name, label, description, type: 'datetime', fieldType: 'date' });
const date = (name: string, label: string, description: string): Def => ({ name, label, description, type: 'date', fieldType: 'date' });
const select = (name: string, label: string, description: string, values: string[], fieldType = 'select'): Def => ({
  name, label, description, type: 'enumeration', fieldType,
  options: values.map((value, displayOrder) => ({ value, label: value.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase()), displayOrder })),
});

const TIERS = ['starter', 'growth', 'enterprise'];

export const COMPANY_PROPERTIES: Def[] = [
  text('warp_ban', 'WARP BAN', 'Billing account number issued by WARP', { hasUniqueValue: true }),
  select('warp_status', 'WARP status', 'Account status in WARP', ['active', 'suspended', 'churned']),
  select('warp_tier', 'WARP tier', 'Commercial tier', TIERS),
  select('warp_service_tier', 'WARP service tier', 'Service tier', TIERS),
  currency('warp_mrr', 'WARP MRR', 'Monthly recurring revenue'),
  date('warp_contract_end', 'WARP contract end', 'End of the current contract'),
  number('warp_credit_limit', 'WARP credit limit', 'Spend limit; trunks are limited at or above it'),
  text('warp_payment_terms', 'WARP payment terms', 'e.g. NET30'),
  select('warp_payment_method', 'WARP payment method', 'How the customer pays', ['card', 'ach', 'wire']),
  select('warp_payment_status', 'WARP payment status', 'Payment standing', ['current', 'past_due', 'suspended']),
  number('warp_mtd_minutes', 'WARP minutes (month to date)', 'Voice minutes used this month'),
  currency('warp_mtd_spend', 'WARP spend (month to date)', 'Spend this month'),
  number('warp_trunk_count', 'WARP trunks', 'Number of SIP trunks'),
  number('warp_number_count', 'WARP numbers', 'Number of phone numbers'),
  bool('warp_api_enabled', 'WARP API enabled', 'API access enabled'),
  bool('warp_sms_enabled', 'WARP SMS enabled', 'Messaging enabled'),
  text('warp_tcr_brand_id', 'WARP TCR brand id', '10DLC brand registration id'),
  select('warp_resporg_status', 'WARP RespOrg status', 'Toll-free RespOrg status', ['none', 'pending', 'active']),
  number('warp_10dlc_campaign_count', 'WARP 10DLC campaigns', 'Registered 10DLC messaging campaigns'),
];

export const CONTACT_PROPERTIES: Def[] = [
  text('warp_user_id', 'WARP user id', 'WARP user id (usr_…)', { hasUniqueValue: true }),
  select('warp_role', 'WARP role', 'Role in the WARP portal', ['admin', 'developer', 'billing', 'readonly']),
  bool('warp_2fa_enabled', 'WARP 2FA enabled', 'Two-factor authentication enabled'),
  number('warp_api_key_count', 'WARP API keys', 'Number of API keys (never their values)'),
  datetime('warp_last_login', 'WARP last login', 'Last login to the WARP portal'),
  datetime('warp_last_api_call', 'WARP last API call', 'Last API call made with one of the user\'s keys'),
];

export const TICKET_PROPERTIES: Def[] = [
  select('warp_issue_type', 'WARP issue type', 'Area of the problem', ['voice', 'sms', 'billing', 'api', 'portal']),
  text('warp_trunk_id', 'WARP trunk id', 'Trunk the ticket is about'),
  text('warp_call_id', 'WARP call id', 'Related call id'),
  select('warp_severity', 'WARP severity', 'Severity set by WARP', ['critical', 'high', 'medium', 'low']),
  datetime('warp_sla_breach', 'WARP SLA breach', 'When the SLA will be breached'),
  text('warp_technical_details', 'WARP technical details', 'JSON with technical data', { fieldType: 'textarea' }),
];

/** Standard objects and their WARP properties, in provisioning order. */
export const STANDARD_OBJECT_PROPERTIES: ReadonlyArray<{ objectType: string; properties: Def[] }> = [
  { objectType: 'companies', properties: COMPANY_PROPERTIES },
  { objectType: 'contacts', properties: CONTACT_PROPERTIES },
  { objectType: 'tickets', properties: TICKET_PROPERTIES },
];

/** HubSpot's object type id of companies (hubspot-api.md §5). */
export const COMPANY_OBJECT_TYPE_ID = '0-2';

export const TRUNK_SCHEMA: SchemaDefinition = {
  name: 'trunks',
  labels: { singular: 'Trunk', plural: 'Trunks' },
  description: 'WARP SIP trunks',
  primaryDisplayProperty: 'name',
  secondaryDisplayProperties: ['trunk_id', 'status'],
  searchableProperties: ['name', 'trunk_id'],
  requiredProperties: ['trunk_id'],
  associatedObjects: [COMPANY_OBJECT_TYPE_ID],
  properties: [
    text('name', 'Name', 'Trunk name'),
    text('trunk_id', 'Trunk id', 'WARP trunk id (trunk_…)', { hasUniqueValue: true }),
    text('company_id', 'Company BAN', 'BAN of the customer'),
    select('status', 'Status', 'Trunk state in WARP', ['active', 'suspended', 'limited', 'disabled']),
    text('ip_addresses', 'IP addresses', 'Allowed IP addresses, separated by semicolons', { fieldType: 'textarea' }),
    number('concurrent_calls', 'Concurrent calls', 'Channel limit'),
    number('monthly_minutes', 'Monthly minutes', 'Minutes included per month'),
    date('created_date', 'Created', 'When the trunk was created'),
    text('partition_id', 'Partition id', 'WARP partition'),
  ],
};

/** Numbers are associated with companies here; the association to Trunks is added once both exist. */
export const NUMBER_SCHEMA: SchemaDefinition = {
  name: 'numbers',
  labels: { singular: 'Number', plural: 'Numbers' },
  description: 'WARP phone numbers',
  primaryDisplayProperty: 'number',
  secondaryDisplayProperties: ['type', 'trunk_id'],
  searchableProperties: ['number', 'cnam'],
  requiredProperties: ['number'],
  associatedObjects: [COMPANY_OBJECT_TYPE_ID],
  properties: [
    text('number', 'Number', 'E.164 phone number', { hasUniqueValue: true }),
    text('company_id', 'Company BAN', 'BAN of the customer'),
    text('trunk_id', 'Trunk id', 'Trunk the number routes to'),
    select('type', 'Type', 'Number type', ['local', 'tollfree', 'mobile']),
    select('capabilities', 'Capabilities', 'What the number can do', ['voice', 'sms', 'mms', 'fax'], 'checkbox'),
    currency('monthly_cost', 'Monthly cost', 'Recurring cost per month'),
    text('e911_address', 'E911 address', 'Registered emergency address'),
    text('cnam', 'CNAM', 'Caller name'),
  ],
};
