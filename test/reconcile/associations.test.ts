import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { HubSpotGateway } from '../../src/hubspot/gateway.js';
import type { DriftReport } from '../../src/sync/reconcile/report.js';
import type { TestDatabase } from '../support/db.js';
import type { GatewayFixture } from '../support/hubspot.js';
import { type ReconcileFixture, startReconcileFixture } from '../support/reconcile-fixture.js';
import type { BuiltPortal, PortalCounts } from '../support/reconcile-portal.js';

/**
 * WARP-owned associations (trunk→company, number→company, number→trunk): lost ones and ones WARP
 * did not make are both drift, repaired by the records' association work in the outbox.
 */

const COUNTS: PortalCounts = { companies: 20, contacts: 20, trunks: 10, numbers: 20 };

describe('reconcile of the associations WARP owns', () => {
  let fx: ReconcileFixture;
  let db: TestDatabase;
  let hs: GatewayFixture;
  let gateway: HubSpotGateway;
  let portal: BuiltPortal;

  beforeAll(async () => {
    fx = await startReconcileFixture(COUNTS);
    ({ db, hs, gateway, portal } = fx);
  }, 120_000);
  afterAll(async () => {
    await fx.close();
  });

  const run = async (dryRun: boolean): Promise<DriftReport> => (await fx.run('full', dryRun)).report as unknown as DriftReport;
  const differing = (report: DriftReport) => Object.fromEntries(Object.entries(report.associations).map(([pair, a]) => [pair, a.differing]));
  const outbox = async () => (await db.pool.query<{ object_type: string; record_key: string }>('SELECT object_type, record_key FROM outbox ORDER BY 1, 2')).rows;
  // The seeder's layout: number i routes to trunk i % trunks, trunk j belongs to company j % companies.
  const numberId = (i: number) => String(portal.firstIds.numbers + i);
  const trunkId = (j: number) => String(portal.firstIds.trunks + j);
  const companyId = (k: number) => String(portal.firstIds.companies + k);
  const numberKey = (i: number) => `+1555${String(i + 1).padStart(7, '0')}`;

  it('compares a number with its trunk even when that trunk\'s own company link is repaired first', async () => {
    // Trunk 3 lost its company and number 3 (routed to trunk 3) lost its trunk.
    await gateway.removeAssociation({ objectType: 'trunks', id: trunkId(3) }, { objectType: 'companies', id: companyId(3) });
    await gateway.removeAssociation({ objectType: 'numbers', id: numberId(3) }, { objectType: 'trunks', id: trunkId(3) });
    const report = await run(false);
    expect(differing(report)).toMatchObject({ 'trunk→company': 1, 'number→trunk': 1, 'number→company': 0 });
    // Through the association outbox: the records themselves are not written again.
    expect(await outbox()).toEqual([
      { object_type: 'association', record_key: `number:${numberKey(3)}` },
      { object_type: 'association', record_key: 'trunk:trunk_0000004' },
    ]);
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM trunks WHERE hubspot_object_id IS NULL`);
    expect(rows[0]!.n).toBe(0);
    await fx.drainOutbox();
    expect(differing(await run(true))).toMatchObject({ 'trunk→company': 0, 'number→trunk': 0, 'number→company': 0 });
  }, 120_000);

  it('finds associations in HubSpot that WARP did not make and removes them through the association outbox', async () => {
    // Number 5 also linked to another company and another trunk; trunk 6 to a second company.
    await gateway.associateDefault({ objectType: 'numbers', id: numberId(5) }, { objectType: 'companies', id: companyId(11) });
    await gateway.associateDefault({ objectType: 'numbers', id: numberId(5) }, { objectType: 'trunks', id: trunkId(8) });
    await gateway.associateDefault({ objectType: 'trunks', id: trunkId(6) }, { objectType: 'companies', id: companyId(12) });
    const dry = await run(true);
    expect(differing(dry)).toMatchObject({ 'trunk→company': 1, 'number→trunk': 1, 'number→company': 1 });
    expect(dry.associations['number→company']?.actions).toEqual({ 'remove association WARP did not make': 1 });
    expect(await outbox()).toEqual([]);

    const repaired = await run(false);
    expect(differing(repaired)).toMatchObject({ 'trunk→company': 1, 'number→trunk': 1, 'number→company': 1 });
    expect(await outbox()).toEqual([
      { object_type: 'association', record_key: `number:${numberKey(5)}` },
      { object_type: 'association', record_key: 'trunk:trunk_0000007' },
    ]);
    // The association work makes HubSpot's links exactly WARP's; the next run finds nothing.
    await fx.drainOutbox();
    const after = await run(true);
    expect(differing(after)).toMatchObject({ 'trunk→company': 0, 'number→trunk': 0, 'number→company': 0 });
  }, 120_000);

  it('queues no association work to a company HubSpot deleted, run after run (it could only dead-letter)', async () => {
    // Company 2 is deleted in HubSpot; trunk 2 and numbers 2 and 12 (routed to trunk 2) belong to its customer.
    const archived = await fetch(`${hs.sim.url}/__sim/ui-edit`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ objectType: 'companies', action: 'archive', objectId: companyId(2) }),
    });
    expect(archived.ok).toBe(true);
    for (let round = 1; round <= 2; round++) {
      const report = await run(false);
      expect(report.associations['trunk→company']).toMatchObject({ differing: 0, consequential: 1, actions: { 'leave unlinked (its company is deleted or merged in HubSpot)': 1 } });
      expect(report.associations['number→company']).toMatchObject({ differing: 0, consequential: 2, actions: { 'leave unlinked (its company is deleted or merged in HubSpot)': 2 } });
      // Before: association work for trunk_0000003, +15550000003 and +15550000013 on every run, each failing OBJECT_NOT_FOUND.
      expect((await outbox()).filter((e) => e.object_type === 'association')).toEqual([]);
    }
  }, 120_000);
});
