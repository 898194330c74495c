import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BODY_HASH_REPLAY_PREFIX, pruneReplayGuard } from '../../src/store/inbox.js';
import { replayGuardRetention } from '../../src/sync/inbound/webhook-auth.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/** The replay guard remembers a signature as long as it can verify (security audit L10, M1). */

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('replay guard retention', () => {
  it('is derived from the accepted window: 5 minutes old plus the future skew, plus a margin', () => {
    expect(replayGuardRetention(60_000).signedMs).toBe(5 * 60_000 + 60_000 + 60_000);
    expect(replayGuardRetention(5 * 60_000).signedMs).toBe(11 * 60_000);
  });

  it('keeps a v3 signature while it can still verify, and v1 body hashes for 30 days', async () => {
    const seen = async (key: string, minutesAgo: number) =>
      db.pool.query(`INSERT INTO webhook_replay_guard (signature, seen_at) VALUES ($1, now() - make_interval(secs => $2))`, [key, minutesAgo * 60]);
    // With the largest skew a signature verifies for 10 minutes; the old fixed 10-minute retention forgot it at 10.
    await seen('v3-still-valid', 10.5);
    await seen('v3-expired', 12);
    await seen(`${BODY_HASH_REPLAY_PREFIX}recent`, 29 * 24 * 60);
    await seen(`${BODY_HASH_REPLAY_PREFIX}old`, 31 * 24 * 60);
    await pruneReplayGuard(db.pool, replayGuardRetention(5 * 60_000));
    const { rows } = await db.pool.query<{ signature: string }>('SELECT signature FROM webhook_replay_guard ORDER BY signature');
    expect(rows.map((r) => r.signature)).toEqual([`${BODY_HASH_REPLAY_PREFIX}recent`, 'v3-still-valid']);
  });
});
