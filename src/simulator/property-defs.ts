/**
 * Property definitions: the type/fieldType table, value validation and normalisation, and the
 * HubSpot-defined default properties of standard objects (docs/hubspot-facts.md "Properties").
 */
import type { PropertyValueError } from './errors.js';

export const propertyTypes = ['string', 'number', 'date', 'datetime', 'enumeration', 'bool', 'phone_number', 'object_coordinates', 'json'] as const;
export type PropertyType = (typeof propertyTypes)[number];

/** Official type → fieldType table. `datetime` really uses fieldType `date`. */
export const VALID_FIELD_TYPES: Readonly<Record<PropertyType, readonly string[]>> = {
  bool: ['booleancheckbox', 'calculation_equation'],
  enumeration: ['booleancheckbox', 'checkbox', 'radio', 'select', 'calculation_equation'],
  date: ['date'],
  datetime: ['date'],
  string: ['text', 'textarea', 'file', 'html', 'phonenumber', 'calculation_equation'],
  number: ['number', 'calculation_equation'],
  phone_number: ['phonenumber'],
  object_coordinates: ['text'],
  json: ['text'],
};
/** Internal-only types that cannot be created through the API. */
export const NON_CREATABLE_TYPES: readonly PropertyType[] = ['object_coordinates', 'json'];

export const MAX_UNIQUE_PROPERTIES_PER_OBJECT = 10;
export const MAX_STRING_VALUE_CHARS = 65_536;

export interface PropertyOption { label: string; value: string; description?: string; displayOrder: number; hidden: boolean }

export interface PropertyDef {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  description: string;
  options: PropertyOption[];
  displayOrder: number;
  calculated: boolean;
  externalOptions: boolean;
  hasUniqueValue: boolean;
  hidden: boolean;
  hubspotDefined?: boolean;
  formField: boolean;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
  modificationMetadata: { archivable: boolean; readOnlyDefinition: boolean; readOnlyValue: boolean; readOnlyOptions?: boolean };
  showCurrencySymbol?: boolean;
  numberDisplayHint?: string;
  textDisplayHint?: string;
  currencyPropertyName?: string;
  referencedObjectType?: string;
}

export interface PropertyGroup { name: string; label: string; displayOrder: number; archived: boolean }

const EPOCH = '2020-01-01T00:00:00Z';

type Spec = [name: string, label: string, type: PropertyType, fieldType: string, extra?: Partial<PropertyDef> & { opts?: string[] }];

function build(groupName: string, specs: Spec[]): PropertyDef[] {
  return specs.map(([name, label, type, fieldType, extra], i) => {
    const { opts, ...rest } = extra ?? {};
    const readOnly = rest.modificationMetadata?.readOnlyValue ?? false;
    return {
      name, label, type, fieldType, groupName, description: '', displayOrder: i, calculated: false,
      externalOptions: false, hasUniqueValue: false, hidden: false, hubspotDefined: true, formField: !readOnly,
      archived: false, createdAt: EPOCH, updatedAt: EPOCH,
      options: (opts ?? []).map((v, j) => ({ label: v, value: v, displayOrder: j, hidden: false })),
      modificationMetadata: { archivable: false, readOnlyDefinition: true, readOnlyValue: false },
      ...rest,
    };
  });
}

const RO = { modificationMetadata: { archivable: false, readOnlyDefinition: true, readOnlyValue: true } };
/** Properties maintained by the simulator itself; client writes to them are ignored. */
export const SYSTEM_PROPERTIES = new Set(['hs_object_id', 'lastmodifieddate', 'hs_lastmodifieddate', 'hs_createdate']);

function common(lastModified: string): Spec[] {
  return [
    ['hs_object_id', 'Record ID', 'number', 'number', RO],
    ['createdate', 'Create Date', 'datetime', 'date'],
    [lastModified, 'Last Modified Date', 'datetime', 'date', RO],
    ['hubspot_owner_id', 'Owner', 'enumeration', 'select', { externalOptions: true, referencedObjectType: 'OWNER' }],
  ];
}

/** Invoice statuses HubSpot documents (draft → open → paid, or voided). */
export const INVOICE_STATUSES = ['draft', 'open', 'paid', 'voided'];
/** Currencies an account can have (a subset of ISO 4217; HubSpot accepts the account's currencies). */
const CURRENCIES = ['USD', 'EUR', 'GBP', 'CHF', 'CAD', 'AUD', 'JPY', 'SEK', 'NOK', 'DKK', 'PLN', 'BRL', 'MXN', 'INR'];

const LIFECYCLE = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'];

/** HubSpot-defined properties per standard objectTypeId; enough for a realistic sync, not the full 200+ list. */
export function defaultProperties(objectTypeId: string): { groups: PropertyGroup[]; properties: PropertyDef[] } {
  const info = (name: string, label: string): PropertyGroup => ({ name, label, displayOrder: -1, archived: false });
  switch (objectTypeId) {
    case '0-1':
      return {
        groups: [info('contactinformation', 'Contact information')],
        properties: build('contactinformation', [
          ...common('lastmodifieddate'),
          ['email', 'Email', 'string', 'text'], ['firstname', 'First Name', 'string', 'text'], ['lastname', 'Last Name', 'string', 'text'],
          ['phone', 'Phone Number', 'string', 'phonenumber'], ['mobilephone', 'Mobile Phone Number', 'string', 'phonenumber'],
          ['company', 'Company Name', 'string', 'text'], ['jobtitle', 'Job Title', 'string', 'text'], ['website', 'Website URL', 'string', 'text'],
          ['address', 'Street Address', 'string', 'text'], ['city', 'City', 'string', 'text'], ['zip', 'Postal Code', 'string', 'text'],
          ['country', 'Country/Region', 'string', 'text'],
          ['lifecyclestage', 'Lifecycle Stage', 'enumeration', 'radio', { opts: LIFECYCLE }],
          ['hs_lead_status', 'Lead Status', 'enumeration', 'radio', { opts: ['NEW', 'OPEN', 'IN_PROGRESS', 'OPEN_DEAL', 'UNQUALIFIED', 'ATTEMPTED_TO_CONTACT', 'CONNECTED', 'BAD_TIMING'] }],
        ]),
      };
    case '0-2':
      return {
        groups: [info('companyinformation', 'Company information')],
        properties: build('companyinformation', [
          ...common('hs_lastmodifieddate'),
          ['name', 'Company name', 'string', 'text'], ['domain', 'Company Domain Name', 'string', 'text'],
          ['website', 'Website URL', 'string', 'text'], ['phone', 'Phone Number', 'string', 'phonenumber'],
          ['address', 'Street Address', 'string', 'text'], ['city', 'City', 'string', 'text'], ['zip', 'Postal Code', 'string', 'text'],
          ['country', 'Country/Region', 'string', 'text'], ['industry', 'Industry', 'string', 'text'],
          ['numberofemployees', 'Number of Employees', 'number', 'number'],
          ['annualrevenue', 'Annual Revenue', 'number', 'number', { showCurrencySymbol: true, numberDisplayHint: 'currency' }],
          ['description', 'Description', 'string', 'textarea'],
          ['lifecyclestage', 'Lifecycle Stage', 'enumeration', 'radio', { opts: LIFECYCLE }],
        ]),
      };
    case '0-3':
      return {
        groups: [info('dealinformation', 'Deal information')],
        properties: build('dealinformation', [
          ...common('hs_lastmodifieddate'),
          ['dealname', 'Deal Name', 'string', 'text'],
          ['amount', 'Amount', 'number', 'number', { showCurrencySymbol: true, numberDisplayHint: 'currency', currencyPropertyName: 'deal_currency_code' }],
          ['deal_currency_code', 'Currency', 'enumeration', 'select', { opts: ['EUR', 'USD', 'GBP', 'CHF'] }],
          ['closedate', 'Close Date', 'datetime', 'date'],
          // Options come from the deal pipelines; validated against pipelines, not this list.
          ['pipeline', 'Pipeline', 'enumeration', 'select', { externalOptions: true }],
          ['dealstage', 'Deal Stage', 'enumeration', 'radio', { externalOptions: true }],
          ['dealtype', 'Deal Type', 'enumeration', 'radio', { opts: ['newbusiness', 'existingbusiness'] }],
          ['description', 'Deal Description', 'string', 'textarea'],
          ['hs_is_closed_won', 'Is Closed Won', 'bool', 'booleancheckbox', RO],
        ]),
      };
    case '0-5':
      return {
        groups: [info('ticketinformation', 'Ticket information')],
        properties: build('ticketinformation', [
          ...common('hs_lastmodifieddate'),
          ['subject', 'Ticket name', 'string', 'text'], ['content', 'Ticket description', 'string', 'textarea'],
          ['hs_pipeline', 'Pipeline', 'enumeration', 'select', { externalOptions: true }],
          ['hs_pipeline_stage', 'Ticket status', 'enumeration', 'select', { externalOptions: true }],
          // Values from HubSpot/agent-cli-skills (portal-configurable; docs/hubspot-facts.md "Notes, timeline, tickets").
          ['hs_ticket_priority', 'Priority', 'enumeration', 'select', { opts: ['LOW', 'MEDIUM', 'HIGH', 'URGENT'] }],
          ['hs_ticket_category', 'Category', 'enumeration', 'checkbox', { opts: ['PRODUCT_ISSUE', 'BILLING_ISSUE', 'FEATURE_REQUEST', 'GENERAL_INQUIRY', 'OTHER'] }],
          ['source_type', 'Source', 'enumeration', 'select', { opts: ['CHAT', 'EMAIL', 'FORM', 'PHONE'] }],
        ]),
      };
    case '0-46':
      return {
        groups: [info('engagement', 'Engagement')],
        properties: build('engagement', [
          ...common('hs_lastmodifieddate'),
          ['hs_timestamp', 'Activity date', 'datetime', 'date'], ['hs_note_body', 'Note body', 'string', 'html'],
          ['hs_attachment_ids', 'Attachments', 'enumeration', 'checkbox', { externalOptions: true }],
        ]),
      };
    case '0-7':
      return {
        groups: [info('productinformation', 'Product information')],
        properties: build('productinformation', [
          ...common('hs_lastmodifieddate'),
          ['name', 'Name', 'string', 'text'], ['price', 'Unit price', 'number', 'number', { numberDisplayHint: 'currency', showCurrencySymbol: true }],
          ['hs_sku', 'SKU', 'string', 'text'], ['description', 'Description', 'string', 'textarea'],
        ]),
      };
    case '0-8':
      return {
        groups: [info('lineiteminformation', 'Line item information')],
        properties: build('lineiteminformation', [
          ...common('hs_lastmodifieddate'),
          ['name', 'Name', 'string', 'text'], ['price', 'Unit price', 'number', 'number', { numberDisplayHint: 'currency', showCurrencySymbol: true }],
          ['quantity', 'Quantity', 'number', 'number'], ['hs_sku', 'SKU', 'string', 'text'], ['description', 'Description', 'string', 'textarea'],
          // Net price = unit price × quantity, maintained by the simulator (records.ts).
          ['amount', 'Net price', 'number', 'number', { ...RO, numberDisplayHint: 'currency', showCurrencySymbol: true }],
          ['hs_line_item_currency_code', 'Currency', 'enumeration', 'select', { opts: CURRENCIES }],
          ['hs_product_id', 'Product ID', 'number', 'number'],
          ['recurringbillingfrequency', 'Billing frequency', 'enumeration', 'select', { opts: ['weekly', 'biweekly', 'monthly', 'quarterly', 'per_six_months', 'annually'] }],
        ]),
      };
    case '0-53':
      return {
        groups: [info('invoiceinformation', 'Invoice information')],
        properties: build('invoiceinformation', [
          ...common('hs_lastmodifieddate'),
          ['hs_currency', 'Currency', 'enumeration', 'select', { opts: CURRENCIES }],
          ['hs_invoice_status', 'Invoice status', 'enumeration', 'select', { opts: INVOICE_STATUSES }],
          ['hs_invoice_date', 'Invoice date', 'datetime', 'date'], ['hs_due_date', 'Due date', 'datetime', 'date'],
          ['hs_number', 'Number', 'string', 'text', RO], ['hs_title', 'Title', 'string', 'text'],
          ['hs_purchase_order_number', 'PO number', 'string', 'text'], ['hs_comments', 'Comments', 'string', 'textarea'],
          ['hs_tax_id', 'Tax ID', 'string', 'text'],
          // Sum of the associated line items' amounts, computed when the invoice moves to open (records.ts).
          ['hs_amount_billed', 'Amount billed', 'number', 'number', { ...RO, numberDisplayHint: 'currency', showCurrencySymbol: true }],
          ['hs_balance_due', 'Balance due', 'number', 'number', { ...RO, numberDisplayHint: 'currency', showCurrencySymbol: true }],
        ]),
      };
    default:
      return { groups: [], properties: [] };
  }
}

/** Properties every custom object has from the start. */
export function customObjectBaseProperties(groupName: string): PropertyDef[] {
  return build(groupName, [
    ['hs_object_id', 'Record ID', 'number', 'number', RO],
    ['hs_createdate', 'Object create date/time', 'datetime', 'date', RO],
    ['createdate', 'Create Date', 'datetime', 'date'],
    ['hs_lastmodifieddate', 'Object last modified date/time', 'datetime', 'date', RO],
  ]);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;
const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * Validates and normalises a written value. Values arrive as JSON strings/numbers/booleans and are
 * stored as strings. Dates: ISO or epoch ms (date values must be midnight UTC); reads return ISO.
 * Empty string clears a value (properties guide).
 */
export function normaliseValue(def: PropertyDef, raw: unknown): { ok: true; value: string } | { ok: false; error: PropertyValueError } {
  const bad = (error: string, message: string) => ({ ok: false as const, error: { name: def.name, error, message } });
  if (raw === null || raw === undefined) return { ok: true, value: '' };
  if (typeof raw === 'object') return bad('INVALID_PROPERTY_VALUE', `${JSON.stringify(raw)} is not a valid value for ${def.name}`);
  const value = typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : '';
  if (value === '') return { ok: true, value };
  switch (def.type) {
    case 'number':
      return NUMBER.test(value.trim()) ? { ok: true, value: value.trim() } : bad('INVALID_DOUBLE', `${value} was not a valid number`);
    case 'bool':
      return value === 'true' || value === 'false' ? { ok: true, value } : bad('INVALID_BOOLEAN', `${value} was not a valid boolean (true or false)`);
    case 'enumeration': {
      if (def.externalOptions || def.options.length === 0) return { ok: true, value };
      const allowed = new Set(def.options.map((o) => o.value));
      // Multi-select values are `;`-separated; a leading `;` means "append" (kept verbatim minus empties).
      const parts = value.split(';').filter((p) => p !== '');
      const wrong = parts.find((p) => !allowed.has(p));
      return wrong === undefined
        ? { ok: true, value: parts.join(';') }
        : bad('INVALID_OPTION', `${wrong} was not one of the allowed options: ${[...allowed].map((a) => `<option>${a}</option>`).join(', ')}`);
    }
    case 'date': {
      if (ISO_DATE.test(value)) return { ok: true, value };
      if (/^\d+$/.test(value)) {
        const ms = Number(value);
        return ms % 86_400_000 === 0 ? { ok: true, value: new Date(ms).toISOString().slice(0, 10) } : bad('INVALID_DATE', `${value} is at ${new Date(ms).toISOString()}, which is not midnight!`);
      }
      return bad('INVALID_DATE', `${value} was not a valid date`);
    }
    case 'datetime': {
      if (/^\d+$/.test(value)) return { ok: true, value: new Date(Number(value)).toISOString() };
      if (ISO_DATE.test(value) || ISO_DATETIME.test(value)) {
        const d = new Date(value);
        if (!Number.isNaN(d.getTime())) return { ok: true, value: d.toISOString() };
      }
      return bad('INVALID_DATETIME', `${value} was not a valid datetime`);
    }
    case 'string':
    case 'phone_number':
    case 'object_coordinates':
    case 'json':
      return value.length > MAX_STRING_VALUE_CHARS
        ? bad('INVALID_STRING_LENGTH', `value for ${def.name} is longer than ${MAX_STRING_VALUE_CHARS} characters`)
        : { ok: true, value };
  }
}
