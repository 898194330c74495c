import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DriftReport } from '../../src/sync/reconcile/report.js';
import type { ReconcileSource } from '../../src/sync/reconcile/source.js';
import { type ReconcileFixture, startReconcileFixture } from '../support/reconcile-fixture.js';
import type { PortalCounts } from '../support/reconcile-portal.js';

/**
 * A HubSpot record that fails validation (listObjectsChecked returns it in `invalid`, with its id
 * when it has one) is reported and skipped. Skipped must not mean "not listed": the sweep would take
 * its cache row for deleted in HubSpot, and its WARP trunk or number for missing there (recreated:
 * a second copy in HubSpot).
 */

const COUNTS: PortalCounts = { companies: 20, contacts: 20, trunks: 10, numbers: 20 };

describe('reconcile of a HubSpot page with a record that does not parse', () => {
  let fx: ReconcileFixture;

  beforeAll(async () => {
    fx = await startReconcileFixture(COUNTS);
  }, 120_000);
  afterAll(async () => {
    await fx.close();
  });

  it('reports and skips the record (and a trunk without trunk_id), and neither marks its cache row deleted nor recreates its trunk', async () => {
    const companyId = String(fx.portal.firstIds.companies + 3);
    const trunkId = String(fx.portal.firstIds.trunks + 4);
    const keyless = String(fx.portal.firstIds.trunks + 6);
    const broken = new Set([companyId, trunkId]);
    // What listObjectsChecked returns for a record whose properties fail the schema.
    const source: ReconcileSource = {
      ...fx.deps.source,
      listPage: async (entry, after, signal) => {
        const page = await fx.deps.source.listPage(entry, after, signal);
        const bad = page.records.filter((r) => broken.has(r.id));
        return {
          ...page,
          // A trunk whose trunk_id was emptied in HubSpot parses, but cannot be matched either.
          records: page.records.filter((r) => !broken.has(r.id)).map((r) => (r.id === keyless ? { ...r, properties: { ...r.properties, trunk_id: '' } } : r)),
          invalid: [...page.invalid, ...bad.map((r) => ({ id: r.id, reason: 'properties.name: Invalid input: expected string, received number' }))],
        };
      },
    };
    for (const dryRun of [true, false]) {
      const report = (await fx.run('full', dryRun, source)).report as unknown as DriftReport;
      expect(report.objects.company).toMatchObject({ invalid: 1, deleted: 0 });
      expect(report.objects.company?.samples).toEqual([{ id: companyId, problem: 'properties.name: Invalid input: expected string, received number' }]);
      expect(report.objects.trunk).toMatchObject({ invalid: 2, deleted: 0, actions: {} });
    }
    const { rows: customers } = await fx.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers WHERE deleted_at IS NOT NULL`);
    expect(customers[0]!.n).toBe(0);
    const { rows: trunks } = await fx.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM trunks WHERE hubspot_object_id IS NULL`);
    expect(trunks[0]!.n).toBe(0);
    expect((await fx.db.pool.query('SELECT object_type, record_key FROM outbox')).rows).toEqual([]);
  }, 120_000);

  it('through HTTP: the record the simulator spoils in a list page (full run) and in a search page (incremental) is reported and skipped, and the run goes on', async () => {
    const spoil = (method: string, pathPrefix: string) =>
      fetch(`${fx.hs.sim.url}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'corrupt-record', count: 1, method, pathPrefix }) });
    expect((await spoil('GET', '/crm/v3/objects/companies')).status).toBe(201);
    const full = await fx.run('full', true);
    expect(full.status).toBe('succeeded');
    const fullCompanies = (full.report as unknown as DriftReport).objects.company;
    expect(fullCompanies).toMatchObject({ invalid: 1, deleted: 0 });
    expect(fullCompanies?.samples?.[0]?.problem).toContain('hs_corrupted');

    expect((await spoil('POST', '/crm/v3/objects/companies/search')).status).toBe(201);
    const incremental = await fx.run('incremental', true);
    expect(incremental.status).toBe('succeeded');
    const searched = (incremental.report as unknown as DriftReport).objects.company;
    expect(searched).toMatchObject({ invalid: 1 });
    expect(searched?.read).toBeGreaterThan(0);
    expect(searched?.samples?.[0]?.problem).toContain('hs_corrupted');
  }, 120_000);
});
