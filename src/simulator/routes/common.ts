/** Helpers shared by route modules: path variants, type resolution, change source, batch envelopes. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseBody } from '../body.js';
import type { ChangeSource, SimContext } from '../context.js';
import { HubSpotError, validation } from '../errors.js';
import { INVOICE_TYPE_ID, type ObjectTypeInfo } from '../object-types.js';
import { resolveObjectType } from '../state.js';

/** The v3 paths the SDK calls, plus the dated 2026-03 forms (docs/hubspot-facts.md "API versions and paths"). */
export const OBJECT_PREFIXES = ['/crm/v3/objects', '/crm/objects/2026-03'] as const;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Registers one handler under several path prefixes. */
/** Route handlers are synchronous (the store is in memory); thrown errors become HubSpot error bodies. */
export type Handler = (req: FastifyRequest, reply: FastifyReply) => unknown;

/** Adapts a synchronous handler to Fastify's promise contract. */
export function wrap(handler: Handler): (req: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  return (req, reply) => {
    try {
      return Promise.resolve(handler(req, reply));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };
}

/** Registers one handler under several path prefixes. */
export function routeAll(app: FastifyInstance, method: HttpMethod, prefixes: readonly string[], suffix: string, handler: Handler): void {
  for (const p of prefixes) app.route({ method, url: `${p}${suffix}`, handler: wrap(handler) });
}

/** Text of a JSON scalar; objects/arrays/undefined become ''. */
export function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

export type Params = Record<string, string>;
export type Query = Record<string, string | string[] | undefined>;

export function params(req: FastifyRequest): Params {
  return req.params as Params;
}

export function query(req: FastifyRequest): Query {
  return (req.query ?? {}) as Query;
}

export function str(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function objectType(ctx: SimContext, raw: string | undefined): ObjectTypeInfo {
  const t = raw === undefined ? undefined : resolveObjectType(ctx.state, raw, ctx.opts.portalId);
  if (!t) throw new HubSpotError(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${raw}`);
  if (t.objectTypeId === INVOICE_TYPE_ID && !ctx.opts.invoicesEnabled) throw invoicesUnavailable();
  return t;
}

/**
 * A portal without access to invoices (`invoicesEnabled: false`): no app can hold the invoice
 * scopes there, so every invoice endpoint answers 403 MISSING_SCOPES, as a token lacking them does.
 */
function invoicesUnavailable(): HubSpotError {
  return new HubSpotError(403, 'MISSING_SCOPES',
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    { errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: ['crm.objects.invoices.read', 'crm.objects.invoices.write'] } }], links: { scopes: 'https://developers.hubspot.com/scopes' } });
}

/**
 * API writes are attributed to the calling app: `changeSource: "INTEGRATION"`, `sourceId` = the
 * writing app's id as a string (the shape of real deliveries captured in public repositories, e.g.
 * `"changeSource":"INTEGRATION","sourceId":"9393361"`), so a receiver can suppress its own echoes.
 */
export function apiSource(req: FastifyRequest): ChangeSource {
  return { changeSource: 'INTEGRATION', sourceId: String(req.simAuth?.appId ?? 0) };
}

/** Parses `{inputs: [...]}` with `item` per input and enforces the endpoint's batch size. */
export function inputsOf<S extends z.ZodType>(req: FastifyRequest, max: number, model: string, item: S): z.output<S>[] {
  const { inputs } = parseBody(req, model, z.looseObject({ inputs: z.array(item) }));
  if (inputs.length > max) {
    throw validation(`Batch input limit exceeded: ${inputs.length} inputs provided, the limit is ${max}.`, [
      { message: `size must be between 0 and ${max}`, code: 'INVALID_SIZE', in: 'inputs' },
    ]);
  }
  return inputs;
}

/**
 * One per-input error of a 207 response: the spec's `StandardError` requires `status`, `category`,
 * `message`, `context`, `errors` and `links` on every entry, so all are always present.
 */
export interface BatchError { status: 'error'; category: string; message: string; context: Record<string, string[]>; errors: unknown[]; links: Record<string, string> }

export function batchError(category: string, message: string, context: Record<string, string[]>, errors: unknown[] = []): BatchError {
  return { status: 'error', category, message, context, errors, links: {} };
}

export function batchResponse(reply: FastifyReply, okStatus: number, results: unknown[], errors: BatchError[], startedAt: string): Record<string, unknown> {
  const out: Record<string, unknown> = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
  if (errors.length > 0) {
    out.numErrors = errors.length;
    out.errors = errors;
    void reply.code(207);
  } else {
    void reply.code(okStatus);
  }
  return out;
}

/** A HubSpotError thrown for one input, as that input's entry in `errors[]` (other errors rethrown). */
export function toBatchError(err: unknown, context: Record<string, string[]>): BatchError {
  if (err instanceof HubSpotError) return batchError(err.category, err.message, context, err.extra.errors ?? []);
  throw err;
}

/** Parses a positive integer query parameter with a maximum (`limit`). */
export function limitParam(raw: string | undefined, dflt: number, max: number): number {
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw validation(`limit must be a positive integer, got ${raw}`);
  // Strict on purpose: HubSpot documents 100 as the page maximum (docs/hubspot-facts.md "Records, batches, search").
  if (n > max) throw validation(`limit must be less than or equal to ${max}, got ${n}`, [{ message: `must be less than or equal to ${max}`, code: 'INVALID_LIMIT', in: 'limit' }]);
  return n;
}

/** The dated API forms (`…/2026-03/…`) have models of their own, some with more required fields. */
export function isDated(req: FastifyRequest): boolean {
  return req.url.includes('/2026-03/') || req.url.endsWith('/2026-03');
}

export function requestBaseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}
