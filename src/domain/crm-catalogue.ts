import {
  boolField, builtIn, type CacheValue, canonicalValue, checkboxField, dateField, datetimeField, defaultParser, type FieldSpec, numberField,
  parseBan, parseCount, parseNonNegativeDecimal, parseText, type Parser, parseUserId, selectField, textareaField, textField,
} from './crm-values.js';
import type { CrmObject, InboundObjectType } from './hubspot-objects.js';
import {
  ACCOUNT_STATUSES, CUSTOMER_TIERS, NUMBER_CAPABILITIES, NUMBER_TYPES, PAYMENT_METHODS, PAYMENT_STATUSES, RESPORG_STATUSES,
  TICKET_ISSUE_TYPES, TICKET_SEVERITIES, TRUNK_STATUSES, USER_ROLES,
} from './value-sets.js';

/**
 * Every CRM property WARP syncs, once. Provisioning (hubspot/warp-crm-model.ts), field ownership
 * (domain/ownership.ts), the inbound mapping and webhook subscriptions (sync/inbound), the outbound
 * mapping and the outgoing guard's allow-list (sync/outbound) are all derived from this table.
 * Adding a property is one row here plus a migration for its cache column (docs/architecture.md).
 *
 * Columns of a row:
 * - owner: the side whose changes are applied (docs/product-rules.md "Field ownership");
 * - column: the cache column inbound changes land in (`customers`, `users`, `deals`); null when the
 *   value is not cached: roll-ups computed from WARP's rows, and the custom objects' fields, which
 *   only ever go out;
 * - out: what the outbound sync sends, the field of the WARP record (`Account`, `WarpUser`, `Trunk`,
 *   `PhoneNumber`; `account.…` is the owning account's field); arrays go out `;`-separated, times as ISO;
 * - extra: another parser than the field type's, and `pii` (the audit trail records only "changed").
 */

export const SYNC_SIDES = ['hubspot', 'warp'] as const;
export type SyncSide = (typeof SYNC_SIDES)[number];

interface Extra {
  parse?: Parser;
  pii?: boolean;
}

export interface CrmProperty {
  object: CrmObject;
  name: string;
  owner: SyncSide;
  field: FieldSpec;
  column: string | null;
  out: string | null;
  label: string;
  description: string;
  parse: Parser;
  pii: boolean;
}

function row<const O extends CrmObject, const N extends string, const S extends SyncSide, const C extends string | null, const F extends string | null>(
  object: O, name: N, owner: S, field: FieldSpec, column: C, out: F, label: string, description: string, extra: Extra = {},
): CrmProperty & { object: O; name: N; owner: S; column: C; out: F } {
  return { object, name, owner, field, column, out, label, description, parse: extra.parse ?? defaultParser(field), pii: extra.pii ?? false };
}

export const CRM_PROPERTIES = [
  // object    HubSpot name              owner      HubSpot type                          cache column      outbound        label, description
  row('company', 'name',                 'hubspot', builtIn('string'),                    'name',           null,           'Name', 'Company name'),
  row('company', 'domain',               'hubspot', builtIn('string', 255),               'domain',         null,           'Domain', 'Company domain'),
  row('company', 'industry',             'hubspot', builtIn('string', 255),               'industry',       null,           'Industry', 'Industry'),
  row('company', 'warp_tier',            'hubspot', selectField(CUSTOMER_TIERS),          'tier',           null,           'WARP tier', 'Commercial tier'),
  row('company', 'warp_service_tier',    'hubspot', selectField(CUSTOMER_TIERS),          'service_tier',   null,           'WARP service tier', 'Service tier'),
  row('company', 'warp_credit_limit',    'hubspot', numberField(),                        'credit_limit',   null,           'WARP credit limit', 'Spend limit; trunks are limited at or above it', { parse: parseNonNegativeDecimal }),
  row('company', 'warp_payment_terms',   'hubspot', textField(),                          'payment_terms',  null,           'WARP payment terms', 'e.g. NET30', { parse: parseText(100) }),
  row('company', 'warp_contract_end',    'hubspot', dateField(),                          'contract_end',   null,           'WARP contract end', 'End of the current contract'),
  row('company', 'warp_ban',             'warp',    textField({ unique: true }),          'ban',            'ban',          'WARP BAN', 'Billing account number issued by WARP', { parse: parseBan }),
  row('company', 'warp_status',          'warp',    selectField(ACCOUNT_STATUSES),        'status',         'status',       'WARP status', 'Account status in WARP'),
  row('company', 'warp_payment_method',  'warp',    selectField(PAYMENT_METHODS),         'payment_method', 'paymentMethod', 'WARP payment method', 'How the customer pays'),
  row('company', 'warp_payment_status',  'warp',    selectField(PAYMENT_STATUSES),        'payment_status', 'paymentStatus', 'WARP payment status', 'Payment standing'),
  row('company', 'warp_mrr',             'warp',    numberField({ currency: true }),      'mrr',            'mrr',          'WARP MRR', 'Monthly recurring revenue'),
  row('company', 'warp_mtd_minutes',     'warp',    numberField(),                        'mtd_minutes',    'mtdMinutes',   'WARP minutes (month to date)', 'Voice minutes used this month', { parse: parseCount }),
  row('company', 'warp_mtd_spend',       'warp',    numberField({ currency: true }),      'mtd_spend',      'mtdSpend',     'WARP spend (month to date)', 'Spend this month'),
  row('company', 'warp_trunk_count',     'warp',    numberField(),                        null,             'trunkCount',   'WARP trunks', 'Number of SIP trunks'),
  row('company', 'warp_number_count',    'warp',    numberField(),                        null,             'numberCount',  'WARP numbers', 'Number of phone numbers'),
  row('company', 'warp_api_enabled',     'warp',    boolField(),                          'api_enabled',    'apiEnabled',   'WARP API enabled', 'API access enabled'),
  row('company', 'warp_sms_enabled',     'warp',    boolField(),                          'sms_enabled',    'smsEnabled',   'WARP SMS enabled', 'Messaging enabled'),
  row('company', 'warp_tcr_brand_id',    'warp',    textField(),                          'tcr_brand_id',   'tcrBrandId',   'WARP TCR brand id', '10DLC brand registration id', { parse: parseText(100) }),
  row('company', 'warp_resporg_status',  'warp',    selectField(RESPORG_STATUSES),        'resporg_status', 'resporgStatus', 'WARP RespOrg status', 'Toll-free RespOrg status'),
  row('company', 'warp_10dlc_campaign_count', 'warp', numberField(),                     null,             'campaignCount', 'WARP 10DLC campaigns', 'Registered 10DLC messaging campaigns'),
  row('company', 'warp_active_calls',    'warp',    numberField(),                        'active_calls',   'activeCalls',  'WARP active calls', 'Calls in progress on the customer\'s trunks (latest samples)', { parse: parseCount }),

  row('contact', 'email',                'hubspot', builtIn('string', 320),               'email',          null,           'Email', 'Email', { pii: true }),
  row('contact', 'firstname',            'hubspot', builtIn('string', 200),               'firstname',      null,           'First name', 'First name', { pii: true }),
  row('contact', 'lastname',             'hubspot', builtIn('string', 200),               'lastname',       null,           'Last name', 'Last name', { pii: true }),
  row('contact', 'phone',                'hubspot', builtIn('string', 50),                'phone',          null,           'Phone', 'Phone number', { pii: true }),
  row('contact', 'warp_user_id',         'warp',    textField({ unique: true }),          'user_id',        'userId',       'WARP user id', 'WARP user id (usr_…)', { parse: parseUserId }),
  row('contact', 'warp_role',            'warp',    selectField(USER_ROLES),              'role',           'role',         'WARP role', 'Role in the WARP portal'),
  row('contact', 'warp_2fa_enabled',     'warp',    boolField(),                          'twofa_enabled',  'twofaEnabled', 'WARP 2FA enabled', 'Two-factor authentication enabled'),
  row('contact', 'warp_api_key_count',   'warp',    numberField(),                        'api_key_count',  'apiKeyCount',  'WARP API keys', 'Number of API keys (never their values)', { parse: parseCount }),
  row('contact', 'warp_last_login',      'warp',    datetimeField(),                      'last_login',     'lastLogin',    'WARP last login', 'Last login to the WARP portal'),
  row('contact', 'warp_last_api_call',   'warp',    datetimeField(),                      'last_api_call',  'lastApiCall',  'WARP last API call', 'Last API call made with one of the user\'s keys'),

  // Deals are HubSpot's entirely (the sales pipeline); WARP reads them to start onboarding.
  row('deal',    'dealname',             'hubspot', builtIn('string'),                    'name',           null,           'Deal name', 'Deal name'),
  row('deal',    'pipeline',             'hubspot', builtIn('enumeration', 100),          'pipeline',       null,           'Pipeline', 'Pipeline id'),
  row('deal',    'dealstage',            'hubspot', builtIn('enumeration', 100),          'stage',          null,           'Deal stage', 'Stage id'),
  row('deal',    'amount',               'hubspot', builtIn('number'),                    'amount',         null,           'Amount', 'Deal amount'),

  // Tickets: support agents own what they edit; WARP owns the technical fields it creates them with.
  row('ticket',  'warp_issue_type',      'warp',    selectField(TICKET_ISSUE_TYPES),      null,             null,           'WARP issue type', 'Area of the problem'),
  row('ticket',  'warp_trunk_id',        'warp',    textField(),                          null,             null,           'WARP trunk id', 'Trunk the ticket is about'),
  row('ticket',  'warp_call_id',         'warp',    textField(),                          null,             null,           'WARP call id', 'Related call id'),
  row('ticket',  'warp_severity',        'warp',    selectField(TICKET_SEVERITIES),       null,             null,           'WARP severity', 'Severity set by WARP'),
  row('ticket',  'warp_sla_breach',      'warp',    datetimeField(),                      null,             null,           'WARP SLA breach', 'When the SLA will be breached'),
  row('ticket',  'warp_technical_details', 'warp',  textareaField(),                      null,             null,           'WARP technical details', 'JSON with technical data'),

  // Custom objects: every field is WARP's; HubSpot only displays them.
  row('trunk',   'name',                 'warp',    textField(),                          null,             'name',         'Name', 'Trunk name'),
  row('trunk',   'trunk_id',             'warp',    textField({ unique: true }),          null,             'trunkId',      'Trunk id', 'WARP trunk id (trunk_…)'),
  row('trunk',   'company_id',           'warp',    textField(),                          null,             'account.ban',  'Company BAN', 'BAN of the customer'),
  row('trunk',   'status',               'warp',    selectField(TRUNK_STATUSES),          null,             'status',       'Status', 'Trunk state in WARP'),
  row('trunk',   'ip_addresses',         'warp',    textareaField(),                      null,             'ipAddresses',  'IP addresses', 'Allowed IP addresses, separated by semicolons'),
  row('trunk',   'concurrent_calls',     'warp',    numberField(),                        null,             'concurrentCalls', 'Concurrent calls', 'Channel limit'),
  row('trunk',   'monthly_minutes',      'warp',    numberField(),                        null,             'monthlyMinutes', 'Monthly minutes', 'Minutes included per month'),
  row('trunk',   'created_date',         'warp',    dateField(),                          null,             'createdDate',  'Created', 'When the trunk was created'),
  row('trunk',   'partition_id',         'warp',    textField(),                          null,             'partitionId',  'Partition id', 'WARP partition'),
  row('trunk',   'peak_concurrent_calls', 'warp',   numberField(),                        null,             'peakConcurrentCalls', 'Peak concurrent calls', 'Highest concurrent calls in the last full hour'),
  row('trunk',   'utilization_pct',      'warp',    numberField(),                        null,             'utilizationPct', 'Utilization %', 'Peak concurrent calls of the last full hour as a share of the channel limit'),

  row('number',  'number',               'warp',    textField({ unique: true }),          null,             'number',       'Number', 'E.164 phone number'),
  row('number',  'company_id',           'warp',    textField(),                          null,             'account.ban',  'Company BAN', 'BAN of the customer'),
  row('number',  'trunk_id',             'warp',    textField(),                          null,             'trunkId',      'Trunk id', 'Trunk the number routes to'),
  row('number',  'type',                 'warp',    selectField(NUMBER_TYPES),            null,             'type',         'Type', 'Number type'),
  row('number',  'capabilities',         'warp',    checkboxField(NUMBER_CAPABILITIES),   null,             'capabilities', 'Capabilities', 'What the number can do'),
  row('number',  'monthly_cost',         'warp',    numberField({ currency: true }),      null,             'monthlyCost',  'Monthly cost', 'Recurring cost per month'),
  row('number',  'e911_address',         'warp',    textField(),                          null,             'e911Address',  'E911 address', 'Registered emergency address'),
  row('number',  'cnam',                 'warp',    textField(),                          null,             'cnam',         'CNAM', 'Caller name'),
] as const;

export type CatalogueRow = (typeof CRM_PROPERTIES)[number];
type RowsOf<O extends CrmObject, S extends SyncSide = SyncSide> = Extract<CatalogueRow, { object: O; owner: S }>;

/** The catalogue rows of one object, in table order. */
export function propertiesOf<O extends CrmObject>(object: O): ReadonlyArray<RowsOf<O>> {
  return CRM_PROPERTIES.filter((p): p is RowsOf<O> => p.object === object);
}

/** The row for a HubSpot property of an object; undefined when WARP does not sync it. */
export function crmProperty(object: CrmObject, name: string): CatalogueRow | undefined {
  return CRM_PROPERTIES.find((p) => p.object === object && p.name === name);
}

/** Every HubSpot property inbound sync reads for an object (full-record fetches ask for exactly these). */
export function syncedProperties(objectType: InboundObjectType): string[] {
  return propertiesOf(objectType).map((p) => p.name);
}

/** What a WARP-owned property sends, read from the WARP record (and its account for `account.…`). */
export function outgoingValue(property: CrmProperty, record: object, account: object): string | number | boolean | null {
  if (property.out === null) throw new Error(`${property.object}.${property.name} is not sent to HubSpot`);
  const [source, field] = property.out.startsWith('account.') ? [account, property.out.slice('account.'.length)] : [record, property.out];
  const value: unknown = (source as Record<string, unknown>)[field];
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(String).join(';');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new Error(`${property.object}.${property.name}: unexpected value type`);
}

export type WarpCompanyProperty = RowsOf<'company', 'warp'>['name'];

/** The company properties WARP owns: only these ever go out on a company write. */
export const WARP_COMPANY_PROPERTIES: readonly WarpCompanyProperty[] = propertiesOf('company')
  .filter((p): p is RowsOf<'company', 'warp'> => p.owner === 'warp')
  .map((p) => p.name);

/** Roll-ups: WARP-owned company facts computed from WARP's rows when the company write is sent. */
export const ROLLUP_PROPERTIES: readonly WarpCompanyProperty[] = propertiesOf('company')
  .filter((p): p is Extract<RowsOf<'company', 'warp'>, { column: null }> => p.owner === 'warp' && p.column === null)
  .map((p) => p.name);

export function isWarpCompanyProperty(name: string): name is WarpCompanyProperty {
  return (WARP_COMPANY_PROPERTIES as readonly string[]).includes(name);
}

/** The form a value is compared in: `0` and `0.00`, or one instant in two spellings, are no conflict. */
export function sameValue(property: CrmProperty, a: CacheValue, b: CacheValue): boolean {
  return canonicalValue(property.field, a) === canonicalValue(property.field, b);
}
