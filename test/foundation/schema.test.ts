import { readFile } from 'node:fs/promises';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeSchema } from '../../src/db/schema-snapshot.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

it('db/schema.sql matches the migrations (run `npm run db:dump` after adding one)', async () => {
  const committed = await readFile(new URL('../../db/schema.sql', import.meta.url), 'utf8');
  expect(await describeSchema(db.pool)).toBe(committed);
});
