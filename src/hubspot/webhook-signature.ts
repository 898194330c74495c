/**
 * HubSpot webhook request signatures (v1, v2, v3), shared by the simulator (which signs) and the
 * service's webhook receiver (which verifies). Pure functions over strings; no I/O.
 *
 * Source: https://developers.hubspot.com/docs/api/webhooks/validating-requests and the official
 * SDKs (see docs/hubspot-facts.md "Webhooks"). Official test vectors T1–T6 are in the tests.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const signatureVersions = ['v1', 'v2', 'v3'] as const;
export type SignatureVersion = (typeof signatureVersions)[number];

/** HubSpot v3: "Reject the request if the timestamp is older than 5 minutes." */
export const WEBHOOK_MAX_TIMESTAMP_AGE_MS = 5 * 60_000;

/** Header names as HubSpot sends them (HTTP header names are case-insensitive). */
export const SIGNATURE_HEADERS = {
  v1v2: 'X-HubSpot-Signature',
  version: 'X-HubSpot-Signature-Version',
  v3: 'X-HubSpot-Signature-v3',
  timestamp: 'X-HubSpot-Request-Timestamp',
} as const;

/**
 * The v3 decode table: only these percent-encodings are decoded before signing; everything else
 * (`%20`, `%26`, `%3D`, ...) stays encoded. The official SDKs do NOT apply it, so callers that
 * verify with an SDK must pass the decoded URI.
 */
const V3_DECODE: Readonly<Record<string, string>> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$',
  '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

/** Applies HubSpot's v3 URI decode rule (case-insensitive hex digits). */
export function decodeUriForV3(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => V3_DECODE[m.toUpperCase()] ?? m);
}

/** v1: hex SHA-256 of `clientSecret + body` (plain hash, not HMAC). */
export function signV1(clientSecret: string, body: string): string {
  return createHash('sha256').update(clientSecret + body, 'utf8').digest('hex');
}

/** v2: hex SHA-256 of `clientSecret + method + uri + body`. */
export function signV2(clientSecret: string, method: string, uri: string, body: string): string {
  return createHash('sha256').update(clientSecret + method + uri + body, 'utf8').digest('hex');
}

/**
 * v3: Base64 HMAC-SHA256 (key = client secret) of `method + decodedUri + body + timestamp`.
 * `uri` is the full URL (scheme, host, path, query); the decode rule is applied here.
 * `timestamp` is the raw `X-HubSpot-Request-Timestamp` value (epoch milliseconds).
 */
export function signV3(clientSecret: string, method: string, uri: string, body: string, timestamp: string | number): string {
  return createHmac('sha256', clientSecret)
    .update(method + decodeUriForV3(uri) + body + String(timestamp), 'utf8')
    .digest('base64');
}

export interface VerifyHubSpotSignatureInput {
  clientSecret: string;
  /** Raw request body exactly as received (never re-serialised JSON). */
  rawBody: string;
  method: string;
  /** Full external URL of the request, as HubSpot called it (rebuild scheme/host behind a proxy). */
  url: string;
  /** Header values; undefined when absent. */
  signatureV3?: string | undefined;
  timestamp?: string | undefined;
  signature?: string | undefined;
  signatureVersion?: string | undefined;
  /** Injected clock for tests; defaults to Date.now. */
  nowMs?: number;
  maxAgeMs?: number;
}

export type VerifyResult =
  | { ok: true; version: SignatureVersion }
  | { ok: false; reason: 'missing_signature' | 'stale_timestamp' | 'bad_timestamp' | 'mismatch' | 'unsupported_version' };

/**
 * Verifies a HubSpot webhook request: v3 when its headers are present (recommended), else the
 * v1/v2 signature named by `X-HubSpot-Signature-Version` (default v1). Constant-time comparison.
 */
export function verifyHubSpotSignature(input: VerifyHubSpotSignatureInput): VerifyResult {
  const now = input.nowMs ?? Date.now();
  if (input.signatureV3 !== undefined && input.signatureV3 !== '') {
    if (input.timestamp === undefined || !/^\d+$/.test(input.timestamp)) return { ok: false, reason: 'bad_timestamp' };
    if (now - Number(input.timestamp) > (input.maxAgeMs ?? WEBHOOK_MAX_TIMESTAMP_AGE_MS)) {
      return { ok: false, reason: 'stale_timestamp' };
    }
    const expected = signV3(input.clientSecret, input.method, input.url, input.rawBody, input.timestamp);
    return safeEqual(expected, input.signatureV3) ? { ok: true, version: 'v3' } : { ok: false, reason: 'mismatch' };
  }
  if (input.signature === undefined || input.signature === '') return { ok: false, reason: 'missing_signature' };
  const version = (input.signatureVersion ?? 'v1').toLowerCase();
  let expected: string;
  if (version === 'v1') expected = signV1(input.clientSecret, input.rawBody);
  else if (version === 'v2') expected = signV2(input.clientSecret, input.method, input.url, input.rawBody);
  else return { ok: false, reason: 'unsupported_version' };
  return safeEqual(expected, input.signature) ? { ok: true, version } : { ok: false, reason: 'mismatch' };
}

/** Constant-time string comparison; unequal lengths compare against a dummy to keep timing flat. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
