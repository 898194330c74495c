import { type Database, openDatabase } from '../db/connect.js';
import type { CliContext } from './command.js';

/** Opens the database (migrating it, starting the embedded server if needed) for one command. */
export async function withDb<T>(context: CliContext, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(context.config.database, context.logger);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}
