import type { Queryable } from '../db/pool.js';

/** The log of operator actions taken from the dashboard (migration 0110): who, what, when, result. */

export type OpsActionResult = 'ok' | 'refused' | 'failed';

export interface OpsAction {
  id: string;
  at: Date;
  keyName: string;
  action: string;
  target: string;
  result: OpsActionResult;
  detail: string | null;
}

export async function recordOpsAction(
  db: Queryable,
  entry: { apiKeyId: string | null; keyName: string; action: string; target: string; result: OpsActionResult; detail?: string | null },
): Promise<void> {
  await db.query(`INSERT INTO ops_actions (api_key_id, key_name, action, target, result, detail) VALUES ($1, $2, $3, $4, $5, $6)`, [
    entry.apiKeyId, entry.keyName, entry.action, entry.target, entry.result, entry.detail ?? null,
  ]);
}

/** Newest first, `limit` rows before `beforeId` (the next page). */
export async function listOpsActions(db: Queryable, options: { limit: number; beforeId?: string | undefined }): Promise<OpsAction[]> {
  const { rows } = await db.query<{ id: string; at: Date; key_name: string; action: string; target: string; result: OpsActionResult; detail: string | null }>(
    `SELECT id, at, key_name, action, target, result, detail FROM ops_actions WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
    [options.beforeId ?? null, options.limit],
  );
  return rows.map((r) => ({ id: String(r.id), at: r.at, keyName: r.key_name, action: r.action, target: r.target, result: r.result, detail: r.detail }));
}
