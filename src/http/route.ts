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
 * One `/api/v1` endpoint: its path, who may call it, the schemas its input is parsed with, and the
 * handler. The same definition drives routing, input parsing and the OpenAPI description, so the
 * three cannot drift apart.
 */
export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** Path below /api/v1, in Fastify syntax (`/keys/:id`). */
  url: string;
  access: RouteAccess;
  summary: string;
  tag: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** A body limit above the app's (usage batches); with `acceptsGzip`, it applies to the inflated body. */
  bodyLimitBytes?: number;
  /** Accept `Content-Encoding: gzip` request bodies. */
  acceptsGzip?: boolean;
  /** Documented success status and description; errors use the shared error schema. */
  success: { status: number; description: string };
  handler(input: RouteInput<P, Q, B>): Promise<unknown>;
}

/** Keeps each route's generic types while collecting them in one array. */
export function defineRoute<P = undefined, Q = undefined, B = undefined>(route: ApiRoute<P, Q, B>): ApiRoute {
  return route;
}
