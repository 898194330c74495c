/**
 * The shared context every route receives: resolved options, the portal state, the clock (with
 * time scale), the search index, the webhook emitter and the persistence hook. Built by server.ts.
 */
import type { Clock } from './clock.js';
import type { PortalState } from './state.js';
import type { SearchIndex } from './search-index.js';
import type { WebhookEmitter } from './webhooks/emitter.js';
import type { RecordIndex } from './record-index.js';

/** A bearer token the simulator accepts when tokens are restricted (see README "Auth"). */
export interface TokenConfig {
  /** `private` (private app / static token) or `oauth` (public app; may use timeline). */
  kind: 'private' | 'oauth';
  /** Granted scopes; omitted = all scopes. */
  scopes?: string[];
  /** App id this token belongs to: the `sourceId` of its changes. Defaults to the simulator appId. */
  appId?: number;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  portalId: number;
  appId: number;
  clientSecret: string;
  burstLimit: number;
  burstWindowMs: number;
  dailyLimit: number;
  searchPerSecond: number;
  timeScale: number;
  searchIndexLagMs: number;
  seedDemo: boolean;
  stateFile: string | undefined;
  tokens: Record<string, TokenConfig> | undefined;
  /** In default mode (no `tokens`), bearer tokens with this prefix are treated as OAuth tokens. */
  oauthTokenPrefix: string;
  enableControlApi: boolean;
  logger: boolean;
  webhookBatchDelayMs: number;
  webhookTimeoutMs: number;
  webhookMaxRetries: number;
  /** False: the portal has no access to invoices (the invoice endpoints answer 403). */
  invoicesEnabled: boolean;
}

/** Who made a change: API writes identify the integration (app); UI edits carry `CRM_UI`. */
export interface ChangeSource {
  changeSource: string;
  sourceId: string;
}

export interface SimContext {
  opts: ResolvedOptions;
  state: PortalState;
  clock: Clock;
  search: SearchIndex;
  /** Ordered ids and unique-value lookups over `state.objects`. */
  index: RecordIndex;
  webhooks: WebhookEmitter;
  /** Called after every mutation; debounced file persistence when `stateFile` is set. */
  changed(): void;
}
