import { createHash } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

import { SIGNATURE_HEADERS, verifyHubSpotSignature, WEBHOOK_MAX_TIMESTAMP_AGE_MS } from '../../hubspot/webhook-signature.js';
import { BODY_HASH_REPLAY_PREFIX } from '../../store/inbox.js';

/**
 * Decides whether a webhook request really comes from HubSpot: source address (optional
 * allow-list, proxy-aware), signature over the raw bytes (v3; v1/v2 only when allowed and the
 * request carries no v3 header at all) and timestamp freshness. Pure: the receiver passes in what
 * it received, and stores the batch under the returned replay key (docs/webhook-security.md).
 *
 * v1 and v2 signatures cover no timestamp: a captured request verifies forever. When they are
 * allowed, the replay key is the body's hash, kept far longer than the v3 window, so the same
 * body is accepted once (HubSpot's own retries change `attemptNumber`, so they still pass).
 */

/** How long the replay guard keeps what it saw. */
export interface ReplayGuardRetention {
  /** v3 signatures: the whole accepted window (5 minutes old, the future skew ahead) plus a margin. */
  signedMs: number;
  /** Body hashes of v1/v2 requests, which carry no freshness of their own. */
  bodyHashMs: number;
}

const RETENTION_MARGIN_MS = 60_000;
const BODY_HASH_RETENTION_MS = 30 * 24 * 60 * 60_000;

/** Derived from the accepted window, so a signature is never forgotten while it still verifies. */
export function replayGuardRetention(maxFutureSkewMs: number): ReplayGuardRetention {
  return { signedMs: WEBHOOK_MAX_TIMESTAMP_AGE_MS + maxFutureSkewMs + RETENTION_MARGIN_MS, bodyHashMs: BODY_HASH_RETENTION_MS };
}

export interface WebhookAuthSettings {
  clientSecret: string;
  /** External base URL (`https://hooks.example.com`); unset: the request's own scheme and host. */
  publicBaseUrl: string | undefined;
  allowV1: boolean;
  maxFutureSkewMs: number;
  allowedCidrs: readonly string[];
  trustedProxies: readonly string[];
}

export interface WebhookRequestFacts {
  method: string;
  /** Path and query exactly as received (`request.url`). */
  url: string;
  protocol: string;
  host: string | undefined;
  socketAddress: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  nowMs: number;
}

export type WebhookAuthResult =
  | { ok: true; version: 'v1' | 'v2' | 'v3'; replayKeys: string[] }
  | { ok: false; status: 401 | 403; code: string; message: string };

export interface WebhookAuthenticator {
  check(facts: WebhookRequestFacts): WebhookAuthResult;
}

function toBlockList(cidrs: readonly string[]): BlockList | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of cidrs) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

function contains(list: BlockList, address: string): boolean {
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(plain);
  if (family === 0) return false;
  return list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

const header = (headers: WebhookRequestFacts['headers'], name: string): string | undefined => {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

export function createWebhookAuthenticator(settings: WebhookAuthSettings): WebhookAuthenticator {
  const allowed = toBlockList(settings.allowedCidrs);
  const proxies = toBlockList(settings.trustedProxies);

  /**
   * The client address: walk `X-Forwarded-For` from the right past our own trusted proxies. A
   * request from a proxy that names no client outside the proxies has no known client: undefined
   * (refused by the allow-list), never the proxy's own address.
   */
  const clientAddress = (facts: WebhookRequestFacts): string | undefined => {
    const address = facts.socketAddress;
    if (!proxies || !address || !contains(proxies, address)) return address;
    const forwarded = (header(facts.headers, 'x-forwarded-for') ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    return forwarded.reverse().find((hop) => !contains(proxies, hop));
  };

  return {
    check(facts) {
      if (allowed) {
        const address = clientAddress(facts);
        if (!address || !contains(allowed, address)) {
          return { ok: false, status: 403, code: 'webhook_source_refused', message: 'The request does not come from an allowed address' };
        }
      }
      const signatureV3 = header(facts.headers, SIGNATURE_HEADERS.v3);
      const timestamp = header(facts.headers, SIGNATURE_HEADERS.timestamp);
      // A request with any v3 header is a v3 request: one with its v3 signature stripped off is refused.
      if (!signatureV3 && (!settings.allowV1 || timestamp !== undefined)) {
        return { ok: false, status: 401, code: 'webhook_signature_invalid', message: 'A v3 signature is required' };
      }
      // The shared verifier rejects old timestamps; far-future ones (a forged clock) are refused here.
      if (signatureV3 && timestamp && /^\d+$/.test(timestamp) && Number(timestamp) - facts.nowMs > settings.maxFutureSkewMs) {
        return { ok: false, status: 401, code: 'webhook_timestamp_invalid', message: 'The request timestamp is in the future' };
      }
      const base = settings.publicBaseUrl ?? `${facts.protocol}://${facts.host ?? 'localhost'}`;
      const result = verifyHubSpotSignature({
        clientSecret: settings.clientSecret,
        rawBody: facts.rawBody.toString('utf8'),
        method: facts.method,
        url: base + facts.url,
        signatureV3,
        timestamp,
        signature: header(facts.headers, SIGNATURE_HEADERS.v1v2),
        signatureVersion: header(facts.headers, SIGNATURE_HEADERS.version),
        nowMs: facts.nowMs,
        maxAgeMs: WEBHOOK_MAX_TIMESTAMP_AGE_MS,
      });
      if (result.ok) {
        // v3 signatures cover the timestamp, so the same signature twice is a replay of one request;
        // v1/v2 ones do not, so the same body twice is. With v1 allowed, a v3 delivery's body is
        // remembered too, so it cannot come back once more with its v3 headers stripped.
        const bodyHash = BODY_HASH_REPLAY_PREFIX + createHash('sha256').update(facts.rawBody).digest('hex');
        const replayKeys = result.version !== 'v3' ? [bodyHash] : settings.allowV1 ? [signatureV3!, bodyHash] : [signatureV3!];
        return { ok: true, version: result.version, replayKeys };
      }
      const stale = result.reason === 'stale_timestamp' || result.reason === 'bad_timestamp';
      return stale
        ? { ok: false, status: 401, code: 'webhook_timestamp_invalid', message: 'The request timestamp is missing, malformed or older than 5 minutes' }
        : { ok: false, status: 401, code: 'webhook_signature_invalid', message: 'The HubSpot signature is missing or does not match' };
    },
  };
}
