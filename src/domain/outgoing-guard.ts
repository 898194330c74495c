/**
 * What never leaves WARP (docs/product-rules.md "Privacy and safety"):
 * API key values, card or bank numbers, and any property not in the mapping. Every payload the
 * outbound sync sends passes `checkOutgoing` first; the WARP API runs `findSensitiveText` on its
 * input too, so such data is refused before it is even stored.
 */

// Runs of 13–19 digits, optionally grouped by single spaces or dashes ("4111 1111 1111 1111"),
// standing alone: digits inside an identifier (`trunk_4093…`, a hex id) or after a "+" (an E.164
// phone number) are not a card number. Without this, one id in ten (Luhn's odds) was refused.
const DIGIT_RUN = /(?<![\w+])\d(?:[ -]?\d){12,18}(?!\w)/g;

// Key-shaped secrets: our own `whk_` keys, WARP/Stripe-style `sk_live_`/`sk_test_`, HubSpot
// private-app tokens (`pat-na1-…`). Deliberately broad: a false positive costs a refused write.
const API_KEY = /\b(?:whk_|sk_live_|sk_test_|rk_live_|pat-[a-z0-9]+-)[A-Za-z0-9_-]{8,}/;

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

/** What kind of sensitive data `text` contains, or null. Never returns the data itself. */
export function findSensitiveText(text: string): 'card_number' | 'api_key' | null {
  for (const match of text.matchAll(DIGIT_RUN)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return 'card_number';
  }
  return API_KEY.test(text) ? 'api_key' : null;
}

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
    if (found) throw new OutgoingGuardError(`Refused to send property ${name}: it contains what looks like ${found === 'card_number' ? 'a card number' : 'an API key'}`, [name]);
  }
}
