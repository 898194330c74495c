/**
 * PII and secret scrubbing for anything that may reach a log line. Two layers:
 * - keys whose values are always sensitive (email, phone, names, tokens, signatures) are replaced
 *   wholesale, wherever they appear in a logged object;
 * - free text (URLs, messages, error strings) is scanned for email addresses, phone numbers,
 *   bearer tokens and API keys, because a value can leak through a field we did not name.
 */

export const REDACTED = '[redacted]';

/** Lower-cased key names whose values never appear in logs. */
const SENSITIVE_KEYS = new Set([
  'email',
  'firstname',
  'lastname',
  'first_name',
  'last_name',
  'fullname',
  'full_name',
  'phone',
  'mobilephone',
  'phone_number',
  'password',
  'token',
  'access_token',
  'accesstoken',
  'refresh_token',
  'apikey',
  'api_key',
  'key',
  'secret',
  'client_secret',
  'clientsecret',
  'authorization',
  'cookie',
  'set-cookie',
  'x-hubspot-signature',
  'x-hubspot-signature-v3',
  'hs_note_body',
  'warp_api_keys',
  'card_number',
  'iban',
]);

const EMAIL_PATTERN = /[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// E.164 and common national formats with at least 7 digits; deliberately broad: a false positive
// costs a redacted id, a false negative leaks a phone number.
const PHONE_PATTERN = /(?:\+|%2B)\d[\d\s().-]{6,}\d/g;
const BEARER_PATTERN = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
const API_KEY_PATTERN = /\b(?:whk|sk_live|sk_test|pat-[a-z0-9]+)[_-][A-Za-z0-9_-]{8,}/g;

export function scrubText(text: string): string {
  return text
    .replace(EMAIL_PATTERN, '[email]')
    .replace(PHONE_PATTERN, '[phone]')
    .replace(BEARER_PATTERN, '$1 [token]')
    .replace(API_KEY_PATTERN, '[key]');
}

const MAX_DEPTH = 8;

/** Deep copy of `value` with sensitive keys replaced and every string scrubbed. */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (value instanceof Error) {
    return { type: value.name, message: scrubText(value.message), stack: value.stack ? scrubText(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SENSITIVE_KEYS.has(key.toLowerCase()) ? REDACTED : scrubValue(item, depth + 1);
  }
  return out;
}
