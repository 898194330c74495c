import { loadConfig } from '../../src/config.js';
import { withTransaction } from '../../src/db/pool.js';
import type { HubSpotGateway } from '../../src/hubspot/gateway.js';
import { applyProvisioning, planProvisioning } from '../../src/hubspot/provision.js';
import { createLogger } from '../../src/lib/logger.js';
import { createOrGetActiveRun, getReconcileRun, markRunRunning, type ReconcileRun } from '../../src/store/reconcile-runs.js';
import { createInboundHooks, type InboundHookParts } from '../../src/sync/inbound/hooks.js';
import { startOutboundSync } from '../../src/sync/outbound/outbound-sync.js';
import { RECONCILE_OBJECT_TYPES } from '../../src/sync/reconcile/catalogue.js';
import { executeRun, type RunnerDeps } from '../../src/sync/reconcile/runner.js';
import { reconcileSource, type ReconcileSource } from '../../src/sync/reconcile/source.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { type GatewayFixture, startGatewayFixture } from './hubspot.js';
import { type BuiltPortal, buildReconcilePortal, type PortalCounts } from './reconcile-portal.js';
import { waitFor } from './wait.js';

/**
 * Reconcile's tests: a fresh database, the simulator without practical limits, a provisioned and
 * seeded portal (test/support/reconcile-portal.ts), and runs executed to their end in this process
 * (the task adds only the job around `executeRun`).
 */
export interface ReconcileFixture {
  db: TestDatabase;
  hs: GatewayFixture;
  gateway: HubSpotGateway;
  deps: RunnerDeps;
  portal: BuiltPortal;
  run: (mode: 'full' | 'incremental', dryRun: boolean, source?: ReconcileSource, signal?: AbortSignal) => Promise<ReconcileRun>;
  /** Continues a created (or killed) run to its end. */
  resume: (id: string, source?: ReconcileSource, signal?: AbortSignal) => Promise<ReconcileRun>;
  /** The real outbound sync's workers (records and association work) until the outbox is empty. */
  drainOutbox: () => Promise<void>;
  close: () => Promise<void>;
}

export interface ReconcileFixtureOptions {
  /**
   * The inbound hooks' parts the service wires (write-backs, onboarding), for tests of what a
   * repair starts; without them the cache works on its own and a WARP-owned conflict is only recorded.
   */
  hooks?: InboundHookParts;
}

export async function startReconcileFixture(counts: PortalCounts, options: ReconcileFixtureOptions = {}): Promise<ReconcileFixture> {
  const db = await createTestDatabase();
  const hs = await startGatewayFixture(db, { burstLimit: 1_000_000, searchPerSecond: 100_000, timeScale: 0.01 });
  const gateway = hs.gateway();
  await applyProvisioning(await planProvisioning(gateway));
  const portal = await buildReconcilePortal(db.pool, hs.sim.url, 'test-token', counts);
  const deps: RunnerDeps = {
    pool: db.pool,
    logger: createLogger({ level: 'silent' }),
    source: reconcileSource(gateway),
    hooks: { ...createInboundHooks(options.hooks ?? {}), needsFetch: () => undefined },
    searchLagMs: 60_000,
    firstLookbackMs: 86_400_000,
  };
  const resume = async (id: string, source = deps.source, signal = new AbortController().signal): Promise<ReconcileRun> => {
    await executeRun({ ...deps, source }, (await markRunRunning(db.pool, id, 1))!, signal);
    await db.pool.query(`UPDATE reconcile_runs SET status = 'succeeded', finished_at = now() WHERE id = $1`, [id]);
    return (await getReconcileRun(db.pool, id))!;
  };
  return {
    db,
    hs,
    gateway,
    deps,
    portal,
    run: async (mode, dryRun, source, signal) => {
      const { run: created } = await withTransaction(db.pool, (tx) => createOrGetActiveRun(tx, { mode, dryRun, objects: RECONCILE_OBJECT_TYPES, trigger: 'manual', estimate: {} }));
      return resume(created.id, source, signal);
    },
    resume,
    drainOutbox: async () => {
      const config = loadConfig({ DATABASE_URL: db.url, HUBSPOT_ACCESS_TOKEN: 'test-token', HUBSPOT_BASE_URL: hs.sim.url, OUTBOX_POLL_INTERVAL_MS: '50', LOG_LEVEL: 'warn' });
      const workers = startOutboundSync({ pool: db.pool, gateway, logger: createLogger({ level: 'silent' }), settings: config.outbound });
      try {
        await waitFor(async () => (await db.pool.query('SELECT 1 FROM outbox LIMIT 1')).rows.length === 0, 30_000, 'an empty outbox');
      } finally {
        await workers.stop();
      }
    },
    close: async () => {
      await hs.close();
      await db.drop();
    },
  };
}
