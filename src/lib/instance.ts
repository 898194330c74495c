import { randomBytes } from 'node:crypto';
import os from 'node:os';

/**
 * Names this process among every instance sharing the database: queue lease owners, job runners
 * and schedule runs record it, so a row says which instance holds or ran it.
 */
export const INSTANCE_ID = `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
