import { describe, expect, it } from 'vitest';
import { Signature } from '@hubspot/api-client';
import { decodeUriForV3, signV1, signV2, signV3, verifyHubSpotSignature } from '../../src/hubspot/webhook-signature.js';

const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const URI = 'https://www.example.com/webhook_uri';

describe('official test vectors (docs/hubspot-facts.md "Webhooks")', () => {
  it('T1 v1 docs example', () => {
    const body = '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
    expect(signV1(SECRET, body)).toBe('232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de');
  });
  it('T2 v2 GET with empty body', () => {
    expect(signV2(SECRET, 'GET', URI, '')).toBe('eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e');
  });
  it('T3 v2 POST', () => {
    expect(signV2(SECRET, 'POST', URI, '{"example_field":"example_value"}')).toBe('9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900');
  });
  it('T4 v1 single-quoted body', () => {
    expect(signV1(SECRET, "{'example_field':'example_value'}")).toBe('69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750');
  });
  it('T5 v2 single-quoted body', () => {
    expect(signV2(SECRET, 'POST', URI, "{'example_field':'example_value'}")).toBe('4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383');
  });
  it('T6 v3', () => {
    expect(signV3(SECRET, 'POST', URI, "{'example_field':'example_value'}", '15000000')).toBe('HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=');
  });
});

describe('v3 URI decode rule', () => {
  it('decodes exactly the documented characters and keeps the rest encoded', () => {
    expect(decodeUriForV3('https://x.test/a%3Ab%2Fc%3Fd%40e%21f%24g%27h%28i%29j%2Ak%2Cl%3Bm')).toBe("https://x.test/a:b/c?d@e!f$g'h(i)j*k,l;m");
    expect(decodeUriForV3('https://x.test/p?q=a%20b%26c%3Dd')).toBe('https://x.test/p?q=a%20b%26c%3Dd');
    expect(decodeUriForV3('https://x.test/%3a%2f')).toBe('https://x.test/:/');
  });
  it('signs over the decoded URI, so the SDK (which does not decode) agrees only on the decoded form', () => {
    const ts = String(Date.now());
    const encoded = 'https://x.test/hook%3Aa?x=%40y';
    const sig = signV3('s', 'POST', encoded, '[]', ts);
    expect(Signature.isValid({ signature: sig, clientSecret: 's', requestBody: '[]', signatureVersion: 'v3', url: decodeUriForV3(encoded), method: 'POST', timestamp: Number(ts) })).toBe(true);
    expect(Signature.isValid({ signature: sig, clientSecret: 's', requestBody: '[]', signatureVersion: 'v3', url: encoded, method: 'POST', timestamp: Number(ts) })).toBe(false);
  });
});

describe('verifyHubSpotSignature', () => {
  const body = '[{"eventId":1}]';
  const now = 1_800_000_000_000;
  it('accepts v3 and prefers it over v1', () => {
    const ts = String(now - 1000);
    const r = verifyHubSpotSignature({ clientSecret: 's', rawBody: body, method: 'POST', url: URI, signatureV3: signV3('s', 'POST', URI, body, ts), timestamp: ts, signature: 'garbage', nowMs: now });
    expect(r).toEqual({ ok: true, version: 'v3' });
  });
  it('rejects stale v3 timestamps (> 5 min) and tampered bodies', () => {
    const old = String(now - 5 * 60_000 - 1);
    expect(verifyHubSpotSignature({ clientSecret: 's', rawBody: body, method: 'POST', url: URI, signatureV3: signV3('s', 'POST', URI, body, old), timestamp: old, nowMs: now })).toEqual({ ok: false, reason: 'stale_timestamp' });
    const ts = String(now);
    expect(verifyHubSpotSignature({ clientSecret: 's', rawBody: `${body} `, method: 'POST', url: URI, signatureV3: signV3('s', 'POST', URI, body, ts), timestamp: ts, nowMs: now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyHubSpotSignature({ clientSecret: 's', rawBody: body, method: 'POST', url: URI, signatureV3: 'x', timestamp: 'abc', nowMs: now })).toEqual({ ok: false, reason: 'bad_timestamp' });
  });
  it('falls back to v1/v2 by X-HubSpot-Signature-Version', () => {
    expect(verifyHubSpotSignature({ clientSecret: 's', rawBody: body, method: 'POST', url: URI, signature: signV1('s', body) })).toEqual({ ok: true, version: 'v1' });
    expect(verifyHubSpotSignature({ clientSecret: 's', rawBody: body, method: 'POST', url: URI, signature: signV2('s', 'POST', URI, body), signatureVersion: 'v2' })).toEqual({ ok: true, version: 'v2' });
    expect(verifyHubSpotSignature({ clientSecret: 's', rawBody: body, method: 'POST', url: URI, signature: signV1('s', body), signatureVersion: 'v9' })).toEqual({ ok: false, reason: 'unsupported_version' });
    expect(verifyHubSpotSignature({ clientSecret: 's', rawBody: body, method: 'POST', url: URI })).toEqual({ ok: false, reason: 'missing_signature' });
  });
});
