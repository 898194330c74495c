import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiKey } from '../../src/store/api-keys.js';
import { recordConflict } from '../../src/store/conflicts.js';
import { storeSample } from '../../src/store/ops-samples.js';
import { type OutboundFixture, outboxDrained, startOutboundFixture, trunkBody, waitFor } from '../outbound/support.js';
import { type AxeFinding, axeCheck, launchChromium, screenshot } from './browser.js';

/**
 * The ops dashboard in a real browser (Debian's chromium through playwright-core) against the
 * real service, database and simulator: sign-in, a dead letter from an injected HubSpot failure
 * retried until it clears, conflicts resolved both ways, a read key that sees no action and is
 * refused when it forges one, session expiry, sign-out. axe-core checks every page.
 */

/** Waits until the locator is visible (playwright-core has no test assertions of its own). */
const visible = (locator: Locator): Promise<void> => locator.first().waitFor({ state: 'visible', timeout: 10_000 });
const textOf = async (locator: Locator): Promise<string> => {
  await visible(locator);
  return (await locator.first().textContent()) ?? '';
};

const TRUNK_UPSERT = '/crm/v3/objects/trunks/batch/upsert';
const HOSTILE_NAME = '<script>alert(1)</script> Evil & Co';

describe('ops dashboard in chromium', () => {
  let f: OutboundFixture;
  let browser: Browser;
  let base: string;
  let writerKey: string;
  let readerKey: string;
  const findings: AxeFinding[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    // One HTTP attempt per outbox attempt and no retry budget: three injected 502s dead-letter a record.
    f = await startOutboundFixture({ env: { HUBSPOT_MAX_ATTEMPTS: '1', OUTBOX_RETRY_BUDGET_MS: '0' } });
    base = await f.service.app.listen({ port: 0, host: '127.0.0.1' });
    writerKey = (await createApiKey(f.db.pool, 'ops-writer', ['write'])).key;
    readerKey = (await createApiKey(f.db.pool, 'ops-reader', ['read'])).key;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
    // The axe results of every page, for the record (the test fails on serious or critical ones).
    console.log(`axe-core: ${findings.length} violation(s) of any impact over all pages${findings.length ? `: ${JSON.stringify(findings)}` : ''}`);
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    // axe-core is injected as a script: the pages' CSP (no script at all) is bypassed for it only.
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    return { context, page };
  }

  async function checkPage(page: Page, name: string): Promise<void> {
    await screenshot(page, name);
    expect(await axeCheck(page, name, findings), `axe on ${name}`).toEqual([]);
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function deadLetterFor(trunkId: string): Promise<string> {
    return waitFor(async () => {
      const { rows } = await f.db.pool.query<{ id: string }>(`SELECT id FROM dead_letters WHERE record_key = $1 AND status = 'open'`, [trunkId]);
      return rows[0] ? String(rows[0].id) : undefined;
    }, 20_000, 'the dead letter');
  }

  it('walks an operator with a write key through dead letters, conflicts, customers, schedules and sign-out', { timeout: 120_000 }, async () => {
    const { context, page } = await newPage();
    await page.goto(`${base}/ops/dead-letters`);
    await expect.poll(() => page.url()).toContain('/ops/sign-in?next=%2Fops%2Fdead-letters');
    await checkPage(page, '01-sign-in');
    await signIn(page, 'whk_not-a-real-key');
    expect(await textOf(page.getByRole('alert'))).toContain('not valid');
    await signIn(page, writerKey);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/ops/dead-letters');
    const cookie = (await context.cookies()).find((c) => c.name === 'ops_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ops' });

    // An injected HubSpot failure: three 502s for the trunk upsert dead-letter the new trunk.
    const customer = await f.createCustomer(HOSTILE_NAME);
    f.sim.addFault({ kind: 'status', status: 502, count: 3, pathPrefix: TRUNK_UPSERT });
    const trunk = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody() });
    const letterId = await deadLetterFor(trunk.trunkId);

    // An hour of one-minute samples, as the ops-sample schedule would have taken them.
    for (let minute = 60; minute >= 1; minute--) {
      await storeSample(f.db.pool, { at: new Date(Date.now() - minute * 60_000), inboxPending: minute % 7, inboxLagMs: 1000 * (minute % 5), outboxPending: (60 - minute) % 13, outboxLagMs: 400 * (minute % 9), deadLettersOpen: minute < 3 ? 1 : 0, conflictsOpen: 0, burstUsed: (minute * 7) % 90, dailyUsed: 3000 + 40 * (60 - minute) });
    }
    await page.goto(`${base}/ops?range=1h`);
    await visible(page.getByText('Needs attention'));
    await checkPage(page, '02-overview');

    await page.goto(`${base}/ops/dead-letters?objectType=trunk&errorKind=hubspot_unavailable`);
    await visible(page.getByRole('cell', { name: trunk.trunkId }));
    await checkPage(page, '03-dead-letters');
    await page.getByRole('link', { name: letterId, exact: true }).click();
    await visible(page.getByRole('heading', { name: `Dead letter ${letterId}` }));
    await visible(page.getByRole('cell', { name: '502' }).first());
    await checkPage(page, '04-dead-letter-detail');
    await page.getByRole('button', { name: `Retry dead letter ${letterId}` }).click();
    expect(await textOf(page.getByRole('status'))).toContain(`Retried dead letter ${letterId}`);
    await outboxDrained(f.db);
    await page.reload();
    await visible(page.getByText('0 open dead letters match'));
    expect((await f.records('trunks', ['trunk_id'])).some((t) => t.properties['trunk_id'] === trunk.trunkId)).toBe(true);

    // A bad filter: the page names it, never a 500.
    const bad = await page.goto(`${base}/ops/dead-letters?minAgeHours=abc&objectType=planet`);
    expect(bad?.status()).toBe(400);
    expect(await textOf(page.getByRole('alert'))).toContain('minAgeHours: must be a number of hours');
    expect(await textOf(page.getByRole('alert'))).toContain('objectType: must be one of');

    // Conflicts: HubSpot edits of WARP-owned fields, resolved both ways.
    const conflict = (property: string, hubspotValue: string, warpValue: string) =>
      recordConflict(f.db.pool, { objectType: 'company', objectId: customer.companyId, property, owner: 'warp', hubspotValue, warpValue, hubspotSource: 'CRM_UI 42', changedAt: new Date(), resolution: 'owner_value_written_back' });
    await conflict('warp_api_enabled', 'true', 'false');
    await conflict('warp_payment_status', 'past_due', 'current');
    await page.goto(`${base}/ops/conflicts`);
    await visible(page.getByRole('cell', { name: 'warp_api_enabled' }));
    await checkPage(page, '05-conflicts');
    const row = (property: string) => page.getByRole('row').filter({ hasText: property });
    await row('warp_api_enabled').getByRole('button', { name: "Take HubSpot's value" }).click();
    expect(await textOf(page.getByRole('status'))).toContain("Took HubSpot's value for 1 conflict");
    expect((await f.api.call('getCustomer', { params: { ban: customer.ban } })).apiEnabled).toBe(true);
    await row('warp_payment_status').getByRole('button', { name: "Keep WARP's value" }).click();
    expect(await textOf(page.getByRole('status'))).toContain("Kept WARP's value for 1 conflict");
    await visible(page.getByText('No open conflicts'));
    expect((await f.api.call('getCustomer', { params: { ban: customer.ban } })).paymentStatus).not.toBe('past_due');
    // Taking HubSpot's value is a WARP change: it is synced out like any other.
    await outboxDrained(f.db);
    const company = (await f.records('companies', ['warp_api_enabled'])).find((c) => c.id === customer.companyId);
    expect(company?.properties['warp_api_enabled']).toBe('true');

    // A company named <script> is text everywhere.
    await page.goto(`${base}/ops/customers?q=Evil`);
    await visible(page.getByRole('cell', { name: HOSTILE_NAME }));
    await page.getByRole('link', { name: customer.ban, exact: true }).click();
    expect(await textOf(page.getByRole('heading', { level: 1 }))).toBe(HOSTILE_NAME);
    await visible(page.getByRole('cell', { name: trunk.trunkId }));
    await checkPage(page, '06-customer');
    expect(dialogs).toEqual([]);

    await page.goto(`${base}/ops/schedules`);
    await page.getByRole('button', { name: 'Run now: ops-sample' }).click();
    expect(await textOf(page.getByRole('status'))).toContain('Queued');
    await checkPage(page, '07-schedules');

    await page.goto(`${base}/ops/actions`);
    await visible(page.getByRole('cell', { name: 'dead_letter.retry' }));
    await visible(page.getByRole('cell', { name: 'conflicts.review' }).first());
    await checkPage(page, '08-actions');

    // A forged action (no CSRF token): 403 and nothing done.
    const second = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody({ name: 'second' }) });
    f.sim.addFault({ kind: 'status', status: 502, count: 3, pathPrefix: TRUNK_UPSERT });
    await f.api.call('updateTrunk', { params: { ban: customer.ban, trunkId: second.trunkId }, body: { concurrentCalls: 7 } });
    const secondLetter = await deadLetterFor(second.trunkId).catch(() => undefined);
    const forged = await context.request.post(`${base}/ops/dead-letters/${secondLetter ?? letterId}/discard`, { form: { _csrf: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    if (secondLetter) expect((await f.db.pool.query(`SELECT status FROM dead_letters WHERE id = $1`, [secondLetter])).rows[0]).toEqual({ status: 'open' });

    await page.goto(`${base}/ops`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/ops/sign-in');
    await page.goto(`${base}/ops`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/ops/sign-in');
    await context.close();
  });

  it('shows a read key everything and no action, refuses a forged one with 403, and returns after an expired session', { timeout: 60_000 }, async () => {
    const customer = await f.createCustomer('Reader Check Ltd');
    f.sim.addFault({ kind: 'status', status: 502, count: 3, pathPrefix: TRUNK_UPSERT });
    const trunk = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody() });
    const letterId = await deadLetterFor(trunk.trunkId);
    const { context, page } = await newPage();
    await page.goto(`${base}/ops/dead-letters`);
    await signIn(page, readerKey);
    await visible(page.getByRole('cell', { name: trunk.trunkId }));
    await visible(page.getByText('read only'));
    expect(await page.getByRole('button', { name: /Retry|Discard/ }).count()).toBe(0);
    await checkPage(page, '09-dead-letters-read-key');

    // The read session's own CSRF token (from its sign-out form) still does not let it act.
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const forged = await context.request.post(`${base}/ops/dead-letters/${letterId}/retry`, { form: { _csrf: csrf }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect((await f.db.pool.query(`SELECT status FROM dead_letters WHERE id = $1`, [letterId])).rows[0]).toEqual({ status: 'open' });
    const refused = await f.db.pool.query(`SELECT key_name, result FROM ops_actions WHERE action = 'dead_letter.retry' AND result = 'refused'`);
    expect(refused.rows).toEqual([{ key_name: 'ops-reader', result: 'refused' }]);

    // An expired session: back to sign-in, then to the page asked for.
    await f.db.pool.query(`UPDATE ops_sessions SET expires_at = now() - interval '1 second'`);
    await page.goto(`${base}/ops/conflicts`);
    await expect.poll(() => page.url()).toContain('/ops/sign-in?next=%2Fops%2Fconflicts');
    await signIn(page, readerKey);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/ops/conflicts');
    await context.close();
  });
});
