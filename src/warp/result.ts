/**
 * What a WARP command answers: its value, or an expected refusal with a stable code and a
 * sentence for people. Refusals are values, not exceptions; exceptions are left to bugs and
 * infrastructure failures. Commands know nothing of HTTP: `http/warp-results.ts` maps each code
 * to a status, and a CLI or a job can map them its own way.
 */

export const WARP_FAILURE_CODES = [
  /** The customer (BAN), trunk, number or user does not exist, or not for this customer. */
  'not_found',
  /** The field belongs to HubSpot (e.g. the credit limit): change it there. */
  'owned_by_hubspot',
  /** Another live WARP user, or another customer's HubSpot contact, has this email. */
  'email_taken',
  /** The phone number is in use (not released) by a customer. */
  'number_taken',
  /** The 10DLC campaign id is already registered, with other details or for another customer. */
  'campaign_exists',
  /** A campaign needs a 10DLC brand: none given, and the account has none. */
  'brand_missing',
] as const;
export type WarpFailureCode = (typeof WARP_FAILURE_CODES)[number];

export interface Failure {
  ok: false;
  code: WarpFailureCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | Failure;

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: WarpFailureCode, message: string): Failure => ({ ok: false, code, message });

/**
 * The value, for callers to whom a refusal is a bug or a transient state (onboarding, benchmarks):
 * it becomes an exception, so the caller's error handling (retry, fail the job) applies.
 */
export function valueOf<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value;
}
