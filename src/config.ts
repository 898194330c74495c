import { z } from 'zod';

import { SCHEDULES } from './schedules/catalogue.js';
import { cronProblem } from './schedules/cron.js';

/**
 * The only module that reads `process.env`. Everything is parsed once at start; an invalid or
 * missing variable stops the service with one message that names every problem.
 * Each variable is documented in README.md ("Settings").
 */

const port = z.coerce.number().int().min(1).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));
const optionalUrl = optionalString.pipe(z.url().optional());
/** Tokens and secrets: a pasted value with a space or line break is a copy mistake, refused at start. */
const optionalSecret = optionalString.pipe(z.string().regex(/^\S+$/, 'must not contain spaces or line breaks').optional());
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
/** Comma-separated CIDRs (`10.0.0.0/8, 2001:db8::/32`); a bare address means a single host. */
const cidrList = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
  .pipe(z.array(z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()])));

/** A cron expression as graphile-worker's crontab reads it (5 fields, UTC). */
const cronExpression = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `not a valid cron expression (5 fields, UTC, e.g. "30 1 * * *"): ${problem}` });
  });

/** Each schedule's timing setting, named by its catalogue entry (src/schedules/catalogue.ts). */
const scheduleEnvSchema = z.object(
  Object.fromEntries(SCHEDULES.map((s) => [s.cronSetting, z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), cronExpression.default(s.defaultCron))])),
);

/** What one process runs: `api` (HTTP only), `worker` (background work, plus probes) or both. */
export const PROCESS_ROLES = ['all', 'api', 'worker'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  ROLE: z.enum(PROCESS_ROLES).default('all'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: optionalUrl,
  EMBEDDED_PG_DIR: z.string().min(1).default('.data/postgres'),
  EMBEDDED_PG_PORT: port.default(54329),
  DATABASE_POOL_MAX: positiveInt.default(10),

  HTTP_BODY_LIMIT_BYTES: positiveInt.default(1024 * 1024),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt.min(100).default(30_000),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  TLS_CERT_FILE: optionalString,
  TLS_KEY_FILE: optionalString,
  METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),

  HUBSPOT_ACCESS_TOKEN: optionalSecret,
  HUBSPOT_BASE_URL: optionalUrl,
  HUBSPOT_CLIENT_SECRET: optionalSecret,
  // 0: any free port (tests); a taken port also falls back to a free one, with a warning.
  SIMULATOR_PORT: z.coerce.number().int().min(0).max(65_535).default(4010),
  // Where the bundled simulator keeps its portal between starts; default: beside the embedded
  // database (see simulatorStateFile), since the cache in it holds the portal's ids. "" = memory only.
  SIMULATOR_STATE_FILE: z.string().optional(),
  // false: the bundled simulator is a portal without invoices (0-53), so invoices go out as notes.
  HUBSPOT_SIM_INVOICES: bool.default(true),
  HUBSPOT_ACCOUNT_KEY: optionalString,
  HUBSPOT_PROVISION_AT_START: bool.default(true),
  HUBSPOT_BURST_LIMIT: positiveInt.default(100),
  HUBSPOT_BURST_WINDOW_MS: positiveInt.default(10_000),
  HUBSPOT_DAILY_LIMIT: positiveInt.default(250_000),
  HUBSPOT_SEARCH_PER_SECOND: positiveInt.default(5),
  HUBSPOT_SAFETY_MARGIN_MS: z.coerce.number().int().min(0).default(250),
  HUBSPOT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  HUBSPOT_REQUEST_TIMEOUT_MS: positiveInt.default(30_000),
  HUBSPOT_APP_ID: optionalString.pipe(z.string().regex(/^\d+$/).optional()),

  WEBHOOK_PUBLIC_BASE_URL: optionalUrl,
  WEBHOOK_ALLOW_V1: bool.default(false),
  // Capped: the replay guard keeps signatures for the whole accepted window (5 min + this).
  WEBHOOK_MAX_FUTURE_SKEW_MS: positiveInt.max(5 * 60_000).default(60_000),
  WEBHOOK_BODY_LIMIT_BYTES: positiveInt.default(512 * 1024),
  WEBHOOK_ALLOWED_CIDRS: cidrList,
  WEBHOOK_TRUSTED_PROXIES: cidrList,
  INBOX_WORKERS: z.coerce.number().int().min(0).max(64).default(2),
  INBOX_BATCH_SIZE: positiveInt.max(1000).default(200),
  INBOX_POLL_INTERVAL_MS: positiveInt.default(250),
  INBOX_MAX_ATTEMPTS: positiveInt.default(10),
  SMTP_URL: optionalString.pipe(z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional()),
  SMTP_FROM: z.string().min(3).default('WARP <welcome@warp.example>'),

  OUTBOX_WORKERS: z.coerce.number().int().min(0).default(2),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(100),
  OUTBOX_POLL_INTERVAL_MS: positiveInt.default(1_000),
  OUTBOX_LEASE_MS: positiveInt.default(30_000),
  OUTBOX_MAX_ATTEMPTS: positiveInt.default(3),
  OUTBOX_RETRY_BUDGET_MS: z.coerce.number().int().min(0).default(15 * 60_000),
  OUTBOX_RETRY_BASE_DELAY_MS: positiveInt.default(2_000),
  OUTBOX_DEFER_DELAY_MS: positiveInt.default(5_000),
  OPS_ALERT_WEBHOOK_URL: optionalUrl,
  JOB_CONCURRENCY: z.coerce.number().int().min(0).max(64).default(4),
  RETENTION_DAYS: positiveInt.default(30),
  RECONCILE_SEARCH_LAG_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  RECONCILE_FIRST_LOOKBACK_HOURS: positiveInt.max(24 * 365).default(24),
  USAGE_RAW_RETENTION_DAYS: positiveInt.max(3650).default(35),
  SUPPORT_TICKET_PIPELINE: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/).default('0'),
  SUPPORT_STORM_CUSTOMERS: positiveInt.default(20),
  SUPPORT_STORM_WINDOW_MINUTES: positiveInt.max(1440).default(15),
  SUPPORT_ASR_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  SUPPORT_ASR_MIN_ATTEMPTS: positiveInt.default(50),
  USAGE_BODY_LIMIT_BYTES: positiveInt.default(16 * 1024 * 1024),
  OPS_SESSION_TTL_MS: positiveInt.min(60_000).default(8 * 60 * 60_000),
  // Unset: Secure cookies when this process serves HTTPS or runs in production (behind a TLS proxy).
  OPS_COOKIE_SECURE: bool.optional(),
  HUBSPOT_TIMELINE_TEMPLATES: optionalString.pipe(
    z
      .string()
      .transform((text, ctx) => {
        try {
          return z.record(z.string(), z.string().min(1)).parse(JSON.parse(text));
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON object mapping event kinds to template ids' });
          return z.NEVER;
        }
      })
      .optional(),
  ),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  nodeEnv: Env['NODE_ENV'];
  role: ProcessRole;
  http: {
    port: number;
    host: string;
    bodyLimitBytes: number;
    /** A request (headers and body) must arrive completely within this time, or the connection is closed. */
    requestTimeoutMs: number;
    shutdownTimeoutMs: number;
    /** PEM files: the service serves HTTPS itself when set. */
    tls: { certFile: string; keyFile: string } | undefined;
    /** Bearer token `/metrics` requires; unset: no login (keep it off the public network). */
    metricsToken: string | undefined;
  };
  logLevel: Env['LOG_LEVEL'];
  database: {
    /** Set when an external PostgreSQL is used; otherwise the embedded server below is started. */
    url: string | undefined;
    embeddedDir: string;
    embeddedPort: number;
    poolMax: number;
  };
  hubspot: {
    /** Without a token the service starts the bundled simulator and talks to it over HTTP. */
    accessToken: string | undefined;
    baseUrl: string | undefined;
    clientSecret: string | undefined;
    simulatorPort: number;
    /** The bundled simulator's state file (undefined: memory only, a fresh demo portal each start). */
    simulatorStateFile: string | undefined;
    /** Whether the bundled simulator's portal has invoices (0-53) and grants their scopes; ignored with a token. */
    simulatorInvoices: boolean;
    /** Processes with the same key share one rate budget; default: derived from the token. */
    accountKey: string | undefined;
    provisionAtStart: boolean;
    limits: { burstLimit: number; burstWindowMs: number; dailyLimit: number; searchPerSecond: number; safetyMarginMs: number };
    maxAttempts: number;
    requestTimeoutMs: number;
    /** Our app id: changes HubSpot reports with this `sourceId` are echoes of our own writes. */
    appId: string | undefined;
  };
  webhooks: {
    /** External `scheme://host[/prefix]` HubSpot calls, when a proxy rewrites it (v3 signs the full URL). */
    publicBaseUrl: string | undefined;
    allowV1: boolean;
    maxFutureSkewMs: number;
    bodyLimitBytes: number;
    /** Empty: any source address. */
    allowedCidrs: string[];
    /** Proxies whose `X-Forwarded-For` is believed when checking the allow-list. */
    trustedProxies: string[];
  };
  inbox: { workers: number; batchSize: number; pollIntervalMs: number; maxAttempts: number };
  /** Background jobs (graphile-worker) run at once in this process; 0 runs none here. */
  jobs: { concurrency: number };
  schedules: {
    /** Cron expression (UTC) per schedule name. */
    cron: Record<string, string>;
    /** Finished inbox events, webhook batches and schedule run history are kept this long. */
    retentionDays: number;
  };
  /** Incremental reconcile: search from the watermark minus `searchLagMs`; without a watermark, `firstLookbackMs` back. */
  reconcile: { searchLagMs: number; firstLookbackMs: number };
  /** Welcome emails; without `url` they are recorded and logged as not sent. */
  smtp: { url: string | undefined; from: string };
  outbound: {
    /** Outbox worker loops in this process; 0 runs the API only (another process syncs). */
    workers: number;
    batchSize: number;
    pollIntervalMs: number;
    leaseMs: number;
    maxAttempts: number;
    /** How long a record failing for passing reasons (5xx, 429, timeouts) keeps being retried. */
    retryBudgetMs: number;
    retryBaseDelayMs: number;
    deferDelayMs: number;
    /** Slack-compatible incoming webhook for ops alerts; unset: alerts are recorded and logged. */
    alertWebhookUrl: string | undefined;
    /** Timeline event template id per event kind (public apps); kinds without one become notes. */
    timelineTemplates: Record<string, string>;
  };
  /** Usage ingest: days of raw records kept, and the body limit of the usage routes (after gunzip). */
  usage: { rawRetentionDays: number; bodyLimitBytes: number };
  /** Auto-tickets (docs/support.md): pipeline, storm threshold and window, the ASR rule. */
  support: { ticketPipeline: string; stormCustomers: number; stormWindowMs: number; asrThreshold: number; asrMinAttempts: number };
  /** The ops dashboard (/ops): how long a sign-in lasts, and whether its cookie is Secure. */
  ops: { sessionTtlMs: number; secureCookie: boolean };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Values of these variables never appear in error messages: tokens, secrets, and URLs (they carry passwords, and a Slack webhook URL is itself a secret). */
const isSecretName = (name: string): boolean => name.includes('TOKEN') || name.includes('SECRET') || name.endsWith('_URL');

/** Addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const plain = host.replace(/^\[|\]$/g, '');
  return plain === 'localhost' || plain === '::1' || /^(?:::ffff:)?127(?:\.\d{1,3}){3}$/.test(plain);
}

/**
 * The bundled simulator keeps its portal where the embedded database keeps its data: the cache
 * holds the portal's ids and what was last sent to it, so a portal that started afresh while the
 * database kept everything made the service edit records that no longer exist. With DATABASE_URL
 * set the database may be anything (a test's, a throwaway one), so the simulator stays in memory
 * unless a file is named.
 */
function simulatorStateFile(setting: string | undefined, databaseUrl: string | undefined, embeddedDir: string): string | undefined {
  if (setting !== undefined) return setting === '' ? undefined : setting;
  return databaseUrl ? undefined : `${embeddedDir}.simulator.json`;
}

/**
 * Rules between variables. Fail closed: production never runs with the bundled simulator (its
 * webhook secret would be ours), nor with the embedded database; the simulator fallback is only
 * for a service nobody else can reach; the HubSpot token never travels in cleartext.
 */
function crossChecks(e: Env): string[] {
  const problems: string[] = [];
  if (e.NODE_ENV === 'production') {
    for (const name of ['HUBSPOT_ACCESS_TOKEN', 'HUBSPOT_CLIENT_SECRET', 'DATABASE_URL'] as const) {
      if (!e[name]) problems.push(`${name}: required when NODE_ENV=production (missing)`);
    }
  }
  if (e.HUBSPOT_BASE_URL && !e.HUBSPOT_ACCESS_TOKEN) {
    problems.push('HUBSPOT_BASE_URL: set HUBSPOT_ACCESS_TOKEN too, or unset both to use the bundled simulator');
  }
  if (!e.HUBSPOT_ACCESS_TOKEN && e.NODE_ENV !== 'production' && !isLoopbackHost(e.HOST)) {
    problems.push(`HOST: the bundled simulator (no HUBSPOT_ACCESS_TOKEN) runs only on a loopback HOST such as 127.0.0.1 (got ${JSON.stringify(e.HOST)})`);
  }
  if (e.HUBSPOT_BASE_URL) {
    const url = new URL(e.HUBSPOT_BASE_URL);
    const cleartextAllowed = url.protocol === 'http:' && isLoopbackHost(url.hostname) && e.NODE_ENV !== 'production';
    if (url.protocol !== 'https:' && !cleartextAllowed) {
      problems.push('HUBSPOT_BASE_URL: must be https:// (http:// only to a loopback simulator outside production) (value hidden)');
    }
  }
  if (Boolean(e.TLS_CERT_FILE) !== Boolean(e.TLS_KEY_FILE)) problems.push('TLS_CERT_FILE, TLS_KEY_FILE: set both or neither');
  return problems;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const scheduleCron = scheduleEnvSchema.safeParse(env);
  if (!parsed.success || !scheduleCron.success) {
    throw new ConfigError(
      [...(parsed.error?.issues ?? []), ...(scheduleCron.error?.issues ?? [])].map((issue) => {
        const name = issue.path.join('.');
        const value = env[name];
        const shown = value === undefined ? 'missing' : `got ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
        return `${name}: ${issue.message} (${isSecretName(name) ? 'value hidden' : shown})`;
      }),
    );
  }
  const e = parsed.data;
  const problems = crossChecks(e);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    role: e.ROLE,
    http: {
      port: e.PORT,
      host: e.HOST,
      bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
      metricsToken: e.METRICS_TOKEN,
    },
    logLevel: e.LOG_LEVEL,
    database: { url: e.DATABASE_URL, embeddedDir: e.EMBEDDED_PG_DIR, embeddedPort: e.EMBEDDED_PG_PORT, poolMax: e.DATABASE_POOL_MAX },
    hubspot: {
      accessToken: e.HUBSPOT_ACCESS_TOKEN,
      baseUrl: e.HUBSPOT_ACCESS_TOKEN ? (e.HUBSPOT_BASE_URL ?? 'https://api.hubapi.com') : undefined,
      clientSecret: e.HUBSPOT_CLIENT_SECRET,
      simulatorPort: e.SIMULATOR_PORT,
      simulatorStateFile: simulatorStateFile(e.SIMULATOR_STATE_FILE, e.DATABASE_URL, e.EMBEDDED_PG_DIR),
      simulatorInvoices: e.HUBSPOT_SIM_INVOICES,
      accountKey: e.HUBSPOT_ACCOUNT_KEY,
      provisionAtStart: e.HUBSPOT_PROVISION_AT_START,
      limits: {
        burstLimit: e.HUBSPOT_BURST_LIMIT,
        burstWindowMs: e.HUBSPOT_BURST_WINDOW_MS,
        dailyLimit: e.HUBSPOT_DAILY_LIMIT,
        searchPerSecond: e.HUBSPOT_SEARCH_PER_SECOND,
        safetyMarginMs: e.HUBSPOT_SAFETY_MARGIN_MS,
      },
      maxAttempts: e.HUBSPOT_MAX_ATTEMPTS,
      requestTimeoutMs: e.HUBSPOT_REQUEST_TIMEOUT_MS,
      appId: e.HUBSPOT_APP_ID,
    },
    webhooks: {
      publicBaseUrl: e.WEBHOOK_PUBLIC_BASE_URL?.replace(/\/+$/, ''),
      allowV1: e.WEBHOOK_ALLOW_V1,
      maxFutureSkewMs: e.WEBHOOK_MAX_FUTURE_SKEW_MS,
      bodyLimitBytes: e.WEBHOOK_BODY_LIMIT_BYTES,
      allowedCidrs: e.WEBHOOK_ALLOWED_CIDRS,
      trustedProxies: e.WEBHOOK_TRUSTED_PROXIES,
    },
    inbox: {
      workers: e.INBOX_WORKERS,
      batchSize: e.INBOX_BATCH_SIZE,
      pollIntervalMs: e.INBOX_POLL_INTERVAL_MS,
      maxAttempts: e.INBOX_MAX_ATTEMPTS,
    },
    smtp: { url: e.SMTP_URL, from: e.SMTP_FROM },
    reconcile: { searchLagMs: e.RECONCILE_SEARCH_LAG_MS, firstLookbackMs: e.RECONCILE_FIRST_LOOKBACK_HOURS * 3_600_000 },
    jobs: { concurrency: e.JOB_CONCURRENCY },
    schedules: {
      cron: Object.fromEntries(SCHEDULES.map((s) => [s.name, scheduleCron.data[s.cronSetting] ?? s.defaultCron])),
      retentionDays: e.RETENTION_DAYS,
    },
    outbound: {
      workers: e.OUTBOX_WORKERS,
      batchSize: e.OUTBOX_BATCH_SIZE,
      pollIntervalMs: e.OUTBOX_POLL_INTERVAL_MS,
      leaseMs: e.OUTBOX_LEASE_MS,
      maxAttempts: e.OUTBOX_MAX_ATTEMPTS,
      retryBudgetMs: e.OUTBOX_RETRY_BUDGET_MS,
      retryBaseDelayMs: e.OUTBOX_RETRY_BASE_DELAY_MS,
      deferDelayMs: e.OUTBOX_DEFER_DELAY_MS,
      alertWebhookUrl: e.OPS_ALERT_WEBHOOK_URL,
      timelineTemplates: e.HUBSPOT_TIMELINE_TEMPLATES ?? {},
    },
    usage: { rawRetentionDays: e.USAGE_RAW_RETENTION_DAYS, bodyLimitBytes: e.USAGE_BODY_LIMIT_BYTES },
    support: {
      ticketPipeline: e.SUPPORT_TICKET_PIPELINE,
      stormCustomers: e.SUPPORT_STORM_CUSTOMERS,
      stormWindowMs: e.SUPPORT_STORM_WINDOW_MINUTES * 60_000,
      asrThreshold: e.SUPPORT_ASR_THRESHOLD,
      asrMinAttempts: e.SUPPORT_ASR_MIN_ATTEMPTS,
    },
    ops: { sessionTtlMs: e.OPS_SESSION_TTL_MS, secureCookie: e.OPS_COOKIE_SECURE ?? (Boolean(e.TLS_CERT_FILE) || e.NODE_ENV === 'production') },
  });
}
