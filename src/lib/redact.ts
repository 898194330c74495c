/**
 * PII and secret scrubbing for anything that may reach a log line. Two layers:
 * - keys whose values are always sensitive (email, phone, names, tokens, signatures) are replaced
 *   wholesale, wherever they appear in a logged object;
 * - free text (URLs, messages, error strings) is scanned for email addresses, phone numbers,
 *   bearer tokens and API keys, because a value can leak through a field we did not name.
 *
 * Scrubbing runs on every request URL before authentication, so it must cost time linear in its
 * input whatever the input is: text is cut to `MAX_TEXT_LENGTH` first, every pattern has bounded
 * quantifiers, and emails are found from their `@` outwards instead of by a leading `+` that would
 * retry at every start position (the quadratic pattern that used to be here).
 */

export const REDACTED = '[redacted]';
export const TRUNCATED = '[truncated]';

/** Longest text scrubbed and logged; the rest is cut (a log line is not a data store). */
export const MAX_TEXT_LENGTH = 8 * 1024;

/** Lower-cased key names whose values never appear in logs. */
const SENSITIVE_KEYS = new Set([
  'email',
  'firstname',
  'lastname',
  'first_name',
  'last_name',
  'fullname',
  'full_name',
  'name_of_person',
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

// Emails: the local part (≤ 64 characters, RFC 5321) is found by walking left from each `@` or
// `%40`, the domain by a sticky pattern right of it (labels ≤ 63 characters, ≤ 8 dots).
const MAX_LOCAL_PART = 64;
const DOMAIN = /[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}/y;
const isLocalPartChar = (code: number): boolean =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 46 || code === 95 || code === 37 || code === 43 || code === 45;

// Phone numbers, deliberately broad (a false positive costs a redacted id, a false negative leaks
// a number): E.164 from 7 digits (`+4412345`, also URL-encoded `%2B`; the digit count is checked
// on the match), and national formats with separators: `(303) 555-1000`, `303-555-1000`,
// `303.555.1000`, `303 555 1000`. Bare digit runs (HubSpot ids, timestamps) are left alone.
const E164_PHONE = /(?:\+|%2B)\d[\d\s().-]{5,24}\d/gi;
const MIN_PHONE_DIGITS = 7;
const phoneDigits = (match: string): number => match.replace(/^%2B/i, '').replace(/\D/g, '').length;
const NATIONAL_PHONE = /(?<![\d.-])(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d-])/g;
const BEARER = /\b(Bearer)\s{1,16}[A-Za-z0-9._~+/=-]{1,4096}/gi;
// Key-shaped secrets, also glued to other text (`xwhk_…`): our keys, Stripe-style, HubSpot's.
const API_KEY = /(?:whk|sk_live|sk_test|rk_live|pat-[a-z0-9]{1,16})[_-][A-Za-z0-9_-]{8,}/g;

const isDomainLabelChar = (code: number): boolean => (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45;

/** The next `%40` (any case) at or after `from`, or -1. */
function nextEncodedAt(text: string, from: number): number {
  let i = text.indexOf('%4', from);
  while (i !== -1 && text.charCodeAt(i + 2) !== 48) i = text.indexOf('%4', i + 1);
  return i;
}

/**
 * Replaces every email address, walking out from each `@` or `%40`: O(n) with a bounded window per
 * hit. Each sign is searched with `indexOf` from where it was last found, and cheap character
 * checks (a local-part character before, a label and a dot after) come before the domain pattern,
 * so a text made of `@`s costs a few comparisons per `@`.
 */
function scrubEmails(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let plain = text.indexOf('@');
  let encoded = nextEncodedAt(text, 0);
  while (plain !== -1 || encoded !== -1) {
    const isEncoded = encoded !== -1 && (plain === -1 || encoded < plain);
    const at = isEncoded ? encoded : plain;
    if (isEncoded) encoded = nextEncodedAt(text, at + 1);
    else plain = text.indexOf('@', at + 1);
    if (at <= copiedUpTo || !isLocalPartChar(text.charCodeAt(at - 1))) continue;
    const afterAt = at + (isEncoded ? 3 : 1);
    let labelEnd = afterAt;
    while (labelEnd - afterAt < 63 && isDomainLabelChar(text.charCodeAt(labelEnd))) labelEnd++;
    if (labelEnd === afterAt || text.charCodeAt(labelEnd) !== 46) continue;
    DOMAIN.lastIndex = afterAt;
    if (!DOMAIN.test(text)) continue;
    let start = at - 1;
    while (start > copiedUpTo && at - start < MAX_LOCAL_PART && isLocalPartChar(text.charCodeAt(start - 1))) start--;
    out += `${text.slice(copiedUpTo, start)}[email]`;
    copiedUpTo = DOMAIN.lastIndex;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

/** `text` cut to `maxLength` characters, marked when something was cut. */
export function truncate(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength)}…${TRUNCATED}`;
}

/**
 * `text` with emails, phone numbers, bearer tokens and API keys replaced, cut to `maxLength`
 * first. Linear in `min(text.length, maxLength)` for any input.
 */
export function scrubText(text: string, maxLength = MAX_TEXT_LENGTH): string {
  return scrubEmails(truncate(text, maxLength))
    .replace(E164_PHONE, (match) => (phoneDigits(match) >= MIN_PHONE_DIGITS ? '[phone]' : match))
    .replace(NATIONAL_PHONE, '[phone]')
    .replace(BEARER, '$1 [token]')
    .replace(API_KEY, '[key]');
}

const MAX_DEPTH = 8;

/**
 * Deep copy of `value` with sensitive keys replaced and every string scrubbed. Anything nested
 * deeper than `MAX_DEPTH` is replaced by `[truncated]`, never logged as it is.
 */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return TRUNCATED;
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
