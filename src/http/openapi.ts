import { z } from 'zod';

import { API_PREFIX } from './api.js';
import type { ApiRoute } from './route.js';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const jsonSchema = (schema: z.ZodType): Record<string, unknown> => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
};

/** OpenAPI 3.1 description of /api/v1, generated from the same route table that serves it. */
export function buildOpenApi(routes: readonly ApiRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = API_PREFIX + route.url.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', route.params], ['query', route.query]] as const) {
      if (!schema) continue;
      const properties = (jsonSchema(schema).properties ?? {}) as Record<string, unknown>;
      const required = new Set((jsonSchema(schema).required as string[] | undefined) ?? []);
      for (const [name, propertySchema] of Object.entries(properties)) {
        parameters.push({ name, in: where, required: where === 'path' || required.has(name), schema: propertySchema });
      }
    }
    const errors: Record<string, unknown> = {
      '400': { description: 'Invalid input', content: { 'application/json': { schema: errorSchema } } },
    };
    if (route.access !== 'webhook') {
      errors['401'] = { description: 'Missing or invalid API key', content: { 'application/json': { schema: errorSchema } } };
      if (route.access !== 'any') errors['403'] = { description: `API key lacks the "${route.access}" scope`, content: { 'application/json': { schema: errorSchema } } };
    } else {
      errors['401'] = { description: 'Missing, invalid or stale HubSpot signature', content: { 'application/json': { schema: errorSchema } } };
    }
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      summary: route.summary,
      tags: [route.tag],
      security: route.access === 'webhook' ? [{ hubspotSignature: [] }] : [{ apiKey: route.access === 'any' ? [] : [route.access] }],
      parameters,
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
      responses: { [String(route.success.status)]: { description: route.success.description }, ...errors },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'warp-hubspot API', version, description: 'WARP ⇄ HubSpot sync service. Every route needs `Authorization: Bearer <key>` with the listed scope, except webhook receivers, which verify HubSpot signatures.' },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'API key created with `npm run cli -- keys create`; scopes read, write, admin (admin satisfies all).' },
        hubspotSignature: { type: 'apiKey', in: 'header', name: 'X-HubSpot-Signature-v3', description: 'HubSpot v3 request signature (v1 where allowed).' },
      },
    },
    paths,
  };
}
