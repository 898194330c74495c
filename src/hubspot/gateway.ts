import { pino } from 'pino';
import { Registry } from 'prom-client';

import type { Logger } from '../lib/logger.js';
import * as assoc from './associations.js';
import { DEFAULT_CHUNK_CONCURRENCY } from './batching.js';
import { HttpClient } from './client.js';
import { type Clock, systemClock } from './clock.js';
import * as meta from './crm-meta.js';
import * as engagements from './engagements.js';
import { createGatewayMetrics } from './metrics.js';
import * as objects from './objects.js';
import { DEFAULT_RATE_LIMITS, RateBudget, type RateBudgetStore, type RateLimits } from './rate-budget.js';
import { DEFAULT_RETRY_TUNING, type RetryTuning } from './retry-policy.js';
import * as searching from './search.js';
import type { Priority } from './types.js';

/**
 * The HubSpot gateway: every call warp-hubspot makes to HubSpot goes through one of these. It
 * shares one rate budget per HubSpot account with every other process (PostgreSQL), retries by
 * HubSpot's policies, chunks batches to the documented maxima and reports per-input failures,
 * validates responses with zod, and throws `HubSpotError` with a `kind` to switch on.
 *
 *   const hubspot = createHubSpotGateway({ baseUrl, accessToken, budgetStore: createRateBudgetStore(pool), accountKey: 'portal-1234567' });
 *   const { results, failures } = await hubspot.batchUpsert('companies', inputs, { priority: 'scheduled' });
 */

export interface HubSpotGatewayOptions {
  /** `https://api.hubapi.com`, or the simulator's URL. */
  baseUrl: string;
  accessToken: string;
  /** Where the shared rate budget lives (store/rate-budget.ts, over migration 0003). */
  budgetStore: RateBudgetStore;
  /** Identifies the HubSpot account and app whose limits are shared, e.g. `portal-1234567`. */
  accountKey: string;
  limits?: Partial<RateLimits>;
  /** Total attempts per HTTP call (default 3); 429/5xx/423/477/timeouts are retried, 4xx never. */
  maxAttempts?: number;
  retry?: Partial<Omit<RetryTuning, 'maxAttempts'>>;
  /** Per attempt (default 30 s). */
  requestTimeoutMs?: number;
  /** Longest a call waits for the shared budget before failing `rate_limited` (default 60 s). */
  maxBudgetWaitMs?: number;
  /** Priority of calls that do not name one (default `scheduled`). */
  defaultPriority?: Priority;
  /** Chunks of one batch call in flight at once (default 4). */
  chunkConcurrency?: number;
  /** Prometheus registry for the gateway's metrics (default: a private one). */
  metrics?: Registry;
  logger?: Logger;
  /**
   * Back-off sleeps between retries; tests inject a clock that records and shortens them. The rate
   * budget always waits in real time: its windows are measured by the database clock.
   */
  clock?: Clock;
}

/** Bind the first (context) argument of every operation. */
type Bound<F> = F extends (ctx: objects.OperationContext, ...args: infer A) => infer R ? (...args: A) => R : never;

export interface HubSpotGateway {
  // Records of any type (companies, contacts, tickets, notes, custom objects by id or name).
  getObject: Bound<typeof objects.getObject>;
  createObject: Bound<typeof objects.createObject>;
  updateObject: Bound<typeof objects.updateObject>;
  archiveObject: Bound<typeof objects.archiveObject>;
  listObjects: Bound<typeof objects.listObjects>;
  /** A list page whose unparseable records come back in `invalid` instead of failing it. */
  listObjectsChecked: Bound<typeof objects.listObjectsChecked>;
  iterateObjects: Bound<typeof objects.iterateObjects>;
  // Batches: chunked to 100, 207-aware; results + failures (only the failed inputs, each with its reason).
  batchCreate: Bound<typeof objects.batchCreate>;
  batchRead: Bound<typeof objects.batchRead>;
  batchUpdate: Bound<typeof objects.batchUpdate>;
  batchUpsert: Bound<typeof objects.batchUpsert>;
  batchArchive: Bound<typeof objects.batchArchive>;
  // Search: one page, or every match past the 10,000 cap.
  search: Bound<typeof searching.search>;
  searchChecked: Bound<typeof searching.searchChecked>;
  searchAll: Bound<typeof searching.searchAll>;
  // Properties, groups, schemas, pipelines.
  listProperties: Bound<typeof meta.listProperties>;
  createProperty: Bound<typeof meta.createProperty>;
  updateProperty: Bound<typeof meta.updateProperty>;
  listPropertyGroups: Bound<typeof meta.listPropertyGroups>;
  createPropertyGroup: Bound<typeof meta.createPropertyGroup>;
  updatePropertyGroup: Bound<typeof meta.updatePropertyGroup>;
  listSchemas: Bound<typeof meta.listSchemas>;
  getSchema: Bound<typeof meta.getSchema>;
  createSchema: Bound<typeof meta.createSchema>;
  updateSchema: Bound<typeof meta.updateSchema>;
  createSchemaAssociation: Bound<typeof meta.createSchemaAssociation>;
  listPipelines: Bound<typeof meta.listPipelines>;
  // Associations v4.
  associateDefault: Bound<typeof assoc.associateDefault>;
  associate: Bound<typeof assoc.associate>;
  removeAssociation: Bound<typeof assoc.removeAssociation>;
  listAssociations: Bound<typeof assoc.listAssociations>;
  batchAssociateDefault: Bound<typeof assoc.batchAssociateDefault>;
  batchAssociate: Bound<typeof assoc.batchAssociate>;
  batchRemoveAssociations: Bound<typeof assoc.batchRemoveAssociations>;
  batchReadAssociations: Bound<typeof assoc.batchReadAssociations>;
  // Notes, timeline events, tickets.
  createNote: Bound<typeof engagements.createNote>;
  createTimelineEvent: Bound<typeof engagements.createTimelineEvent>;
  createTicket: Bound<typeof engagements.createTicket>;
  /** The limits in force (configured; HubSpot's headers may lower them at run time). */
  readonly limits: RateLimits;
  /** Writes back the budget bookkeeping still pending; call before closing the pool. */
  close(): Promise<void>;
}

export function createHubSpotGateway(options: HubSpotGatewayOptions): HubSpotGateway {
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'hubspot-gateway' });
  const metrics = createGatewayMetrics(options.metrics ?? new Registry());
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const limits: RateLimits = { ...DEFAULT_RATE_LIMITS, inflightTimeoutMs: requestTimeoutMs + 30_000, ...options.limits };
  const budget = new RateBudget({
    store: options.budgetStore,
    accountKey: options.accountKey,
    limits,
    clock: systemClock,
    logger,
    metrics,
    maxWaitMs: options.maxBudgetWaitMs ?? 60_000,
  });
  const http = new HttpClient({
    baseUrl: options.baseUrl,
    accessToken: options.accessToken,
    budget,
    clock,
    logger,
    metrics,
    retry: { ...DEFAULT_RETRY_TUNING, ...options.retry, ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}) },
    requestTimeoutMs,
  });
  const ctx: objects.OperationContext = {
    http,
    defaultPriority: options.defaultPriority ?? 'scheduled',
    chunkConcurrency: options.chunkConcurrency ?? DEFAULT_CHUNK_CONCURRENCY,
  };
  return {
    getObject: (...a) => objects.getObject(ctx, ...a),
    createObject: (...a) => objects.createObject(ctx, ...a),
    updateObject: (...a) => objects.updateObject(ctx, ...a),
    archiveObject: (...a) => objects.archiveObject(ctx, ...a),
    listObjects: (...a) => objects.listObjects(ctx, ...a),
    listObjectsChecked: (...a) => objects.listObjectsChecked(ctx, ...a),
    iterateObjects: (...a) => objects.iterateObjects(ctx, ...a),
    batchCreate: (...a) => objects.batchCreate(ctx, ...a),
    batchRead: (...a) => objects.batchRead(ctx, ...a),
    batchUpdate: (...a) => objects.batchUpdate(ctx, ...a),
    batchUpsert: (...a) => objects.batchUpsert(ctx, ...a),
    batchArchive: (...a) => objects.batchArchive(ctx, ...a),
    search: (...a) => searching.search(ctx, ...a),
    searchChecked: (...a) => searching.searchChecked(ctx, ...a),
    searchAll: (...a) => searching.searchAll(ctx, ...a),
    listProperties: (...a) => meta.listProperties(ctx, ...a),
    createProperty: (...a) => meta.createProperty(ctx, ...a),
    updateProperty: (...a) => meta.updateProperty(ctx, ...a),
    listPropertyGroups: (...a) => meta.listPropertyGroups(ctx, ...a),
    createPropertyGroup: (...a) => meta.createPropertyGroup(ctx, ...a),
    updatePropertyGroup: (...a) => meta.updatePropertyGroup(ctx, ...a),
    listSchemas: (...a) => meta.listSchemas(ctx, ...a),
    getSchema: (...a) => meta.getSchema(ctx, ...a),
    createSchema: (...a) => meta.createSchema(ctx, ...a),
    updateSchema: (...a) => meta.updateSchema(ctx, ...a),
    createSchemaAssociation: (...a) => meta.createSchemaAssociation(ctx, ...a),
    listPipelines: (...a) => meta.listPipelines(ctx, ...a),
    associateDefault: (...a) => assoc.associateDefault(ctx, ...a),
    associate: (...a) => assoc.associate(ctx, ...a),
    removeAssociation: (...a) => assoc.removeAssociation(ctx, ...a),
    listAssociations: (...a) => assoc.listAssociations(ctx, ...a),
    batchAssociateDefault: (...a) => assoc.batchAssociateDefault(ctx, ...a),
    batchAssociate: (...a) => assoc.batchAssociate(ctx, ...a),
    batchRemoveAssociations: (...a) => assoc.batchRemoveAssociations(ctx, ...a),
    batchReadAssociations: (...a) => assoc.batchReadAssociations(ctx, ...a),
    createNote: (...a) => engagements.createNote(ctx, ...a),
    createTimelineEvent: (...a) => engagements.createTimelineEvent(ctx, ...a),
    createTicket: (...a) => engagements.createTicket(ctx, ...a),
    limits,
    close: () => budget.flush(),
  };
}

export { HubSpotError, isHubSpotError, HUBSPOT_ERROR_KINDS, RATE_LIMIT_POLICIES, type HubSpotErrorKind } from './errors.js';
export type { RateBudgetStore, RateLimits } from './rate-budget.js';
export type { HubSpotObject, HubSpotProperty, HubSpotObjectSchema, HubSpotPipeline, AssociationTarget } from './schemas.js';
export * from './types.js';
