import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';

import { errorBodySchema } from '../../src/http/errors.js';
import { documentedErrors } from '../../src/http/openapi.js';
import type { ApiRoute } from '../../src/http/route.js';
import type { accountRoutes } from '../../src/http/routes/accounts.js';
import type { auditRoutes } from '../../src/http/routes/audit.js';
import type { campaignRoutes } from '../../src/http/routes/campaigns.js';
import type { supportRoutes } from '../../src/http/routes/support.js';
import type { conflictRoutes } from '../../src/http/routes/conflicts.js';
import type { deadLetterRoutes } from '../../src/http/routes/dead-letters.js';
import type { keyRoutes } from '../../src/http/routes/keys.js';
import type { numberRoutes } from '../../src/http/routes/numbers.js';
import type { reconcileRoutes } from '../../src/http/routes/reconcile.js';
import type { revenueRoutes } from '../../src/http/routes/revenue.js';
import type { syncRoutes } from '../../src/http/routes/sync.js';
import type { trunkRoutes } from '../../src/http/routes/trunks.js';
import type { usageRoutes } from '../../src/http/routes/usage.js';
import type { userRoutes } from '../../src/http/routes/users.js';

/**
 * A typed client of the API, built from the route table itself: routes are called by operationId,
 * their input is typed by the routes' input schemas, and each answer is parsed with the schema the
 * route declares (the same one the OpenAPI document shows), so a response that drifts from its
 * contract fails the test that got it.
 */

type Routes =
  | ReturnType<typeof accountRoutes>[number]
  | ReturnType<typeof auditRoutes>[number]
  | ReturnType<typeof campaignRoutes>[number]
  | ReturnType<typeof conflictRoutes>[number]
  | ReturnType<typeof deadLetterRoutes>[number]
  | ReturnType<typeof keyRoutes>[number]
  | ReturnType<typeof numberRoutes>[number]
  | ReturnType<typeof supportRoutes>[number]
  | ReturnType<typeof reconcileRoutes>[number]
  | ReturnType<typeof revenueRoutes>[number]
  | ReturnType<typeof syncRoutes>[number]
  | ReturnType<typeof trunkRoutes>[number]
  | ReturnType<typeof usageRoutes>[number]
  | ReturnType<typeof userRoutes>[number];

export type OperationId = Routes['operationId'];
type RouteOf<Id extends OperationId> = Extract<Routes, { operationId: Id }>;

type Part<K extends string, S, Optional extends boolean> = S extends z.ZodUndefined ? unknown : Optional extends true ? { [P in K]?: z.input<S> } : { [P in K]: z.input<S> };
/** What a call sends: `params` and `body` as the route requires them, `query` always optional. */
export type CallInput<R> = R extends ApiRoute<string, infer PS, infer QS, infer BS> ? Part<'params', PS, false> & Part<'query', QS, true> & Part<'body', BS, false> : never;
/** The parsed success body of a route. */
export type ResponseOf<Id extends OperationId> = z.output<RouteOf<Id>['success']['schema']>;

export type ApiError = z.output<typeof errorBodySchema>['error'];

export interface RawResponse {
  status: number;
  body: unknown;
  /** The error body, parsed with the one error schema; undefined for a 2xx. */
  error: ApiError | undefined;
}

export interface ApiClient {
  /** A call that must succeed: its body, parsed with the route's success schema; anything else throws. */
  call<Id extends OperationId>(operationId: Id, input: CallInput<RouteOf<Id>>): Promise<ResponseOf<Id>>;
  /** A call that must be refused: its status and error body. */
  refusal<Id extends OperationId>(operationId: Id, input: CallInput<RouteOf<Id>>): Promise<{ status: number } & ApiError>;
  /** Any request at all (bad input included), for what the types would not let through. */
  raw(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<RawResponse>;
}

export function apiClient(app: FastifyInstance, routes: readonly ApiRoute[], key: string): ApiClient {
  const raw = async (method: string, url: string, body?: unknown): Promise<RawResponse> => {
    const response = await app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    const parsed: unknown = response.body ? JSON.parse(response.body) : undefined;
    return { status: response.statusCode, body: parsed, error: response.statusCode >= 400 ? errorBodySchema.parse(parsed).error : undefined };
  };

  const send = async (operationId: string, input: { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown }) => {
    const route = routes.find((r) => r.operationId === operationId);
    if (!route) throw new Error(`No route ${operationId}`);
    const path = route.url.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(input.params?.[name] ?? `:${name}`));
    // Query values are strings or numbers (what a URL can carry); absent ones are left out.
    const query = new URLSearchParams(Object.entries(input.query ?? {}).flatMap(([k, v]): Array<[string, string]> => (v === undefined ? [] : [[k, String(v as string | number)]])));
    return { route, response: await raw(route.method, query.size > 0 ? `${path}?${query.toString()}` : path, input.body) };
  };

  return {
    raw,
    call: async (operationId, input) => {
      const { route, response } = await send(operationId, input as never);
      if (response.error) throw new Error(`${operationId} answered ${response.status} ${response.error.code}: ${response.error.message}`);
      if (response.status !== route.success.status) throw new Error(`${operationId} answered ${response.status}, its route declares ${route.success.status}`);
      return route.success.schema.parse(response.body) as never;
    },
    refusal: async (operationId, input) => {
      const { route, response } = await send(operationId, input as never);
      if (!response.error) throw new Error(`${operationId} succeeded (${response.status}) where a refusal was expected`);
      if (!(String(response.status) in documentedErrors(route))) throw new Error(`${operationId} answered ${response.status}, which its route does not document`);
      return { status: response.status, ...response.error };
    },
  };
}
