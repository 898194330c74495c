/** Bulk seeding with drift (issue 14): the portal is as reported, and every injected change is visible. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SeedReport } from '../../src/simulator/bulk-seed.js';
import type { RunningSimulator } from '../../src/simulator/server.js';
import { call, sdk, startTestSim } from './helpers.js';

let sim: RunningSimulator;
beforeAll(async () => { sim = await startTestSim({ burstLimit: 100_000, searchPerSecond: 10_000 }); });
afterAll(async () => { await sim.close(); });
beforeEach(() => { sim.reset(); });

async function listAll(c: ReturnType<typeof sdk>, objectType: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const page = await c.crm.objects.basicApi.getPage(objectType, 100, after);
    ids.push(...page.results.map((r) => r.id));
    after = page.paging?.next?.after;
  } while (after);
  return ids;
}

describe('bulk seeding', () => {
  it('builds the portal with associations and injects each drift kind, reported one by one', async () => {
    const seeded = await call(sim, 'POST', '/__sim/seed', {
      companies: 50, contacts: 100, deals: 20, tickets: 10, trunks: 30, numbers: 60,
      drift: { changed: 0.1, deleted: 2, merged: 1, removedAssociations: 2, sameTimestamp: { objectType: 'contacts', count: 20 } },
    });
    expect(seeded.status).toBe(200);
    const r = seeded.body as SeedReport;
    expect(Object.fromEntries(Object.entries(r.created).map(([k, v]) => [k, v.count]))).toEqual({ companies: 50, contacts: 100, deals: 20, tickets: 10, trunks: 30, numbers: 60 });
    expect(r.associations).toBe(100 + 20 + 10 + 30 + 60 + 60);
    const d = r.drift;
    if (!d?.sameTimestamp) throw new Error('the seed report has no drift');
    expect(d.counts).toMatchObject({ deleted: 12, merged: 4, removedAssociations: 12 });
    expect(d.changed.filter((x) => !x.sameTimestamp)).toHaveLength(5 + 10 + 2 + 1 + 3 + 6);
    expect(d.sameTimestamp).toMatchObject({ objectType: 'contacts', count: 20 });

    const c = sdk(sim);
    const companies = await listAll(c, 'companies');
    expect(companies).toHaveLength(50 - 2 - 1);
    const trunkType = r.created.trunks?.objectTypeId ?? '';
    const numberType = r.created.numbers?.objectTypeId ?? '';
    expect(await listAll(c, trunkType)).toHaveLength(30 - 2);

    const change = d.changed.find((x) => x.objectType === 'companies');
    const deleted = d.deleted.find((x) => x.objectType === 'contacts');
    const merged = d.merged.find((x) => x.objectType === 'deals');
    const gone = d.removedAssociations.find((x) => x.fromObjectType === 'numbers' && x.toObjectType === 'trunks');
    if (!change || !deleted || !merged || !gone) throw new Error('a drift kind is missing');
    expect((await c.crm.companies.basicApi.getById(change.id, [change.property])).properties[change.property]).toBe(change.after);
    expect((await c.crm.contacts.basicApi.getById(deleted.id, undefined, undefined, undefined, true)).archived).toBe(true);
    expect((await c.crm.deals.basicApi.getById(merged.primaryId, ['hs_merged_object_ids'])).properties.hs_merged_object_ids).toBe(merged.mergedId);
    const assoc = await c.crm.associations.v4.batchApi.getPage(numberType, trunkType, { inputs: [{ id: gone.fromId }] });
    expect(assoc.results).toHaveLength(0);
    const shared = await c.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'EQ' as never, value: d.sameTimestamp.at }] }], sorts: ['hs_object_id'], properties: [], limit: 100, after: '0' });
    expect(shared.total).toBe(20);
    expect(((await call(sim, 'GET', '/__sim/drift')).body as { counts: unknown }).counts).toEqual(d.counts);
  });

  it('more than 10,000 records on one hs_lastmodifieddate can be walked by hs_object_id past the search cap', async () => {
    const report = sim.seed({ companies: 10_300, drift: { sameTimestamp: { objectType: 'companies', count: 10_200 } } });
    const at = report.drift?.sameTimestamp?.at ?? '';
    const c = sdk(sim);
    const seen = new Set<string>();
    let lastId = '0';
    let capped = false;
    for (;;) {
      // One window per pass: the shared timestamp and ids above the last one seen, in id order.
      let after = '0';
      let got = 0;
      for (;;) {
        const page = await c.crm.companies.searchApi.doSearch({
          filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'EQ' as never, value: at }, { propertyName: 'hs_object_id', operator: 'GT' as never, value: lastId }] }],
          sorts: ['hs_object_id'], properties: [], limit: 200, after,
        });
        for (const x of page.results) seen.add(x.id);
        got += page.results.length;
        const next = page.paging?.next?.after;
        if (!next || Number(next) >= 10_000) {
          capped ||= Number(next) >= 10_000;
          lastId = page.results.at(-1)?.id ?? lastId;
          break;
        }
        after = next;
      }
      if (got === 0 || !capped || seen.size >= 10_200) break;
    }
    expect(capped).toBe(true);
    expect(seen.size).toBe(10_200);
  });
});
