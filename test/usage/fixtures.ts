import { randomBytes } from 'node:crypto';

import type { Pool } from '../../src/db/pool.js';
import { insertTrunk, type Trunk } from '../../src/store/trunks.js';

export interface UsageCustomer {
  customerId: string;
  ban: string;
  trunks: Trunk[];
}

/** A customer with a BAN and `trunkCount` live trunks of `concurrentCalls` channels. */
export async function createUsageCustomer(pool: Pool, trunkCount = 2, concurrentCalls = 20): Promise<UsageCustomer> {
  const { rows } = await pool.query<{ id: string; ban: string }>(
    `INSERT INTO customers (ban, name, credit_limit) VALUES (nextval('ban_seq')::text, $1, 1000) RETURNING id, ban`,
    [`Usage test ${randomBytes(3).toString('hex')}`],
  );
  const customerId = String(rows[0]!.id);
  const trunks: Trunk[] = [];
  for (let i = 0; i < trunkCount; i++) {
    trunks.push(await insertTrunk(pool, customerId, { name: `trunk ${i}`, ipAddresses: ['192.0.2.10'], concurrentCalls, monthlyMinutes: 100_000 }));
  }
  return { customerId, ban: rows[0]!.ban, trunks };
}

/** A valid call record; override any field. */
export function callRecord(trunkId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    // base64url, not hex: 16 hex characters are all digits often enough to look like a card number to the guard.
    callId: `call-${randomBytes(12).toString('base64url')}`,
    trunkId,
    direction: 'outbound',
    startedAt: new Date(Date.now() - 3_600_000).toISOString(),
    answeredAt: new Date(Date.now() - 3_590_000).toISOString(),
    endedAt: new Date(Date.now() - 3_470_000).toISOString(),
    billableSeconds: 120,
    sipCode: 200,
    cost: '0.0250',
    ...overrides,
  };
}
