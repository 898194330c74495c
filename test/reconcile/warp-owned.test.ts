import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DriftReport } from '../../src/sync/reconcile/report.js';
import { queueCompanyWriteBack } from '../../src/warp/accounts.js';
import type { TestDatabase } from '../support/db.js';
import type { GatewayFixture } from '../support/hubspot.js';
import { type ReconcileFixture, startReconcileFixture } from '../support/reconcile-fixture.js';
import { injectDrift, type PortalCounts } from '../support/reconcile-portal.js';

/**
 * What WARP owns, edited in HubSpot: a WARP-owned company field goes back to WARP's value (through
 * the outbox and the real outbound sync), and a trunk or number that WARP does not know is
 * reported and left alone (docs/product-rules.md "Field ownership"; issue 14: "one in HubSpot that
 * WARP does not know reported, never deleted automatically").
 */

const COUNTS: PortalCounts = { companies: 20, contacts: 20, trunks: 10, numbers: 20 };

describe('reconcile of what WARP owns, edited in HubSpot', () => {
  let fx: ReconcileFixture;
  let db: TestDatabase;
  let hs: GatewayFixture;

  beforeAll(async () => {
    // The write-back hook the service wires: without it a WARP-owned conflict is only recorded.
    fx = await startReconcileFixture(COUNTS, { hooks: { pushCompanyProperties: queueCompanyWriteBack } });
    ({ db, hs } = fx);
  }, 120_000);
  afterAll(async () => {
    await fx.close();
  });

  const run = async (dryRun: boolean): Promise<DriftReport> => (await fx.run('full', dryRun)).report as unknown as DriftReport;
  const outbox = async () => (await db.pool.query<{ object_type: string; record_key: string }>('SELECT object_type, record_key FROM outbox ORDER BY 1, 2')).rows;
  const simGet = async (path: string) => {
    const response = await fetch(`${hs.sim.url}${path}`, { headers: { authorization: 'Bearer test-token' } });
    return { status: response.status, body: (await response.json()) as { id?: string; archived?: boolean; properties?: Record<string, string | null> } };
  };
  const simCreate = async (objectType: string, properties: Record<string, string>) => {
    const response = await fetch(`${hs.sim.url}/crm/v3/objects/${objectType}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-token' }, body: JSON.stringify({ properties }),
    });
    expect(response.status).toBe(201);
    return String(((await response.json()) as { id: string }).id);
  };

  it('reports a WARP-owned company field changed in HubSpot per field, and writes WARP\'s value back', async () => {
    const drift = (await injectDrift(hs.sim.url, { changed: 2, objectTypes: ['companies'], fields: { companies: 'warp_status' }, seed: 15 })) as unknown as {
      changed: Array<{ id: string; property: string; before: string; after: string }>;
    };
    expect(drift.changed).toHaveLength(2);
    expect(drift.changed.every((c) => c.property === 'warp_status' && c.before === 'active' && c.after !== 'active')).toBe(true);
    const statuses = async () => (await db.pool.query<{ status: string }>(`SELECT status FROM customers WHERE hubspot_company_id = ANY($1) ORDER BY 1`, [drift.changed.map((c) => c.id)])).rows;

    const dry = await run(true);
    expect(dry.objects.company).toMatchObject({ changed: 2, fields: { warp_status: 2 } });
    // Found only: no write-back queued, no conflict recorded, WARP's status as it was.
    expect(await outbox()).toEqual([]);
    expect((await db.pool.query('SELECT 1 FROM sync_conflicts')).rows).toHaveLength(0);
    expect(await statuses()).toEqual([{ status: 'active' }, { status: 'active' }]);

    const repaired = await run(false);
    expect(repaired.objects.company).toMatchObject({ changed: 2, fields: { warp_status: 2 }, actions: { conflict: 2 } });
    // HubSpot's edit is refused (WARP owns the field): recorded as a conflict, WARP's value queued for HubSpot.
    expect(await statuses()).toEqual([{ status: 'active' }, { status: 'active' }]);
    const { rows: conflicts } = await db.pool.query<{ object_id: string; property: string; resolution: string }>(
      `SELECT object_id, property, resolution FROM sync_conflicts ORDER BY object_id`,
    );
    expect(conflicts).toEqual(drift.changed.map((c) => ({ object_id: c.id, property: 'warp_status', resolution: 'owner_value_written_back' })).sort((a, b) => a.object_id.localeCompare(b.object_id)));
    expect((await outbox()).map((e) => e.object_type)).toEqual(['company', 'company']);

    const hubspotStatus = async (id: string) => (await simGet(`/crm/v3/objects/companies/${id}?properties=warp_status`)).body.properties?.['warp_status'];
    // Until the outbound sync sends it, HubSpot keeps its edit.
    for (const { id, after: edited } of drift.changed) expect(await hubspotStatus(id)).toBe(edited);
    await fx.drainOutbox();
    for (const { id } of drift.changed) expect(await hubspotStatus(id)).toBe('active');
    const after = await run(true);
    expect(after.objects.company).toMatchObject({ changed: 0, fields: {} });
  }, 60_000);

  it('reports a trunk and a number only HubSpot has as unknown, and never deletes them', async () => {
    const trunk = await simCreate('trunks', { name: 'Trunk made in HubSpot', trunk_id: 'trunk_hs_only_1' });
    const number = await simCreate('numbers', { number: '+15559990001', type: 'local' });
    const unknown = (report: DriftReport) => ({
      trunk: { unknown: report.objects.trunk?.unknown, deleted: report.objects.trunk?.deleted, samples: report.objects.trunk?.samples },
      number: { unknown: report.objects.number?.unknown, deleted: report.objects.number?.deleted, samples: report.objects.number?.samples },
    });
    const expected = {
      trunk: { unknown: 1, deleted: 0, samples: [{ id: trunk, problem: 'trunk_id unknown to WARP' }] },
      number: { unknown: 1, deleted: 0, samples: [{ id: number, problem: 'number unknown to WARP' }] },
    };

    const dry = await run(true);
    expect(unknown(dry)).toEqual(expected);
    expect(dry.objects.trunk?.actions).toEqual({ 'report (unknown to WARP, not deleted)': 1 });
    expect(dry.objects.number?.actions).toEqual({ 'report (unknown to WARP, not deleted)': 1 });

    // A real run reports them the same and queues nothing: WARP neither adopts nor deletes them.
    const repaired = await run(false);
    expect(unknown(repaired)).toEqual(expected);
    expect(await outbox()).toEqual([]);
    const { rows } = await db.pool.query(`SELECT 1 FROM trunks WHERE trunk_id = 'trunk_hs_only_1' UNION ALL SELECT 1 FROM numbers WHERE number = '+15559990001'`);
    expect(rows).toHaveLength(0);
    await fx.drainOutbox();
    expect(await simGet(`/crm/v3/objects/trunks/${trunk}`)).toMatchObject({ status: 200, body: { id: trunk } });
    expect(await simGet(`/crm/v3/objects/numbers/${number}`)).toMatchObject({ status: 200, body: { id: number } });
    expect((await simGet(`/crm/v3/objects/trunks/${trunk}`)).body.archived).not.toBe(true);
    // Still there on the next run, still only reported.
    expect(unknown(await run(true))).toEqual(expected);
  }, 60_000);
});
