/**
 * Webhook delivery, as HubSpot documents it (docs/hubspot-facts.md "Webhooks"): events for active subscriptions
 * are POSTed as a JSON array of ≤ 100 events to the app's target URL, signed with v1
 * (`X-HubSpot-Signature`, version v1) and v3 (`X-HubSpot-Signature-v3` + ms timestamp over the full
 * target URL), with a 5 s timeout, up to 10 retries with randomised back-off on connection errors,
 * timeouts and any 4xx/5xx, and at most 10 (or `maxConcurrentRequests`) deliveries in flight.
 */
import { SIGNATURE_HEADERS, signV1, signV3 } from '../../hubspot/webhook-signature.js';
import type { Clock } from '../clock.js';
import type { ChangeSource, ResolvedOptions } from '../context.js';
import type { Faults } from '../faults.js';
import type { ObjectTypeInfo } from '../object-types.js';
import type { PortalState, WebhookSubscription } from '../state.js';

export const WEBHOOK_MAX_BATCH_EVENTS = 100;
/** "HubSpot sets a concurrency limit of 10 requests when sending subscription event data". */
export const WEBHOOK_MAX_CONCURRENCY = 10;
/** "Two properties are excluded from property-change subscriptions". */
const EXCLUDED_PROPERTIES = new Set(['num_unique_conversion_events', 'hs_lastmodifieddate']);
/** Floor for the time-scaled delivery timeout, so small time scales don't time out healthy local receivers. */
const WEBHOOK_MIN_TIMEOUT_MS = 1_000;
/** Back-off base per retry; HubSpot spreads retries over 24 h but publishes no schedule. */
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 3 * 60 * 60_000;
/** Seen on real deliveries (third-party capture); kept for realism. */
const USER_AGENT = 'HubSpot Connect 2.0 (http://dev.hubspot.com/) (namespace: webhooks-nio-http-client)';

export const eventKinds = ['creation', 'propertyChange', 'deletion', 'merge', 'restore', 'associationChange', 'privacyDeletion'] as const;
export type EventKind = (typeof eventKinds)[number];

export interface ChangeEvent {
  kind: EventKind;
  type: ObjectTypeInfo;
  objectId: string;
  source: ChangeSource;
  occurredAt: number;
  propertyName?: string;
  propertyValue?: string;
  merge?: { primaryObjectId: number; mergedObjectIds: number[]; newObjectId: number; numberOfPropertiesMoved: number };
  association?: { associationType: string; fromObjectId: number; toObjectId: number; associationRemoved: boolean; isPrimaryAssociation: boolean };
}

export type WebhookPayload = Record<string, unknown> & { eventId: number; subscriptionId: number; attemptNumber: number };

export interface DeliveryAttempt {
  at: string;
  url: string;
  attemptNumber: number;
  eventCount: number;
  status?: number;
  error?: string;
  durationMs: number;
  faults?: string[];
}

const CHANGE_FLAGS: Partial<Record<EventKind, string>> = { creation: 'CREATED', deletion: 'DELETED', merge: 'MERGED', restore: 'RESTORED' };

interface Job { events: WebhookPayload[]; attempt: number }
interface PendingRetry { job: Job; dueAt: number; timer: NodeJS.Timeout }

export class WebhookEmitter {
  private queue: WebhookPayload[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private waiting: Job[] = [];
  private inFlight = 0;
  /** Retries wait on HubSpot time: a clock jump past `dueAt` sends them at once. */
  private retries = new Set<PendingRetry>();
  private log: DeliveryAttempt[] = [];
  private closed = false;
  /** Aborted on reset/close so no delivery from before a reset reaches a receiver afterwards. */
  private inFlightAbort = new AbortController();

  constructor(private readonly deps: { state: () => PortalState; opts: ResolvedOptions; clock: Clock; faults: Faults; onError?: (err: unknown) => void }) {
    deps.clock.onJump(() => this.sendDueRetries());
  }

  private muted = 0;

  /** Runs `fn` without emitting events (seeding and injected drift: changes no webhook reports). */
  silently<T>(fn: () => T): T {
    this.muted++;
    try {
      return fn();
    } finally {
      this.muted--;
    }
  }

  /** Matches a change against subscriptions and queues one event per matching subscription. */
  emit(ev: ChangeEvent): void {
    const state = this.deps.state();
    if (this.muted > 0 || !state.webhookSettings?.targetUrl) return;
    if (ev.kind === 'propertyChange' && EXCLUDED_PROPERTIES.has(ev.propertyName ?? '')) return;
    for (const sub of Object.values(state.subscriptions)) {
      if (!sub.active || !matches(sub, ev)) continue;
      this.queue.push(this.payload(state, sub, ev));
    }
    if (this.queue.length >= WEBHOOK_MAX_BATCH_EVENTS) this.flush();
    else if (this.queue.length > 0 && !this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.deps.clock.scale(this.deps.opts.webhookBatchDelayMs));
    }
  }

  private payload(state: PortalState, sub: WebhookSubscription, ev: ChangeEvent): WebhookPayload {
    const generic = sub.eventType.startsWith('object.');
    const p: WebhookPayload = {
      eventId: state.nextEventId++, subscriptionId: sub.id, portalId: this.deps.opts.portalId, appId: this.deps.opts.appId,
      occurredAt: ev.occurredAt, subscriptionType: sub.eventType, attemptNumber: 0,
    };
    if (ev.kind !== 'associationChange') p.objectId = Number(ev.objectId);
    if (generic) p.objectTypeId = ev.type.objectTypeId;
    if (ev.kind === 'propertyChange') {
      p.propertyName = ev.propertyName;
      p.propertyValue = ev.propertyValue;
    }
    p.changeSource = ev.source.changeSource;
    p.sourceId = ev.source.sourceId;
    const flag = CHANGE_FLAGS[ev.kind];
    if (flag) p.changeFlag = flag;
    if (generic && ev.kind !== 'associationChange') p.isSensitive = false;
    if (ev.merge) Object.assign(p, ev.merge);
    if (ev.association) Object.assign(p, ev.association);
    return p;
  }

  /** Moves queued events into ≤ 100-event batches. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    while (this.queue.length > 0) {
      const events = this.queue.splice(0, WEBHOOK_MAX_BATCH_EVENTS);
      const faults = this.deps.faults.takeWebhook();
      if (faults.drop) {
        this.record({ at: new Date().toISOString(), url: this.targetUrl(), attemptNumber: 0, eventCount: events.length, durationMs: 0, faults: ['drop'] });
        continue;
      }
      if (faults.reorder) events.reverse();
      this.waiting.push({ events, attempt: 0 });
      if (faults.duplicate) this.waiting.push({ events: events.map((e) => ({ ...e })), attempt: 0 });
    }
    this.pump();
  }

  private targetUrl(): string {
    return this.deps.state().webhookSettings?.targetUrl ?? '';
  }

  private concurrency(): number {
    const configured = this.deps.state().webhookSettings?.throttling.maxConcurrentRequests ?? WEBHOOK_MAX_CONCURRENCY;
    return Math.max(1, Math.min(WEBHOOK_MAX_CONCURRENCY, configured));
  }

  private pump(): void {
    while (!this.closed && this.inFlight < this.concurrency() && this.waiting.length > 0) {
      const job = this.waiting.shift();
      if (!job) break;
      this.inFlight++;
      void this.deliver(job).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async deliver(job: Job): Promise<void> {
    const url = this.targetUrl();
    if (!url) return;
    const events = job.events.map((e) => ({ ...e, attemptNumber: job.attempt }));
    const body = JSON.stringify(events);
    const timestamp = String(Date.now());
    const secret = this.deps.opts.clientSecret;
    const timeoutMs = Math.max(WEBHOOK_MIN_TIMEOUT_MS, this.deps.clock.scale(this.deps.opts.webhookTimeoutMs));
    const started = Date.now();
    const abortSignal = this.inFlightAbort.signal;
    const entry: DeliveryAttempt = { at: new Date(started).toISOString(), url, attemptNumber: job.attempt, eventCount: events.length, durationMs: 0 };
    let ok = false;
    try {
      const res = await fetch(url, {
        method: 'POST',
        body,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.inFlightAbort.signal]),
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': USER_AGENT,
          'X-HubSpot-Timeout-Millis': String(timeoutMs),
          [SIGNATURE_HEADERS.v1v2]: signV1(secret, body),
          [SIGNATURE_HEADERS.version]: 'v1',
          [SIGNATURE_HEADERS.v3]: signV3(secret, 'POST', url, body, timestamp),
          [SIGNATURE_HEADERS.timestamp]: timestamp,
        },
      });
      await res.arrayBuffer().catch(() => undefined);
      entry.status = res.status;
      ok = res.status >= 200 && res.status < 300;
    } catch (err) {
      entry.error = err instanceof Error && err.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : errorText(err);
    }
    entry.durationMs = Date.now() - started;
    if (abortSignal.aborted) return;
    this.record(entry);
    if (!ok && job.attempt < this.deps.opts.webhookMaxRetries && !this.closed) this.scheduleRetry({ events: job.events, attempt: job.attempt + 1 });
  }

  private scheduleRetry(job: Job): void {
    const base = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (job.attempt - 1));
    const delay = this.deps.clock.scale(base * (0.5 + Math.random()));
    const pending: PendingRetry = { job, dueAt: this.deps.clock.now() + delay, timer: setTimeout(() => this.sendRetry(pending), delay) };
    this.retries.add(pending);
  }

  private sendRetry(pending: PendingRetry): void {
    clearTimeout(pending.timer);
    if (!this.retries.delete(pending)) return;
    this.waiting.push(pending.job);
    this.pump();
  }

  private sendDueRetries(): void {
    const now = this.deps.clock.now();
    for (const r of [...this.retries]) if (r.dueAt <= now) this.sendRetry(r);
  }

  private record(entry: DeliveryAttempt): void {
    this.log.push(entry);
    if (this.log.length > 10_000) this.log.shift();
  }

  deliveries(): DeliveryAttempt[] {
    return [...this.log];
  }

  /** True when nothing is queued, in flight or waiting for a retry. */
  isIdle(): boolean {
    return this.queue.length === 0 && this.waiting.length === 0 && this.inFlight === 0 && this.retries.size === 0;
  }

  /** Flushes pending events now and resolves once everything has been delivered or given up. */
  async drain(timeoutMs = 30_000): Promise<boolean> {
    this.flush();
    const deadline = Date.now() + timeoutMs;
    while (!this.isIdle()) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  reset(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const r of this.retries) clearTimeout(r.timer);
    this.retries.clear();
    this.queue = [];
    this.waiting = [];
    this.log = [];
    this.inFlightAbort.abort();
    this.inFlightAbort = new AbortController();
  }

  close(): void {
    this.closed = true;
    this.reset();
  }
}

function matches(sub: WebhookSubscription, ev: ChangeEvent): boolean {
  const [prefix, kind] = sub.eventType.split('.');
  if (kind !== ev.kind) return false;
  if (prefix === 'object') {
    if (sub.objectTypeId !== undefined && sub.objectTypeId !== ev.type.objectTypeId) return false;
  } else if (prefix !== ev.type.webhookPrefix) return false;
  if (ev.kind === 'propertyChange') return sub.propertyName === ev.propertyName;
  return true;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
