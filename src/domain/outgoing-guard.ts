import { findLeaf } from '../lib/text.js';

/**
 * What never leaves WARP (docs/product-rules.md "Privacy and safety"):
 * API key values, card numbers, and any property not in the mapping. The HubSpot gateway scans
 * every request body it sends (`findSensitiveValue`), so no caller can skip the check; the outbound
 * senders also run `checkOutgoing` per record (unmapped properties, and a dead letter per record
 * rather than per batch), and the WARP API refuses such input before it is stored.
 *
 * How card numbers are found (docs/outgoing-guard.md has the reasoning and the known limits):
 * the text is normalised (NFKC, every Unicode decimal digit to ASCII, whitespace runs to one
 * space); digit runs are collected, one separator (space, dash, `.`, `/`, `_`) allowed between
 * digit groups, but not list separators (`;`, `,`, `:`), so a list of IP addresses is not one
 * long number; every 13–19-digit window of a run that starts like a payment card (2–6) and passes Luhn is a
 * card number. A run right after `+` that fits E.164 (≤ 15 digits) is a phone number.
 */

export type SensitiveKind = 'card_number' | 'api_key';

const MIN_CARD_DIGITS = 13;
const MAX_CARD_DIGITS = 19;
const MAX_E164_DIGITS = 15;

// Key-shaped secrets, also glued to other text: our own `whk_` keys, WARP/Stripe-style
// `sk_live_`/`sk_test_`/`rk_live_`, HubSpot private-app tokens (`pat-na1-…`).
const API_KEY = /(?:whk_|sk_live_|sk_test_|rk_live_|pat-[a-z0-9]{1,16}-)[A-Za-z0-9_-]{8,}/;

const NOT_PLAIN_ASCII = /[^ -~\t\n\r]/;
const NON_ASCII_DIGIT = /(?![0-9])\p{Nd}/gu;
const DECIMAL_DIGIT = /^\p{Nd}$/u;
const DASH = /^\p{Pd}$/u;

/** A Unicode decimal digit's value: digits are encoded in runs 0…9, so count back to the run's 0. */
function digitValue(digit: string): string {
  const code = digit.codePointAt(0)!;
  let value = 0;
  while (value < 9 && DECIMAL_DIGIT.test(String.fromCodePoint(code - value - 1))) value++;
  return String(value);
}

/** NFKC (full-width digits and letters become ASCII), other decimal digits to ASCII, one space per whitespace run. */
export function normaliseForScan(text: string): string {
  const ascii = NOT_PLAIN_ASCII.test(text) ? text.normalize('NFKC').replace(NON_ASCII_DIGIT, digitValue) : text;
  return ascii.replace(/\s+/g, ' ');
}

const isDigit = (code: number): boolean => code >= 48 && code <= 57;
/** Characters written between the digit groups of a card number (after normalisation). */
const isGroupSeparator = (char: string): boolean => char === ' ' || char === '.' || char === '/' || char === '_' || DASH.test(char);

/** The Luhn checksum every payment card number satisfies (ISO/IEC 7812). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * True when some 13–19-digit window of `digits` is a card number. Prefix sums per parity make each
 * window O(1), so a long run costs O(length) whatever it holds.
 */
function hasCardWindow(digits: string): boolean {
  const n = digits.length;
  // plain[p][i] / doubled[p][i]: sum over j < i with j % 2 === p of the digit, or of its Luhn double.
  const plain = [new Int32Array(n + 1), new Int32Array(n + 1)] as const;
  const doubled = [new Int32Array(n + 1), new Int32Array(n + 1)] as const;
  for (let j = 0; j < n; j++) {
    const d = digits.charCodeAt(j) - 48;
    for (const p of [0, 1] as const) {
      plain[p][j + 1] = plain[p][j]! + (j % 2 === p ? d : 0);
      doubled[p][j + 1] = doubled[p][j]! + (j % 2 === p ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : 0);
    }
  }
  for (let start = 0; start + MIN_CARD_DIGITS <= n; start++) {
    const first = digits.charCodeAt(start);
    // Payment cards start with 2–6 (Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard/Maestro, Discover/UnionPay).
    if (first < 50 || first > 54) continue;
    for (let end = start + MIN_CARD_DIGITS; end <= Math.min(n, start + MAX_CARD_DIGITS); end++) {
      // From the right end, digits at odd distances are doubled: j ≡ end (mod 2).
      const kept = ((end - 1) % 2) as 0 | 1;
      const twice = (end % 2) as 0 | 1;
      const sum = plain[kept][end]! - plain[kept][start]! + doubled[twice][end]! - doubled[twice][start]!;
      if (sum % 10 === 0) return true;
    }
  }
  return false;
}

/**
 * Each maximal digit run (one group separator allowed between digits) of at least 13 digits, the
 * shortest card number, with whether a `+` precedes it. Shorter runs are only counted, never
 * copied: this scan runs on every usage record id and every outgoing value.
 */
function longDigitRuns(text: string): Array<{ digits: string; afterPlus: boolean }> {
  const runs: Array<{ digits: string; afterPlus: boolean }> = [];
  let start = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && isDigit(text.charCodeAt(i))) {
      if (digits === 0) start = i;
      digits++;
      continue;
    }
    if (digits === 0) continue;
    if (i < text.length && isGroupSeparator(text[i]!) && isDigit(text.charCodeAt(i + 1))) continue;
    if (digits >= MIN_CARD_DIGITS) runs.push({ digits: text.slice(start, i).replace(/\D/g, ''), afterPlus: text[start - 1] === '+' });
    digits = 0;
  }
  return runs;
}

/** What kind of sensitive data `text` contains, or null. Never returns the data itself. */
export function findSensitiveText(text: string): SensitiveKind | null {
  const normalised = normaliseForScan(text);
  for (const run of longDigitRuns(normalised)) {
    if (run.afterPlus && run.digits.length <= MAX_E164_DIGITS) continue;
    if (hasCardWindow(run.digits)) return 'card_number';
  }
  return API_KEY.test(normalised) ? 'api_key' : null;
}

/**
 * The first string or number anywhere in `value` (keys too) that looks like a card number or an
 * API key, with its path, e.g. `{ path: 'inputs.0.properties.name', kind: 'card_number' }`.
 */
export function findSensitiveValue(value: unknown): { path: string; kind: SensitiveKind } | null {
  let kind: SensitiveKind | null = null;
  const leaf = findLeaf(value, (l) => {
    if (typeof l.value !== 'string' && typeof l.value !== 'number' && typeof l.value !== 'bigint') return false;
    // A card number is a whole number. The fraction of a float is not text someone typed, and
    // binary rounding fills it with digits (0.1 + 0.17 = 0.27000000000000002, 17 digits, Luhn-valid).
    kind = findSensitiveText(typeof l.value === 'number' && !Number.isInteger(l.value) ? String(Math.trunc(l.value)) : String(l.value));
    return kind !== null;
  });
  return leaf && kind ? { path: leaf.path, kind } : null;
}

export const describeSensitive = (kind: SensitiveKind): string => (kind === 'card_number' ? 'a card number' : 'an API key');

export class OutgoingGuardError extends Error {
  override name = 'OutgoingGuardError';
  constructor(
    message: string,
    /** Property names at fault (never their values: this message reaches logs and dead letters). */
    readonly properties: string[],
  ) {
    super(message);
  }
}

/**
 * Throws unless every property is in `allowed` and no value looks like a card number or an API
 * key. Values are scanned as text, whatever their type.
 */
export function checkOutgoing(properties: Readonly<Record<string, unknown>>, allowed: ReadonlySet<string>): void {
  const unmapped = Object.keys(properties).filter((name) => !allowed.has(name));
  if (unmapped.length > 0) throw new OutgoingGuardError(`Refused to send unmapped properties: ${unmapped.join(', ')}`, unmapped);
  for (const [name, value] of Object.entries(properties)) {
    if (value === null || value === undefined) continue;
    const found = findSensitiveText(typeof value === 'string' ? value : JSON.stringify(value));
    if (found) throw new OutgoingGuardError(`Refused to send property ${name}: it contains what looks like ${describeSensitive(found)}`, [name]);
  }
}
