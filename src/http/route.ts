import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

import type { ApiKey, ApiKeyScope } from '../store/api-keys.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route: an API key with the scope, any valid key (`any`), or (`webhook`) anyone
 * whose request carries a valid HubSpot signature, which the route itself verifies.
 */
export type RouteAccess = ApiKeyScope | 'any' | 'webhook';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  request: FastifyRequest;
  reply: FastifyReply;
  apiKey: ApiKey | null;
}

/**
 * The refusals a route declares, by status, with what they mean there. 400 (bad input), 401 (no
 * or bad credentials), 403 (scope), 413 and 415 (body too large, not JSON) apply by the route's
 * shape and are documented for every route they can happen on (openapi.ts).
 */
export type DeclaredErrors = Partial<Record<403 | 404 | 409 | 503, string>>;

/**
 * One `/api/v1` endpoint: its path, who may call it, the schemas its input is parsed with, the
 * schema of its success response, the refusals it answers, and the handler. The same definition
 * drives routing, input parsing, the OpenAPI description and the typed test client, so they
 * cannot drift apart. Schemas are kept as types (not just their outputs): a client needs what a
 * schema accepts (`z.input`), the handler what it produces (`z.output`).
 */
export interface ApiRoute<
  Id extends string = string,
  PS extends z.ZodType = z.ZodType,
  QS extends z.ZodType = z.ZodType,
  BS extends z.ZodType = z.ZodType,
  RS extends z.ZodType = z.ZodType,
> {
  /** Stable name of the operation: OpenAPI's `operationId`, and what the typed client calls. */
  operationId: Id;
  method: HttpMethod;
  /** Path below /api/v1, in Fastify syntax (`/keys/:id`). */
  url: string;
  access: RouteAccess;
  summary: string;
  tag: string;
  params?: PS;
  query?: QS;
  body?: BS;
  /** A body limit above the app's (usage batches); with `acceptsGzip`, it applies to the inflated body. */
  bodyLimitBytes?: number;
  /** Accept `Content-Encoding: gzip` request bodies. */
  acceptsGzip?: boolean;
  /**
   * The body is never sent to HubSpot as such, and the route itself refuses card numbers and API
   * keys in the free text it stores (usage records, each on its own), so the app-wide scan of
   * every string of the body is skipped. NULs and unpaired surrogates are still refused.
   */
  checksSensitiveText?: boolean;
  /** A body the handler reads itself (webhooks: only after the signature): documented, not parsed here. */
  documentedBody?: z.ZodType;
  success: { status: number; description: string; schema: RS };
  errors?: DeclaredErrors;
  handler(input: RouteInput<z.output<PS>, z.output<QS>, z.output<BS>>): Promise<z.input<RS>>;
}

/** Keeps each route's types (for the typed client) while it is collected with others. */
export function defineRoute<
  const Id extends string,
  PS extends z.ZodType = z.ZodUndefined,
  QS extends z.ZodType = z.ZodUndefined,
  BS extends z.ZodType = z.ZodUndefined,
  RS extends z.ZodType = z.ZodType,
>(route: ApiRoute<Id, PS, QS, BS, RS>): ApiRoute<Id, PS, QS, BS, RS> {
  return route;
}
