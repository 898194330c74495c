// `npm run db:dump`: migrates a scratch database and writes its schema to db/schema.sql, so that
// schema changes show up in review as a readable diff. A test fails when the file is stale.
import { writeFile } from 'node:fs/promises';

import { ensureDatabase, startThrowawayDatabase } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { describeSchema } from '../src/db/schema-snapshot.js';

const server = await startThrowawayDatabase({ durable: false });
try {
  const pool = createPool(await ensureDatabase(server.adminUrl, 'schema_dump'), 1);
  await migrate(pool);
  const text = await describeSchema(pool);
  await pool.end();
  await writeFile(new URL('../db/schema.sql', import.meta.url), text);
  process.stdout.write('wrote db/schema.sql\n');
} finally {
  await server.stop();
}
