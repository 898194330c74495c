import { z } from 'zod';

import { API_PREFIX } from './api.js';
import { errorBodySchema } from './errors.js';
import type { ApiRoute } from './route.js';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

/** Every refusal the route can answer, status → meaning: those its shape implies, then those it declares. */
export function documentedErrors(route: ApiRoute): Record<string, string> {
  const hasBody = route.body !== undefined || route.documentedBody !== undefined;
  const errors: Record<string, string> = { '400': 'Invalid input' };
  if (route.access === 'webhook') errors['401'] = 'Missing, invalid, stale or replayed HubSpot signature';
  else {
    errors['401'] = 'Missing or invalid API key';
    if (route.access !== 'any') errors['403'] = `API key lacks the "${route.access}" scope`;
  }
  if (hasBody) {
    errors['413'] = 'Request body larger than the limit';
    errors['415'] = 'Body is not application/json';
  }
  for (const [status, description] of Object.entries(route.errors ?? {})) errors[status] = description;
  return errors;
}

const errorResponses = (route: ApiRoute): Record<string, unknown> =>
  Object.fromEntries(Object.entries(documentedErrors(route)).sort(([a], [b]) => a.localeCompare(b)).map(([status, description]) => [status, errorResponse(description)]));

function parameters(route: ApiRoute): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [['path', route.params], ['query', route.query]] as const) {
    if (!schema) continue;
    const described = jsonSchema(schema, 'input');
    const properties = (described.properties ?? {}) as Record<string, Record<string, unknown>>;
    const required = new Set((described.required as string[] | undefined) ?? []);
    for (const [name, { description, ...propertySchema }] of Object.entries(properties)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: propertySchema });
    }
  }
  return out;
}

/** OpenAPI 3.1 description of /api/v1, generated from the same route table that serves it. */
export function buildOpenApi(routes: readonly ApiRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = API_PREFIX + route.url.replace(/:(\w+)/g, '{$1}');
    const body = route.body ?? route.documentedBody;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: route.access === 'webhook' ? [{ hubspotSignature: [] }] : [{ apiKey: route.access === 'any' ? [] : [route.access] }],
      parameters: parameters(route),
      ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(body, 'input') } } } } : {}),
      responses: {
        [String(route.success.status)]: {
          description: route.success.description,
          content: { 'application/json': { schema: jsonSchema(route.success.schema, 'output') } },
        },
        ...errorResponses(route),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'warp-hubspot API', version, description: 'WARP ⇄ HubSpot sync service. Every route needs `Authorization: Bearer <key>` with the listed scope, except webhook receivers, which verify HubSpot signatures.' },
    components: {
      // The one error body (errors.ts), referenced by every error response.
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'API key created with `npm run cli -- keys create`; scopes read, write, admin (admin satisfies all).' },
        hubspotSignature: { type: 'apiKey', in: 'header', name: 'X-HubSpot-Signature-v3', description: 'HubSpot v3 request signature (v1 where allowed).' },
      },
    },
    paths,
  };
}
