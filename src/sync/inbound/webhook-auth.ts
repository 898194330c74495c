import { BlockList, isIP } from 'node:net';

import { SIGNATURE_HEADERS, verifyHubSpotSignature, WEBHOOK_MAX_TIMESTAMP_AGE_MS } from '../../hubspot/webhook-signature.js';

/**
 * Decides whether a webhook request really comes from HubSpot: source address (optional
 * allow-list, proxy-aware), signature over the raw bytes (v3, or v1 when v3 is absent and allowed)
 * and timestamp freshness. Pure: the HTTP route passes in what it received.
 */

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
  | { ok: true; version: 'v1' | 'v2' | 'v3'; replayKey: string | null }
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

  /** The client address: walk `X-Forwarded-For` from the right past our own trusted proxies. */
  const clientAddress = (facts: WebhookRequestFacts): string | undefined => {
    let address = facts.socketAddress;
    if (!proxies || !address || !contains(proxies, address)) return address;
    const forwarded = (header(facts.headers, 'x-forwarded-for') ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    while (forwarded.length > 0) {
      address = forwarded.pop();
      if (address && !contains(proxies, address)) return address;
    }
    return address;
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
      if (!signatureV3 && !settings.allowV1) {
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
        // v3 signatures cover the timestamp, so the same signature twice is a replay of one request.
        return { ok: true, version: result.version, replayKey: result.version === 'v3' ? (signatureV3 ?? null) : null };
      }
      const stale = result.reason === 'stale_timestamp' || result.reason === 'bad_timestamp';
      return stale
        ? { ok: false, status: 401, code: 'webhook_timestamp_invalid', message: 'The request timestamp is missing, malformed or older than 5 minutes' }
        : { ok: false, status: 401, code: 'webhook_signature_invalid', message: 'The HubSpot signature is missing or does not match' };
    },
  };
}
