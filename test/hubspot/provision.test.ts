import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { withSessionLock } from '../../src/db/locks.js';
import { applyProvisioning, formatPlan, planProvisioning, provisionPortal } from '../../src/hubspot/provision.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { type GatewayFixture, startGatewayFixture } from '../support/hubspot.js';
import { runTs } from '../support/process.js';

let db: TestDatabase;
let fx: GatewayFixture;

beforeAll(async () => {
  db = await createTestDatabase();
  fx = await startGatewayFixture(db, { burstLimit: 1_000 });
});
afterAll(async () => {
  await fx?.close();
  await db?.drop();
});

const writes = (): number => fx.sim.requestLog().filter((r) => r.method !== 'GET').length;

describe('provisioning a fresh portal', () => {
  it('plans without writing, applies, and a second run writes nothing', async () => {
    fx.sim.reset({ seedDemo: true });
    const hubspot = fx.gateway();

    const plan = await planProvisioning(hubspot);
    expect(writes()).toBe(0);
    const creates = plan.steps.filter((s) => s.action === 'create').map((s) => s.target);
    expect(creates).toEqual(expect.arrayContaining(['companies.warp', 'companies.warp_ban', 'contacts.warp_role', 'tickets.warp_severity', 'trunks', 'numbers', 'numbers -> trunks']));
    expect(plan.steps.every((s) => s.action === 'create')).toBe(true);

    const report = await applyProvisioning(plan);
    expect(report.failed).toBe(0);
    expect(report.writes).toBe(creates.length);
    expect(writes()).toBe(creates.length);

    // What HubSpot now has, checked through the API.
    const companyProps = await hubspot.listProperties('companies');
    const spend = companyProps.find((p) => p.name === 'warp_mtd_spend');
    expect(spend).toMatchObject({ type: 'number', fieldType: 'number', numberDisplayHint: 'currency', groupName: 'warp' });
    expect(companyProps.find((p) => p.name === 'warp_status')?.options?.map((o) => o.value)).toEqual(['active', 'suspended', 'churned']);
    expect(companyProps.find((p) => p.name === 'warp_ban')?.hasUniqueValue).toBe(true);
    expect(companyProps.find((p) => p.name === 'warp_api_enabled')).toMatchObject({ type: 'bool', fieldType: 'booleancheckbox' });
    expect((await hubspot.listProperties('contacts')).find((p) => p.name === 'warp_last_api_call')).toMatchObject({ type: 'datetime', fieldType: 'date' });
    const schemas = await hubspot.listSchemas();
    const trunks = schemas.find((s) => s.name === 'trunks')!;
    const numbers = schemas.find((s) => s.name === 'numbers')!;
    expect(trunks.properties.find((p) => p.name === 'trunk_id')?.hasUniqueValue).toBe(true);
    expect(numbers.properties.find((p) => p.name === 'number')?.hasUniqueValue).toBe(true);
    expect(trunks.associations?.map((a) => a.toObjectTypeId)).toContain('0-2');
    expect(numbers.associations?.map((a) => a.toObjectTypeId)).toEqual(expect.arrayContaining(['0-2', trunks.objectTypeId]));

    // Records of the new objects work, by name, with upsert on the unique id.
    const upsert = await hubspot.batchUpsert('trunks', [{ id: 'trunk_456', idProperty: 'trunk_id', properties: { name: 'Production SIP Trunk', status: 'active', concurrent_calls: 100 } }]);
    expect(upsert.failures).toEqual([]);

    fx.sim.clearRequestLog();
    const second = await applyProvisioning(await planProvisioning(hubspot));
    expect(second.writes).toBe(0);
    expect(second.outcomes.every((o) => o.status === 'unchanged')).toBe(true);
    expect(writes()).toBe(0);
  });

  it('reports a property it cannot change, names it, and applies everything else', async () => {
    fx.sim.reset({ seedDemo: false });
    const hubspot = fx.gateway();
    await hubspot.createProperty('contacts', { name: 'warp_role', label: 'Role', type: 'string', fieldType: 'text', groupName: 'contactinformation' });
    await hubspot.createProperty('companies', { name: 'warp_status', label: 'Old label', type: 'enumeration', fieldType: 'select', groupName: 'companyinformation', options: [{ label: 'Active', value: 'active' }] });

    const plan = await planProvisioning(hubspot);
    const role = plan.steps.find((s) => s.target === 'contacts.warp_role')!;
    expect(role.action).toBe('conflict');
    expect(role.detail).toContain('type is string/text in HubSpot, want enumeration/select');
    const status = plan.steps.find((s) => s.target === 'companies.warp_status')!;
    expect(status.action).toBe('update');
    expect(status.detail).toContain('options + suspended, churned');
    expect(formatPlan(plan).join('\n')).toMatch(/conflict\s+property\s+contacts\.warp_role/);

    const report = await applyProvisioning(plan);
    expect(report.conflicts).toBe(1);
    expect(report.failed).toBe(0);
    const updated = (await hubspot.listProperties('companies')).find((p) => p.name === 'warp_status');
    expect(updated).toMatchObject({ label: 'WARP status', groupName: 'warp' });
    expect(updated?.options?.map((o) => o.value)).toEqual(['active', 'suspended', 'churned']);
  });

  it('a token without the schema scope: schemas fail with the scope named, the rest is applied and reported', async () => {
    const restricted = await startGatewayFixture(db, {
      tokens: { limited: { kind: 'private', scopes: ['crm.schemas.companies.write', 'crm.schemas.companies.read', 'crm.schemas.contacts.write', 'crm.schemas.contacts.read', 'crm.schemas.tickets.write', 'crm.schemas.tickets.read', 'crm.schemas.custom.read'] } },
    });
    try {
      const hubspot = restricted.gateway({ accessToken: 'limited' });
      const report = await applyProvisioning(await planProvisioning(hubspot));
      const failed = report.outcomes.filter((o) => o.status === 'failed');
      expect(failed.map((o) => o.step.target)).toEqual(['trunks', 'numbers']);
      expect(failed[0]!.error).toContain('403');
      expect(failed[0]!.error).toContain('crm.schemas.custom.write');
      expect(report.outcomes.find((o) => o.step.target === 'numbers -> trunks')?.status).toBe('skipped');
      expect(report.outcomes.filter((o) => o.status === 'applied').length).toBeGreaterThan(20);
    } finally {
      await restricted.close();
    }
  });
});

describe('npm run cli -- provision', () => {
  it('--dry-run prints the plan and changes nothing; a real run applies; a second run makes zero writes', async () => {
    fx.sim.reset({ seedDemo: true });
    fx.sim.clearRequestLog();
    const env = { DATABASE_URL: db.url, SIMULATOR_PORT: String(fx.sim.port) };
    const dry = await runTs('src/cli/main.ts', ['provision', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/create\s+property\s+companies\.warp_ban\s+string\/text, unique/);
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    expect(writes()).toBe(0);
    const first = await runTs('src/cli/main.ts', ['provision'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Provisioning: \d+ applied, 0 already in place, 0 conflict\(s\), 0 failed/);
    const second = await runTs('src/cli/main.ts', ['provision'], env);
    expect(second.stdout).toMatch(/Provisioning: 0 applied, \d+ already in place, 0 conflict\(s\), 0 failed; 0 write\(s\) to HubSpot\./);
  });

  it('explains an unreachable simulator without a stack trace', async () => {
    const result = await runTs('src/cli/main.ts', ['provision', '--dry-run'], { DATABASE_URL: db.url, SIMULATOR_PORT: '1', HUBSPOT_MAX_ATTEMPTS: '1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('provision failed');
    expect(result.stderr).toContain('no HubSpot simulator answers at http://127.0.0.1:1');
    expect(result.stderr).not.toContain('    at ');
  });
});

describe('instances provisioning at the same moment (issue 17 item 7)', () => {
  const numbersToTrunks = async () => {
    const schemas = await fx.gateway().listSchemas();
    const trunks = schemas.find((s) => s.name === 'trunks');
    const numbers = schemas.find((s) => s.name === 'numbers');
    return Boolean(trunks && numbers?.associations?.some((a) => a.toObjectTypeId === trunks.objectTypeId));
  };

  it('without coordination, a create answered 409 is planned again: both runs end complete', async () => {
    fx.sim.reset({ seedDemo: true });
    const reports = await Promise.all([provisionPortal(fx.gateway()), provisionPortal(fx.gateway()), provisionPortal(fx.gateway())]);
    expect(reports.map((r) => r.failed)).toEqual([0, 0, 0]);
    expect(await numbersToTrunks()).toBe(true);
    expect((await planProvisioning(fx.gateway())).steps.filter((s) => s.action !== 'exists')).toEqual([]);
  });

  it('with the advisory lock, runs take turns: one does the writes, the others find the portal done', async () => {
    fx.sim.reset({ seedDemo: true });
    const reports = await Promise.all([1, 2, 3].map(() => withSessionLock(db.pool, 'hubspot-provisioning', () => provisionPortal(fx.gateway()))));
    expect(reports.map((r) => r.failed)).toEqual([0, 0, 0]);
    expect(reports.map((r) => r.writes).sort((a, b) => a - b).slice(0, 2)).toEqual([0, 0]);
    expect(await numbersToTrunks()).toBe(true);
  });
});
