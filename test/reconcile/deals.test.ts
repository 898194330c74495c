import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/lib/logger.js';
import type { CachedRecord } from '../../src/store/cache-records.js';
import type { DriftReport } from '../../src/sync/reconcile/report.js';
import { type ClosedWonStages, closedWonStagesFrom } from '../../src/sync/onboarding/closed-won.js';
import { dealWonTrigger } from '../../src/sync/onboarding/trigger.js';
import type { TestDatabase } from '../support/db.js';
import type { GatewayFixture } from '../support/hubspot.js';
import { type ReconcileFixture, startReconcileFixture } from '../support/reconcile-fixture.js';
import { type BuiltPortal, injectDrift, type PortalCounts } from '../support/reconcile-portal.js';

/**
 * Deals and deal→company: HubSpot owns both, so reconcile makes the cache follow HubSpot and
 * writes nothing back. The seeded portal has no deals; these are made the way the live demo did
 * (issue 14 evidence §1: `deals/batch/create` with their companies). A deal HubSpot moved to
 * closed-won without a webhook, found by an incremental run, starts onboarding through the
 * trigger the service wires (an onboarding row and its job).
 */

const COUNTS: PortalCounts = { companies: 20, contacts: 20, trunks: 5, numbers: 5 };
const DEALS = 6;

describe('reconcile of deals and their companies', () => {
  let fx: ReconcileFixture;
  let db: TestDatabase;
  let hs: GatewayFixture;
  let portal: BuiltPortal;
  let closedWon: ClosedWonStages;
  /** Every call of the service's deal-stage hook, with the stage it saw (the real trigger runs inside it). */
  const stageHook: Array<{ id: string; stage: string | null }> = [];
  let dealIds: string[] = [];

  beforeAll(async () => {
    fx = await startReconcileFixture(COUNTS, {
      hooks: {
        onDealStageChange: async (tx, deal: CachedRecord) => {
          stageHook.push({ id: deal.hubspotId, stage: deal.values['stage'] ?? null });
          await dealWonTrigger(closedWon)(tx, deal);
        },
      },
    });
    ({ db, hs, portal } = fx);
    // The closed-won stages as the service reads them: from the portal's pipelines.
    closedWon = closedWonStagesFrom(fx.gateway, createLogger({ level: 'silent' }));
    await closedWon.start();
    expect(closedWon.isClosedWon('closedwon')).toBe(true);
  }, 120_000);
  afterAll(async () => {
    closedWon.stop();
    await fx.close();
  });

  const run = async (mode: 'full' | 'incremental', dryRun: boolean): Promise<DriftReport> => (await fx.run(mode, dryRun)).report as unknown as DriftReport;
  const companyId = (k: number) => String(portal.firstIds.companies + k);
  const simPost = async (path: string, body: unknown) => {
    const response = await fetch(`${hs.sim.url}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-token' }, body: JSON.stringify(body),
    });
    const text = await response.text();
    expect(response.ok, `${path}: ${response.status} ${text.slice(0, 300)}`).toBe(true);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const cachedDeals = async () =>
    (await db.pool.query<{ id: string; name: string; stage: string; company: string | null; deleted: boolean }>(
      `SELECT hubspot_deal_id AS id, name, stage, hubspot_company_id AS company, deleted_at IS NOT NULL AS deleted FROM deals ORDER BY hubspot_deal_id::bigint`,
    )).rows;
  const outbox = async () => (await db.pool.query<{ object_type: string; record_key: string }>('SELECT object_type, record_key FROM outbox')).rows;
  const dealDrift = (report: DriftReport) => ({ deal: report.objects.deal, link: report.associations['deal→company'] });

  it('finds changed, deleted and unlinked deals and a deal moved to another company in a dry run, then makes the cache follow HubSpot', async () => {
    // Deal i belongs to company i, as its primary company (HubSpot's labelled type 5) and unlabelled (341).
    const created = (await simPost('/crm/v3/objects/deals/batch/create', {
      inputs: Array.from({ length: DEALS }, (_, i) => ({
        properties: { dealname: `Deal ${i + 1}`, pipeline: 'default', dealstage: 'appointmentscheduled', amount: String(1000 * (i + 1)) },
        associations: [{ to: { id: companyId(i) }, types: [5, 341].map((associationTypeId) => ({ associationCategory: 'HUBSPOT_DEFINED', associationTypeId })) }],
      })),
    })) as { results: Array<{ id: string; properties: Record<string, string> }> };
    dealIds = created.results.sort((a, b) => Number(a.id) - Number(b.id)).map((d) => d.id);
    expect(dealIds).toHaveLength(DEALS);

    // The first run finds them missing in the cache and adds them with their companies.
    const baseline = await run('full', false);
    expect(baseline.objects.deal).toMatchObject({ read: DEALS, created: DEALS });
    expect((await cachedDeals()).map((d) => d.company)).toEqual(dealIds.map((_, i) => companyId(i)));
    expect(dealDrift(await run('full', true))).toMatchObject({ deal: { read: DEALS, changed: 0, created: 0, deleted: 0 }, link: { compared: DEALS, differing: 0 } });

    const injected = (await injectDrift(hs.sim.url, { changed: 1, deleted: 1, removedAssociations: 1, objectTypes: ['deals'], seed: 3 })) as unknown as {
      changed: Array<{ id: string; after: string }>; deleted: Array<{ id: string }>; removedAssociations: Array<{ fromId: string }>;
    };
    const [changed, deleted, unlinked] = [injected.changed[0]!, injected.deleted[0]!.id, injected.removedAssociations[0]!.fromId];
    // One more the drift mix has no kind for: a deal HubSpot moved to another company.
    const moved = dealIds.find((id) => ![changed.id, deleted, unlinked].includes(id))!;
    const movedFrom = companyId(dealIds.indexOf(moved));
    await fx.gateway.removeAssociation({ objectType: 'deals', id: moved }, { objectType: 'companies', id: movedFrom });
    await fx.gateway.associateDefault({ objectType: 'deals', id: moved }, { objectType: 'companies', id: companyId(15) });
    const before = await cachedDeals();

    const dry = await run('full', true);
    expect(dealDrift(dry)).toMatchObject({
      deal: { read: DEALS - 1, changed: 1, deleted: 1, fields: { dealname: 1 }, actions: { 'mark deleted in the cache': 1 } },
      link: { compared: DEALS - 1, differing: 2, actions: { 'link as in HubSpot': 2 } },
    });
    expect(await cachedDeals()).toEqual(before);
    expect(await outbox()).toEqual([]);

    const repaired = await run('full', false);
    expect(dealDrift(repaired)).toMatchObject({ deal: { changed: 1, deleted: 1 }, link: { differing: 2 } });
    const byId = new Map((await cachedDeals()).map((d) => [d.id, d]));
    expect(byId.get(changed.id)).toMatchObject({ name: changed.after, deleted: false });
    expect(byId.get(deleted)).toMatchObject({ deleted: true });
    expect(byId.get(unlinked)).toMatchObject({ company: null, deleted: false });
    expect(byId.get(moved)).toMatchObject({ company: companyId(15) });
    // HubSpot's deals are HubSpot's: nothing is written back.
    expect(await outbox()).toEqual([]);
    expect(dealDrift(await run('full', true))).toMatchObject({ deal: { changed: 0, deleted: 0, created: 0 }, link: { differing: 0 } });
  }, 60_000);

  it('an incremental run that finds a deal moved to closed-won without a webhook starts its onboarding, once', async () => {
    // A live deal with its company, so its onboarding has a company to start from.
    const live = (await cachedDeals()).find((d) => !d.deleted && d.company !== null)!;
    expect(live.stage).toBe('appointmentscheduled');
    const won = live.id;
    // The last full run set the watermark; the stage changes after it, with no webhook (none is configured).
    await simPost('/crm/v3/objects/deals/batch/update', { inputs: [{ id: won, properties: { dealstage: 'closedwon' } }] });
    const onboardings = async () => (await db.pool.query<{ hubspot_deal_id: string; hubspot_company_id: string | null }>(`SELECT hubspot_deal_id, hubspot_company_id FROM onboardings`)).rows;
    const onboardingJobs = async () => (await db.pool.query<{ task_identifier: string; key: string | null }>(`SELECT task_identifier, key FROM graphile_worker.jobs WHERE task_identifier = 'onboarding'`)).rows;
    const wonCalls = () => stageHook.filter((c) => c.stage === 'closedwon');

    const dry = await run('incremental', true);
    expect(dry.objects.deal).toMatchObject({ changed: 1, fields: { dealstage: 1 } });
    expect(wonCalls()).toEqual([]);
    expect(await onboardings()).toEqual([]);

    const repaired = await run('incremental', false);
    expect(repaired.objects.deal).toMatchObject({ changed: 1, fields: { dealstage: 1 }, actions: { applied: 1 } });
    expect((await cachedDeals()).find((d) => d.id === won)).toMatchObject({ stage: 'closedwon' });
    expect(wonCalls()).toEqual([{ id: won, stage: 'closedwon' }]);
    expect(await onboardings()).toEqual([{ hubspot_deal_id: won, hubspot_company_id: live.company }]);
    expect(await onboardingJobs()).toEqual([{ task_identifier: 'onboarding', key: `onboarding:${won}` }]);

    // The next incremental run sees the deal again (inside the search-lag buffer) but finds it as cached: no second start.
    const again = await run('incremental', false);
    expect(again.objects.deal).toMatchObject({ changed: 0 });
    expect(wonCalls()).toHaveLength(1);
    expect(await onboardings()).toHaveLength(1);
    expect(await onboardingJobs()).toHaveLength(1);
  }, 60_000);
});
