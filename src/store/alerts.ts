import type { Queryable } from '../db/pool.js';

/** Ops alerts (docs/product-rules.md "Retries and alerts"): recorded here, logged, optionally posted. */

export interface OpsAlert {
  id: string;
  kind: string;
  message: string;
  details: Record<string, unknown>;
  createdAt: Date;
  deliveredAt: Date | null;
  deliveryError: string | null;
}

interface OpsAlertRow {
  id: string;
  kind: string;
  message: string;
  details: Record<string, unknown>;
  created_at: Date;
  delivered_at: Date | null;
  delivery_error: string | null;
}

const COLUMNS = 'id, kind, message, details, created_at, delivered_at, delivery_error';

const toAlert = (row: OpsAlertRow): OpsAlert => ({
  id: String(row.id),
  kind: row.kind,
  message: row.message,
  details: row.details,
  createdAt: row.created_at,
  deliveredAt: row.delivered_at,
  deliveryError: row.delivery_error,
});

export async function insertAlert(db: Queryable, alert: { kind: string; message: string; details: Record<string, unknown> }): Promise<OpsAlert> {
  const { rows } = await db.query<OpsAlertRow>(
    `INSERT INTO ops_alerts (kind, message, details) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
    [alert.kind, alert.message, JSON.stringify(alert.details)],
  );
  return toAlert(rows[0]!);
}

export async function recordAlertDelivery(db: Queryable, id: string, error: string | null): Promise<void> {
  await db.query(
    `UPDATE ops_alerts SET delivered_at = CASE WHEN $2::text IS NULL THEN now() END, delivery_error = $2 WHERE id = $1`,
    [id, error],
  );
}

/** True when an alert of `kind` was raised in the last `withinMs`: a standing condition alerts once, not every minute. */
export async function alertRaisedWithin(db: Queryable, kind: string, withinMs: number): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ops_alerts WHERE kind = $1 AND created_at > now() - make_interval(secs => $2 / 1000.0)) AS found`,
    [kind, withinMs],
  );
  return rows[0]?.found ?? false;
}
