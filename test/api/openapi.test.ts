import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiKey } from '../../src/store/api-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';

let db: TestDatabase;
let service: TestService;
let key: string;

beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db);
  key = (await createApiKey(db.pool, 'reader', ['read'])).key;
});
afterAll(async () => {
  await service?.close();
  await db?.drop();
});

interface Operation {
  operationId: string;
  security: Array<{ apiKey?: string[] }>;
  parameters: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> } & Record<string, unknown>;

const fetchDocument = async (): Promise<Document> =>
  (await service.app.inject({ url: '/api/v1/openapi.json', headers: { authorization: `Bearer ${key}` } })).json<Document>();
const operations = (doc: Document): Array<[string, string, Operation]> =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]): [string, string, Operation] => [method, path, op]));

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (checked with an OpenAPI schema validator)', async () => {
    const doc = await fetchDocument();
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route of the table, each with a unique operationId', async () => {
    const doc = await fetchDocument();
    const documented = operations(doc).map(([method, path]) => `${method.toUpperCase()} ${path}`).sort();
    // The document describes itself too (build-app.ts adds its route).
    const served = [...service.routes.map((r) => `${r.method} /api/v1${r.url.replace(/:(\w+)/g, '{$1}')}`), 'GET /api/v1/openapi.json'].sort();
    expect(documented).toEqual(served);
    const ids = operations(doc).map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every operation a success body schema and its error statuses with the one error schema', async () => {
    for (const [method, path, op] of operations(await fetchDocument())) {
      const where = `${method} ${path}`;
      const statuses = Object.keys(op.responses);
      const success = statuses.filter((s) => s.startsWith('2'));
      expect(success, where).toHaveLength(1);
      expect(op.responses[success[0]!]!.content?.['application/json']?.schema, where).toMatchObject({ type: 'object' });
      expect(statuses, where).toContain('400');
      expect(statuses, where).toContain('401');
      for (const status of statuses.filter((s) => !s.startsWith('2'))) {
        expect(op.responses[status]!.content?.['application/json']?.schema, `${where} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
      if (op.requestBody) expect(statuses, where).toEqual(expect.arrayContaining(['413', '415']));
      // A route that needs a scope answers 403 without it (webhooks check signatures, whoami takes any key).
      if ((op.security[0]?.apiKey?.length ?? 0) > 0) expect(statuses, where).toContain('403');
      // Every route addressed by an id or a BAN says what it answers when there is none.
      if (op.parameters.some((p) => p.in === 'path')) expect(statuses, where).toContain('404');
    }
  });

  it('documents the webhook request bodies and the list routes’ limit and cursor', async () => {
    const doc = await fetchDocument();
    for (const [, path, op] of operations(doc)) {
      if (path.includes('/webhooks/')) {
        expect(op.requestBody?.content['application/json']?.schema, path).toMatchObject({ type: 'array', maxItems: 100 });
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['403', '413', '503']));
      }
      const body = op.responses['200']?.content?.['application/json']?.schema;
      if (body && (body['properties'] as Record<string, unknown> | undefined)?.['nextCursor']) {
        expect(op.parameters.map((p) => p.name), path).toEqual(expect.arrayContaining(['limit', 'cursor']));
      }
    }
    const patch = doc.paths['/api/v1/customers/{ban}']!['patch']!;
    expect(patch.requestBody?.content['application/json']?.schema).toMatchObject({ minProperties: 1 });
  });
});
