import { z } from 'zod';

import { describeSensitive, findSensitiveText } from '../domain/outgoing-guard.js';

/**
 * The usage records WARP's switches and messaging platform post (docs/usage.md
 * "Records and validation"). Each record is parsed on its own: a bad one is rejected with its
 * reasons and never takes its batch down. Times are kept as epoch milliseconds.
 */

export interface RecordError {
  /** Stable reason: missing_field, invalid_field, negative_duration, invalid_cost, … */
  code: string;
  field?: string | undefined;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; id: string | null; errors: RecordError[] };

// The patterns and bounds the schemas below are made of; `plainCall` uses the same.
const RECORD_ID = /^[\x21-\x7e]{1,128}$/;
const TRUNK_ID = /^trunk_[A-Za-z0-9_]{1,64}$/;
// A decimal string, never a float: money is summed exactly (numeric). At most 10 decimals.
const COST = /^\d{1,12}(\.\d{1,10})?$/;
const E164 = /^\+[1-9][0-9]{6,14}$/;
const INT32_MAX = 2_147_483_647;
const SIP_CODES = { min: 100, max: 699 } as const;
// Any ISO 4217 code (docs/usage.md "Money"); invoices are in USD, so month close holds a customer's
// invoice for a month with usage in another currency (docs/revenue.md "Held invoices").
const ISO_4217 = new Set(Intl.supportedValuesOf('currency'));
const DEFAULT_CURRENCY = 'USD';

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, e.g. 2026-11-16T13:05:00Z' });
const recordId = z.string().regex(RECORD_ID, 'must be 1-128 printable ASCII characters without spaces');
const trunkId = z.string().regex(TRUNK_ID, 'a trunk id looks like trunk_…');
const cost = z.string().regex(COST, 'must be a non-negative decimal string such as "0.0125"');
const version = z.number().int().min(1).max(INT32_MAX).default(1);
const direction = z.enum(['outbound', 'inbound']);
const currency = z.string().refine((code) => ISO_4217.has(code), 'must be an ISO 4217 currency code such as "USD"').default(DEFAULT_CURRENCY);
const e164 = z.string().regex(E164, 'must be an E.164 number').nullish();

/** The schema of record of a call: what it accepts, and every reason it refuses. */
export const callSchema = z.object({
  callId: recordId,
  trunkId,
  direction,
  startedAt: isoTime,
  answeredAt: isoTime.nullish(),
  endedAt: isoTime,
  billableSeconds: z.number().int().min(0, 'must not be negative').max(INT32_MAX),
  sipCode: z.number().int().min(SIP_CODES.min).max(SIP_CODES.max),
  cost,
  currency,
  version,
  from: e164,
  to: e164,
});

const messageSchema = z.object({
  messageId: recordId,
  trunkId,
  direction,
  sentAt: isoTime,
  segments: z.number().int().min(1).max(1000),
  status: z.enum(['sent', 'delivered', 'failed']),
  cost,
  currency,
  version,
  from: e164,
  to: e164,
});

const sampleSchema = z.object({
  trunkId,
  at: isoTime,
  activeCalls: z.number().int().min(0).max(1_000_000),
});

export interface CallRecord {
  id: string;
  trunkId: string;
  outbound: boolean;
  startedAtMs: number;
  answeredAtMs: number | null;
  endedAtMs: number;
  billableSeconds: number;
  sipCode: number;
  cost: string;
  /** ISO 4217 code of `cost`. */
  currency: string;
  version: number;
  from: string | null;
  to: string | null;
}

export interface MessageRecord {
  id: string;
  trunkId: string;
  outbound: boolean;
  sentAtMs: number;
  segments: number;
  status: 'sent' | 'delivered' | 'failed';
  cost: string;
  currency: string;
  version: number;
  from: string | null;
  to: string | null;
}

export interface ActiveCallSample {
  trunkId: string;
  atMs: number;
  activeCalls: number;
}

type CallInput = z.output<typeof callSchema>;

// zod's own pattern for `z.iso.datetime({ offset: true })`, which is all that check does.
const ISO_TIME = z.core.regexes.datetime({ offset: true, local: false, precision: null });
const isIsoTime = (value: unknown): value is string => typeof value === 'string' && ISO_TIME.test(value);
const isIntIn = (value: unknown, min: number, max: number): value is number => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
const isPhone = (value: unknown): value is string | null | undefined => value === undefined || value === null || (typeof value === 'string' && E164.test(value));

/**
 * What `callSchema` makes of `input` when it is a well-formed call (every field of its type and
 * pattern), else undefined: then zod decides, with its reasons. It never accepts what zod refuses
 * nor gives another value (an absent optional field is undefined here, absent there), which
 * test/usage/records.test.ts checks on random records; it is only faster, since the usual record
 * needs a few typeof checks and the same patterns rather than zod's general machinery.
 */
export function plainCall(input: unknown): CallInput | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const r = input as Record<string, unknown>;
  const { callId, trunkId, direction, startedAt, answeredAt, endedAt, billableSeconds, sipCode, cost, currency, version, from, to } = r;
  const ok =
    typeof callId === 'string' &&
    RECORD_ID.test(callId) &&
    typeof trunkId === 'string' &&
    TRUNK_ID.test(trunkId) &&
    (direction === 'outbound' || direction === 'inbound') &&
    isIsoTime(startedAt) &&
    (answeredAt === undefined || answeredAt === null || isIsoTime(answeredAt)) &&
    isIsoTime(endedAt) &&
    isIntIn(billableSeconds, 0, INT32_MAX) &&
    isIntIn(sipCode, SIP_CODES.min, SIP_CODES.max) &&
    typeof cost === 'string' &&
    COST.test(cost) &&
    (currency === undefined || (typeof currency === 'string' && ISO_4217.has(currency))) &&
    (version === undefined || isIntIn(version, 1, INT32_MAX)) &&
    isPhone(from) &&
    isPhone(to);
  if (!ok) return undefined;
  return { callId, trunkId, direction, startedAt, answeredAt, endedAt, billableSeconds, sipCode, cost, currency: currency ?? DEFAULT_CURRENCY, version: version ?? 1, from, to };
}

/** Zod issues as stable reasons; a field that is absent is `missing_field`. */
function reasons(issues: readonly z.core.$ZodIssue[], input: unknown, special: Readonly<Record<string, string>>): RecordError[] {
  const given = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  return issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
    const top = issue.path[0];
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { code: 'invalid_record', message: 'a record must be a JSON object' };
    }
    if (typeof top === 'string' && given[top] === undefined) return { code: 'missing_field', field, message: `${field} is required` };
    return { code: (typeof top === 'string' && special[top]) || 'invalid_field', field, message: `${field}: ${issue.message}` };
  });
}

const idOf = (input: unknown, key: string): string | null => {
  const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value.slice(0, 128) : null;
};

/**
 * Record ids are the only free text a usage record stores (every other field has a fixed shape),
 * so they are what the outgoing guard's card-number and API-key rules apply to here (the HTTP
 * layer's scan of the whole body is skipped for usage: nothing of a record is sent to HubSpot as
 * such). A refused id is not echoed back.
 */
function sensitiveId(field: string, value: string): Parsed<never> | undefined {
  const kind = findSensitiveText(value);
  if (!kind) return undefined;
  return { ok: false, id: null, errors: [{ code: 'sensitive_value', field, message: `${field} looks like ${describeSensitive(kind)}, which is never stored` }] };
}

const CALL_REASONS = { billableSeconds: 'negative_duration', cost: 'invalid_cost', currency: 'unsupported_currency' };
const MESSAGE_REASONS = { cost: 'invalid_cost', currency: 'unsupported_currency' };

export function parseCall(input: unknown): Parsed<CallRecord> {
  // The common well-formed record skips zod (its cost dominated parsing); anything else, and
  // every refusal with its reasons, is zod's.
  const plain = plainCall(input);
  const result = plain ? { success: true as const, data: plain } : callSchema.safeParse(input);
  if (!result.success) return { ok: false, id: idOf(input, 'callId'), errors: reasons(result.error.issues, input, CALL_REASONS) };
  const r = result.data;
  const sensitive = sensitiveId('callId', r.callId);
  if (sensitive) return sensitive;
  const startedAtMs = Date.parse(r.startedAt);
  const answeredAtMs = r.answeredAt ? Date.parse(r.answeredAt) : null;
  const endedAtMs = Date.parse(r.endedAt);
  const errors: RecordError[] = [];
  if (answeredAtMs !== null && answeredAtMs < startedAtMs) {
    errors.push({ code: 'answered_before_start', field: 'answeredAt', message: 'answeredAt is before startedAt' });
  }
  if (endedAtMs < (answeredAtMs ?? startedAtMs)) {
    errors.push({ code: 'negative_duration', field: 'endedAt', message: 'endedAt is before the call started or was answered' });
  }
  if (answeredAtMs === null && r.billableSeconds > 0) {
    errors.push({ code: 'billable_without_answer', field: 'billableSeconds', message: 'an unanswered call has no billable seconds' });
  }
  if (errors.length > 0) return { ok: false, id: r.callId, errors };
  return {
    ok: true,
    value: {
      id: r.callId,
      trunkId: r.trunkId,
      outbound: r.direction === 'outbound',
      startedAtMs,
      answeredAtMs,
      endedAtMs,
      billableSeconds: r.billableSeconds,
      sipCode: r.sipCode,
      cost: r.cost,
      currency: r.currency,
      version: r.version,
      from: r.from ?? null,
      to: r.to ?? null,
    },
  };
}

export function parseMessage(input: unknown): Parsed<MessageRecord> {
  const result = messageSchema.safeParse(input);
  if (!result.success) return { ok: false, id: idOf(input, 'messageId'), errors: reasons(result.error.issues, input, MESSAGE_REASONS) };
  const r = result.data;
  const sensitive = sensitiveId('messageId', r.messageId);
  if (sensitive) return sensitive;
  return {
    ok: true,
    value: {
      id: r.messageId,
      trunkId: r.trunkId,
      outbound: r.direction === 'outbound',
      sentAtMs: Date.parse(r.sentAt),
      segments: r.segments,
      status: r.status,
      cost: r.cost,
      currency: r.currency,
      version: r.version,
      from: r.from ?? null,
      to: r.to ?? null,
    },
  };
}

export function parseSample(input: unknown): Parsed<ActiveCallSample> {
  const result = sampleSchema.safeParse(input);
  if (!result.success) return { ok: false, id: null, errors: reasons(result.error.issues, input, {}) };
  return { ok: true, value: { trunkId: result.data.trunkId, atMs: Date.parse(result.data.at), activeCalls: result.data.activeCalls } };
}
