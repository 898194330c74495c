/**
 * Simulator settings from command-line flags and environment variables (flags win). This is the
 * only simulator module that reads `process.env`. Every setting is listed in README.md.
 *
 *   flag                      env                                default
 *   --port                    HUBSPOT_SIM_PORT                   4010 (CLI) / 0 in-process
 *   --host                    HUBSPOT_SIM_HOST                   127.0.0.1
 *   --portal-id               HUBSPOT_SIM_PORTAL_ID              1234567
 *   --app-id                  HUBSPOT_SIM_APP_ID                 7654321
 *   --client-secret           HUBSPOT_SIM_CLIENT_SECRET          sim-client-secret
 *   --burst-limit             HUBSPOT_SIM_BURST_LIMIT            100
 *   --burst-window-ms         HUBSPOT_SIM_BURST_WINDOW_MS        10000
 *   --daily-limit             HUBSPOT_SIM_DAILY_LIMIT            250000
 *   --search-per-second       HUBSPOT_SIM_SEARCH_PER_SECOND      5
 *   --time-scale              HUBSPOT_SIM_TIME_SCALE             1
 *   --search-index-lag-ms     HUBSPOT_SIM_SEARCH_INDEX_LAG_MS    0
 *   --seed-demo / --no-seed   HUBSPOT_SIM_SEED_DEMO              true (CLI)
 *   --state-file              HUBSPOT_SIM_STATE_FILE             (memory only)
 *   --tokens                  HUBSPOT_SIM_TOKENS                 (any token) JSON {"tok":{"kind":"private","scopes":[..]}}
 *   --oauth-token-prefix      HUBSPOT_SIM_OAUTH_TOKEN_PREFIX     oauth-
 *   --no-control-api          HUBSPOT_SIM_CONTROL_API            true (CLI)
 *   --log                     HUBSPOT_SIM_LOG                    false
 *   --webhook-url             HUBSPOT_SIM_WEBHOOK_URL            (none)
 *   --webhook-subscriptions   HUBSPOT_SIM_WEBHOOK_SUBSCRIPTIONS  (none) e.g. contact.creation,contact.propertyChange:email
 *   --webhook-batch-delay-ms  HUBSPOT_SIM_WEBHOOK_BATCH_DELAY_MS 500
 *   --webhook-timeout-ms      HUBSPOT_SIM_WEBHOOK_TIMEOUT_MS     5000
 *   --webhook-max-retries     HUBSPOT_SIM_WEBHOOK_MAX_RETRIES    10
 *   --invoices / --no-invoices HUBSPOT_SIM_INVOICES              true (portal has access to invoices)
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { SimulatorOptions } from './server.js';

const int = z.coerce.number().int();
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v))]);
const tokenSchema = z.record(z.string(), z.object({
  kind: z.enum(['private', 'oauth']),
  scopes: z.array(z.string()).optional(),
  appId: z.number().int().optional(),
}));

const cliSchema = z.object({
  port: int.min(0).max(65535).default(4010),
  host: z.string().min(1).default('127.0.0.1'),
  portalId: int.positive().optional(),
  appId: int.positive().optional(),
  clientSecret: z.string().min(1).optional(),
  burstLimit: int.positive().optional(),
  burstWindowMs: int.positive().optional(),
  dailyLimit: int.positive().optional(),
  searchPerSecond: int.positive().optional(),
  timeScale: z.coerce.number().positive().optional(),
  searchIndexLagMs: int.nonnegative().optional(),
  seedDemo: bool.default(true),
  stateFile: z.string().min(1).optional(),
  tokens: z.string().transform((s, c) => {
    try {
      return tokenSchema.parse(JSON.parse(s));
    } catch (err) {
      c.addIssue({ code: 'custom', message: `tokens must be JSON {"<token>":{"kind":"private|oauth","scopes":[...]}}: ${String(err)}` });
      return z.NEVER;
    }
  }).optional(),
  oauthTokenPrefix: z.string().optional(),
  enableControlApi: bool.default(true),
  logger: bool.default(false),
  webhookUrl: z.string().url().optional(),
  webhookSubscriptions: z.string().optional(),
  webhookBatchDelayMs: int.nonnegative().optional(),
  webhookTimeoutMs: int.positive().optional(),
  webhookMaxRetries: int.min(0).max(10).optional(),
  invoicesEnabled: bool.optional(),
});

export interface CliConfig {
  options: SimulatorOptions;
  webhookUrl?: string;
  /** Parsed `eventType[:propertyName]` list. */
  webhookSubscriptions: { eventType: string; propertyName?: string }[];
}

const FLAGS = {
  port: 'PORT', host: 'HOST', 'portal-id': 'PORTAL_ID', 'app-id': 'APP_ID', 'client-secret': 'CLIENT_SECRET',
  'burst-limit': 'BURST_LIMIT', 'burst-window-ms': 'BURST_WINDOW_MS', 'daily-limit': 'DAILY_LIMIT',
  'search-per-second': 'SEARCH_PER_SECOND', 'time-scale': 'TIME_SCALE', 'search-index-lag-ms': 'SEARCH_INDEX_LAG_MS',
  'state-file': 'STATE_FILE', tokens: 'TOKENS', 'oauth-token-prefix': 'OAUTH_TOKEN_PREFIX', 'webhook-url': 'WEBHOOK_URL',
  'webhook-subscriptions': 'WEBHOOK_SUBSCRIPTIONS', 'webhook-batch-delay-ms': 'WEBHOOK_BATCH_DELAY_MS',
  'webhook-timeout-ms': 'WEBHOOK_TIMEOUT_MS', 'webhook-max-retries': 'WEBHOOK_MAX_RETRIES',
} as const;

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export const HELP = `Usage: npm run sim -- [flags]
HubSpot CRM simulator. Every flag also has an environment variable HUBSPOT_SIM_<NAME>; see
src/simulator/README.md. Flags: ${Object.keys(FLAGS).map((f) => `--${f}`).join(' ')}
  --seed-demo | --no-seed   --control-api | --no-control-api   --invoices | --no-invoices   --log   --help`;

/** Parses argv (without node/script) and the environment into simulator options. */
export function parseSimulatorConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): CliConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }])),
      'seed-demo': { type: 'boolean' }, 'no-seed': { type: 'boolean' }, 'control-api': { type: 'boolean' },
      'no-control-api': { type: 'boolean' }, invoices: { type: 'boolean' }, 'no-invoices': { type: 'boolean' }, log: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const raw: Record<string, unknown> = {};
  for (const [flag, envName] of Object.entries(FLAGS)) {
    const v = (values as Record<string, unknown>)[flag] ?? env[`HUBSPOT_SIM_${envName}`];
    if (v !== undefined && v !== '') raw[camel(flag)] = v;
  }
  raw.seedDemo = values['no-seed'] ? false : values['seed-demo'] ? true : env.HUBSPOT_SIM_SEED_DEMO;
  raw.enableControlApi = values['no-control-api'] ? false : values['control-api'] ? true : env.HUBSPOT_SIM_CONTROL_API;
  raw.logger = values.log ? true : env.HUBSPOT_SIM_LOG;
  raw.invoicesEnabled = values['no-invoices'] ? false : values.invoices ? true : env.HUBSPOT_SIM_INVOICES;
  for (const k of ['seedDemo', 'enableControlApi', 'logger', 'invoicesEnabled']) if (raw[k] === undefined || raw[k] === '') delete raw[k];
  const parsed = cliSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid simulator configuration: ${z.prettifyError(parsed.error)}`);
  const { webhookUrl, webhookSubscriptions, ...options } = parsed.data;
  const subs = (webhookSubscriptions ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [eventType = '', propertyName] = s.split(':');
    return propertyName ? { eventType, propertyName } : { eventType };
  });
  return { options, webhookUrl, webhookSubscriptions: subs };
}
