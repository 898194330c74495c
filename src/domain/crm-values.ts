/**
 * HubSpot property types and how their values are read. HubSpot sends every value as a string and
 * an empty string means "cleared". A value that does not parse is not applied (the inbox records
 * `invalid_value`), so a bad edit in HubSpot cannot crash a worker or violate a CHECK constraint.
 * Value rules and sources: docs/hubspot-facts.md ("Property values").
 */

/** What a cache column receives: text, a boolean, or null (cleared). undefined from a parser: invalid. */
export type CacheValue = string | boolean | null;
export type Parser = (raw: string) => CacheValue | undefined;

export type HubSpotType = 'string' | 'number' | 'bool' | 'date' | 'datetime' | 'enumeration';

/** A property's HubSpot type, as provisioning creates it (or as HubSpot defines its own ones). */
export interface FieldSpec {
  type: HubSpotType;
  fieldType: 'text' | 'textarea' | 'number' | 'booleancheckbox' | 'date' | 'select' | 'checkbox';
  options?: readonly string[];
  /** Unique values can only be chosen when a property is created; upserts address records by them. */
  unique?: boolean;
  /** HubSpot has no currency type: a number shown with the portal's currency symbol. */
  currency?: boolean;
  /** One of HubSpot's own properties (`name`, `email`, `dealstage`…): provisioning leaves it alone. */
  builtIn?: boolean;
  /** Longest text kept in the cache (longer values are cut). */
  maxLength?: number;
}

export const textField = (options: { unique?: boolean; maxLength?: number } = {}): FieldSpec => ({ type: 'string', fieldType: 'text', ...options });
export const textareaField = (): FieldSpec => ({ type: 'string', fieldType: 'textarea' });
export const numberField = (options: { currency?: boolean } = {}): FieldSpec => ({ type: 'number', fieldType: 'number', ...options });
export const boolField = (): FieldSpec => ({ type: 'bool', fieldType: 'booleancheckbox' });
export const dateField = (): FieldSpec => ({ type: 'date', fieldType: 'date' });
export const datetimeField = (): FieldSpec => ({ type: 'datetime', fieldType: 'date' });
export const selectField = (options: readonly string[]): FieldSpec => ({ type: 'enumeration', fieldType: 'select', options });
/** Several values at once, `;`-separated (HubSpot's convention for multiple values). */
export const checkboxField = (options: readonly string[]): FieldSpec => ({ type: 'enumeration', fieldType: 'checkbox', options });
export const builtIn = (type: 'string' | 'number' | 'enumeration', maxLength?: number): FieldSpec => ({
  type, fieldType: type === 'number' ? 'number' : 'text', builtIn: true, ...(maxLength ? { maxLength } : {}),
});

const DECIMAL = /^-?\d+(\.\d+)?$/;

export const parseText = (max = 500): Parser => (raw) => (raw === '' ? null : raw.slice(0, max));
export const parseDecimal: Parser = (raw) => (raw === '' ? null : DECIMAL.test(raw.trim()) ? raw.trim() : undefined);
export const parseNonNegativeDecimal: Parser = (raw) => {
  const value = parseDecimal(raw);
  return typeof value === 'string' && value.startsWith('-') ? undefined : value;
};
/** Counters: a cleared value is 0. */
export const parseCount: Parser = (raw) => (/^\d+$/.test(raw.trim()) ? raw.trim() : raw === '' ? '0' : undefined);
const parseBool: Parser = (raw) => (raw === 'true' ? true : raw === 'false' || raw === '' ? false : undefined);
const parseOneOf = (values: readonly string[]): Parser => (raw) => (raw === '' ? null : values.includes(raw) ? raw : undefined);
/** HubSpot date and datetime values come as epoch milliseconds or ISO strings. */
const parseTimestamp: Parser = (raw) => {
  if (raw === '') return null;
  const date = /^\d+$/.test(raw) ? new Date(Number(raw)) : new Date(raw);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};
const parseDate: Parser = (raw) => {
  const timestamp = parseTimestamp(raw);
  return typeof timestamp === 'string' ? timestamp.slice(0, 10) : timestamp;
};
export const parseUserId: Parser = (raw) => (raw === '' ? null : /^usr_[A-Za-z0-9_]+$/.test(raw) ? raw : undefined);
export const parseBan: Parser = (raw) => (raw === '' ? null : /^\d+$/.test(raw) ? raw : undefined);

/** The parser a field gets unless its catalogue row names another. */
export function defaultParser(field: FieldSpec): Parser {
  switch (field.type) {
    case 'string':
      return parseText(field.maxLength);
    case 'number':
      return parseDecimal;
    case 'bool':
      return parseBool;
    case 'date':
      return parseDate;
    case 'datetime':
      return parseTimestamp;
    case 'enumeration':
      // HubSpot's own dropdowns (deal pipelines and stages) have portal-specific options.
      return field.options ? parseOneOf(field.options) : parseText(field.maxLength);
  }
}

/**
 * One spelling per value, so equal values compare equal whatever side wrote them: `0`, `0.00` and
 * `-0` are one number; an ISO time with or without milliseconds or offset is one instant.
 */
export function canonicalValue(field: FieldSpec, value: CacheValue): string | null {
  if (value === null) return null;
  const text = String(value);
  switch (field.type) {
    case 'number': {
      if (!DECIMAL.test(text)) return text;
      const [whole = '0', fraction = ''] = text.replace(/^-/, '').split('.');
      const digits = `${whole.replace(/^0+(?=\d)/, '')}${fraction.replace(/0+$/, '') ? `.${fraction.replace(/0+$/, '')}` : ''}`;
      return text.startsWith('-') && /[1-9]/.test(digits) ? `-${digits}` : digits;
    }
    case 'datetime': {
      const ms = Date.parse(text);
      return Number.isNaN(ms) ? text : new Date(ms).toISOString();
    }
    case 'string':
    case 'bool':
    case 'date':
    case 'enumeration':
      return text;
  }
}
