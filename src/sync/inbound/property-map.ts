import { z } from 'zod';

import type { InboundObjectType } from './webhook-events.js';

/**
 * Which cache column each HubSpot property lands in, and how its string value is parsed. HubSpot
 * sends every value as a string; an empty string means "cleared". A value that does not parse is
 * not applied (the inbox records `invalid_value`), so a bad edit in HubSpot cannot crash a worker
 * or violate a CHECK constraint.
 */

export type CacheValue = string | boolean | null;

export interface PropertyMapping {
  column: string;
  /** Personal data: the audit trail records that it changed, never the values. */
  pii?: boolean;
  parse(raw: string): CacheValue | undefined;
}

const text = (max = 500) => (raw: string) => (raw === '' ? null : raw.slice(0, max));
const decimal = (raw: string) => (raw === '' ? null : /^-?\d+(\.\d+)?$/.test(raw.trim()) ? raw.trim() : undefined);
const nonNegativeDecimal = (raw: string) => {
  const value = decimal(raw);
  return value !== null && value !== undefined && value.startsWith('-') ? undefined : value;
};
const integer = (raw: string) => (/^\d+$/.test(raw.trim()) ? raw.trim() : raw === '' ? '0' : undefined);
const bool = (raw: string) => (raw === 'true' ? true : raw === 'false' || raw === '' ? false : undefined);
const oneOf = (values: readonly string[]) => (raw: string) => (raw === '' ? null : values.includes(raw) ? raw : undefined);

/** HubSpot date and datetime values come as epoch milliseconds or ISO strings. */
const isoTimestamp = (raw: string) => {
  if (raw === '') return null;
  const date = /^\d+$/.test(raw) ? new Date(Number(raw)) : new Date(raw);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};
const isoDate = (raw: string) => {
  const timestamp = isoTimestamp(raw);
  return typeof timestamp === 'string' ? timestamp.slice(0, 10) : timestamp;
};
const userId = (raw: string) => (raw === '' ? null : z.string().regex(/^usr_[A-Za-z0-9_]+$/).safeParse(raw).data);
const ban = (raw: string) => (raw === '' ? null : /^\d+$/.test(raw) ? raw : undefined);

const COMPANY: Record<string, PropertyMapping> = {
  name: { column: 'name', parse: text() },
  domain: { column: 'domain', parse: text(255) },
  industry: { column: 'industry', parse: text(255) },
  warp_tier: { column: 'tier', parse: oneOf(['starter', 'growth', 'enterprise']) },
  warp_service_tier: { column: 'tier', parse: oneOf(['starter', 'growth', 'enterprise']) },
  warp_credit_limit: { column: 'credit_limit', parse: nonNegativeDecimal },
  warp_payment_terms: { column: 'payment_terms', parse: text(100) },
  warp_contract_end: { column: 'contract_end', parse: isoDate },
  warp_ban: { column: 'ban', parse: ban },
  warp_status: { column: 'status', parse: oneOf(['active', 'suspended', 'churned']) },
  warp_payment_method: { column: 'payment_method', parse: oneOf(['card', 'ach', 'wire']) },
  warp_payment_status: { column: 'payment_status', parse: oneOf(['current', 'past_due', 'suspended']) },
  warp_mrr: { column: 'mrr', parse: decimal },
  warp_mtd_minutes: { column: 'mtd_minutes', parse: integer },
  warp_mtd_spend: { column: 'mtd_spend', parse: decimal },
  warp_api_enabled: { column: 'api_enabled', parse: bool },
  warp_sms_enabled: { column: 'sms_enabled', parse: bool },
  warp_tcr_brand_id: { column: 'tcr_brand_id', parse: text(100) },
  warp_resporg_status: { column: 'resporg_status', parse: oneOf(['none', 'pending', 'active']) },
};

const CONTACT: Record<string, PropertyMapping> = {
  email: { column: 'email', pii: true, parse: text(320) },
  firstname: { column: 'firstname', pii: true, parse: text(200) },
  lastname: { column: 'lastname', pii: true, parse: text(200) },
  phone: { column: 'phone', pii: true, parse: text(50) },
  warp_user_id: { column: 'user_id', parse: userId },
  warp_role: { column: 'role', parse: oneOf(['admin', 'developer', 'billing', 'readonly']) },
  warp_2fa_enabled: { column: 'twofa_enabled', parse: bool },
  warp_last_login: { column: 'last_login', parse: isoTimestamp },
  warp_api_key_count: { column: 'api_key_count', parse: integer },
  warp_last_api_call: { column: 'last_api_call', parse: isoTimestamp },
};

/** Deals are HubSpot's entirely (sales pipeline); WARP only reads them to start onboarding. */
const DEAL: Record<string, PropertyMapping> = {
  dealname: { column: 'name', parse: text() },
  pipeline: { column: 'pipeline', parse: text(100) },
  dealstage: { column: 'stage', parse: text(100) },
  amount: { column: 'amount', parse: decimal },
};

export const PROPERTY_MAP: Readonly<Record<InboundObjectType, Readonly<Record<string, PropertyMapping>>>> = {
  company: COMPANY,
  contact: CONTACT,
  deal: DEAL,
};

export function propertyMapping(objectType: InboundObjectType, property: string): PropertyMapping | undefined {
  return Object.hasOwn(PROPERTY_MAP[objectType], property) ? PROPERTY_MAP[objectType][property] : undefined;
}

/** Every HubSpot property we read for an object type (full-record fetches ask for exactly these). */
export function syncedProperties(objectType: InboundObjectType): string[] {
  return Object.keys(PROPERTY_MAP[objectType]);
}

/** Normalises a webhook `propertyValue` (string, number, boolean or null) to HubSpot's string form. */
export function rawValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}
