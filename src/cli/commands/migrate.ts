import { openDatabase } from '../../db/connect.js';
import type { CliCommand } from '../command.js';

/** Migrations also run at every start; this command is for deploy pipelines that migrate first. */
export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Apply pending database migrations and exit',
  usage: 'Usage: npm run cli -- migrate',
  async run(_args, context) {
    const db = await openDatabase(context.config.database, context.logger);
    await db.close();
    context.out(`Database is current: ${db.description}`);
  },
};
