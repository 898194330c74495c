/** Helpers shared by route modules: path variants, type resolution, change source, batch envelopes. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChangeSource, SimContext } from '../context.js';
import { HubSpotError, validation } from '../errors.js';
import type { ObjectTypeInfo } from '../object-types.js';
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
  return t;
}

/**
 * API writes are attributed to the calling app: `changeSource: "INTEGRATION"`, `sourceId` = the
 * writing app's id as a string (the shape of real deliveries captured in public repositories, e.g.
 * `"changeSource":"INTEGRATION","sourceId":"9393361"`), so a receiver can suppress its own echoes.
 */
export function apiSource(req: FastifyRequest): ChangeSource {
  return { changeSource: 'INTEGRATION', sourceId: String(req.simAuth?.appId ?? 0) };
}

export function body<T = Record<string, unknown>>(req: FastifyRequest): T {
  const b = req.body;
  if (b === undefined || b === null || typeof b !== 'object') throw validation('Invalid input JSON: request body is required');
  return b as T;
}

export function inputsOf(req: FastifyRequest, max: number): unknown[] {
  const inputs = body<{ inputs?: unknown }>(req).inputs;
  if (!Array.isArray(inputs)) throw validation('Invalid input JSON: "inputs" must be an array');
  if (inputs.length > max) {
    throw validation(`Batch input limit exceeded: ${inputs.length} inputs provided, the limit is ${max}.`, [
      { message: `size must be between 0 and ${max}`, code: 'INVALID_SIZE', in: 'inputs' },
    ]);
  }
  return inputs;
}

export interface BatchError { status: 'error'; category: string; message: string; context?: Record<string, string[]>; errors?: unknown[] }

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

export function toBatchError(err: unknown, context?: Record<string, string[]>): BatchError {
  if (err instanceof HubSpotError) {
    const e: BatchError = { status: 'error', category: err.category, message: err.message };
    if (context) e.context = context;
    if (err.extra.errors) e.errors = err.extra.errors;
    return e;
  }
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

export function requestBaseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}
