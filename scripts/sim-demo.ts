/**
 * Demonstrates the HubSpot simulator over HTTP only (as an outside client would see it):
 *   1. a burst of 150 requests: which got 429 and the rate-limit headers,
 *   2. a webhook batch delivered to a local receiver, validated with the SDK's Signature.isValid,
 *   3. fault injection (next-N 502s, a dropped connection) and the request log,
 *   4. the clock (a jump past the daily reset) and a seeded portal with injected drift.
 * Usage: start `npm run sim -- --port 4010`, then `npx tsx scripts/sim-demo.ts [http://127.0.0.1:4010]`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Signature } from '@hubspot/api-client';

const base = process.argv[2] ?? 'http://127.0.0.1:4010';
const auth = { authorization: 'Bearer demo-token' };
const json = { ...auth, 'content-type': 'application/json' };
const out = (s: string) => process.stdout.write(`${s}\n`);
const HEADERS = ['x-hubspot-ratelimit-max', 'x-hubspot-ratelimit-remaining', 'x-hubspot-ratelimit-interval-milliseconds', 'x-hubspot-ratelimit-daily', 'x-hubspot-ratelimit-daily-remaining'];

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}/__sim${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return text ? (JSON.parse(text) as unknown) : undefined;
}

async function burst(): Promise<void> {
  out('== 1. Burst of 150 GET /crm/v3/objects/contacts (sequential) ==');
  await control('POST', '/reset', {});
  const rows: { i: number; status: number; h: string[]; body?: string }[] = [];
  for (let i = 1; i <= 150; i++) {
    const res = await fetch(`${base}/crm/v3/objects/contacts?limit=1`, { headers: auth });
    const body = await res.text();
    rows.push({ i, status: res.status, h: HEADERS.map((h) => `${h.replace('x-hubspot-ratelimit-', '')}=${res.headers.get(h)}`), body: res.status === 429 ? body : undefined });
  }
  for (const r of rows.filter((x) => [1, 2, 99, 100, 101, 102, 150].includes(x.i))) out(`  #${r.i} ${r.status} ${r.h.join(' ')}`);
  const limited = rows.filter((r) => r.status === 429).map((r) => r.i);
  out(`  429s: ${limited.length} (requests #${limited[0]}..#${limited.at(-1)}); 200s: ${rows.filter((r) => r.status === 200).length}`);
  out(`  429 body: ${rows.find((r) => r.status === 429)?.body}`);
}

async function webhooks(): Promise<void> {
  out('\n== 2. Webhook batch to a local receiver, validated with @hubspot/api-client Signature.isValid ==');
  await control('POST', '/reset', {});
  const cfg = (await control('GET', '/config')) as { appId: number };
  const secret = process.env.HUBSPOT_SIM_CLIENT_SECRET ?? 'sim-client-secret';
  const received: { url: string; headers: Record<string, string | string[] | undefined>; raw: string }[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, raw });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot`;
  await control('PUT', '/webhooks/settings', { targetUrl: target });
  await control('POST', '/webhooks/subscriptions', [{ eventType: 'contact.creation' }, { eventType: 'contact.propertyChange', propertyName: 'firstname' }]);
  const client = new Client({ accessToken: 'demo-token', basePath: base, numberOfApiCallRetries: 0 });
  const c = await client.crm.contacts.basicApi.create({ properties: { email: 'demo@example.com', firstname: 'Api' }, associations: [] });
  await control('POST', '/ui-edit', { objectType: 'contacts', objectId: c.id, properties: { firstname: 'Ui' } });
  await control('POST', '/webhooks/flush');
  for (const d of received) {
    const ts = String(d.headers['x-hubspot-request-timestamp']);
    const v1 = Signature.isValid({ signature: String(d.headers['x-hubspot-signature']), clientSecret: secret, requestBody: d.raw, signatureVersion: 'v1' });
    const v3 = Signature.isValid({ signature: String(d.headers['x-hubspot-signature-v3']), clientSecret: secret, requestBody: d.raw, signatureVersion: 'v3', url: target, method: 'POST', timestamp: Number(ts) });
    out(`  POST ${d.url}  X-HubSpot-Signature-Version=${String(d.headers['x-hubspot-signature-version'])} X-HubSpot-Request-Timestamp=${ts}`);
    out(`  SDK Signature.isValid v1=${v1} v3=${v3} (appId ${cfg.appId})`);
    out(`  body: ${d.raw}`);
  }
  server.close();
}

async function faults(): Promise<void> {
  out('\n== 3. Fault injection ==');
  await control('POST', '/reset', {});
  await control('POST', '/faults', [{ kind: 'status', status: 502, count: 2 }, { kind: 'status', status: 423, count: 1, pathPrefix: '/crm/v3/objects/deals' }]);
  const retrying = new Client({ accessToken: 'demo-token', basePath: base, numberOfApiCallRetries: 3 });
  const page = await retrying.crm.companies.basicApi.getPage(1);
  out(`  SDK (3 attempts) getPage after two injected 502s: ok, ${page.results.length} results`);
  const locked = await fetch(`${base}/crm/v3/objects/deals`, { headers: auth });
  out(`  GET deals with a 423 fault: ${locked.status} ${await locked.text()}`);
  await control('POST', '/faults', { kind: 'drop', count: 1 });
  const dropped = await fetch(`${base}/crm/v3/objects/contacts`, { method: 'POST', headers: json, body: '{"properties":{}}' }).then((r) => String(r.status), (e: unknown) => `connection error: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
  out(`  POST contacts with a drop fault: ${dropped}`);
  const log = (await control('GET', '/requests')) as { results: { method: string; path: string; status: number; fault?: string; requestBytes: number; responseBytes: number }[] };
  out('  request log:');
  for (const e of log.results) out(`    ${e.method} ${e.path} -> ${e.status}${e.fault ? ` [fault ${e.fault}]` : ''} req=${e.requestBytes}B res=${e.responseBytes}B`);
}

async function clockAndSeed(): Promise<void> {
  out('\n== 4. Clock and bulk seeding with drift ==');
  await control('POST', '/reset', {});
  const clock = (await control('GET', '/clock')) as { iso: string; nextDailyResetAt: string };
  out(`  HubSpot time ${clock.iso}; the daily limit resets at ${clock.nextDailyResetAt}`);
  const moved = (await control('POST', '/clock', { setTo: clock.nextDailyResetAt })) as { iso: string; offsetMs: number };
  out(`  after {"setTo": nextDailyResetAt}: ${moved.iso} (offset ${moved.offsetMs} ms)`);
  const started = Date.now();
  const seeded = (await control('POST', '/seed', {
    companies: 20_000, contacts: 40_000, trunks: 10_000, numbers: 20_000,
    drift: { changed: 0.01, deleted: 0.01, merged: 0.01, removedAssociations: 0.01, sameTimestamp: { objectType: 'companies', count: 12_000 } },
  })) as { created: Record<string, { count: number; firstId: string }>; associations: number; drift: { counts: Record<string, number>; sameTimestamp: { at: string; count: number }; changed: { objectType: string; id: string; property: string; before: string; after: string }[] } };
  out(`  seeded ${Object.entries(seeded.created).map(([k, v]) => `${v.count} ${k}`).join(', ')} and ${seeded.associations} associations in ${Date.now() - started} ms`);
  out(`  injected drift: ${JSON.stringify(seeded.drift.counts)}; ${seeded.drift.sameTimestamp.count} companies share last-modified ${seeded.drift.sameTimestamp.at}`);
  const sample = seeded.drift.changed[0];
  if (sample) out(`  e.g. ${sample.objectType} ${sample.id}: ${sample.property} ${JSON.stringify(sample.before)} → ${JSON.stringify(sample.after)}`);
  const search = await fetch(`${base}/crm/v3/objects/companies/search`, { method: 'POST', headers: json, body: JSON.stringify({ filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'EQ', value: seeded.drift.sameTimestamp.at }] }], sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }], limit: 200, after: '9800' }) });
  const page = (await search.json()) as { total: number; paging?: { next?: { after: string } } };
  out(`  search on that timestamp: total ${page.total}; the page at after=9800 points to after=${page.paging?.next?.after} (the 10,000 cap: split by hs_object_id from here)`);
}

await burst();
await webhooks();
await faults();
await clockAndSeed();
