import type { Queryable } from '../db/pool.js';

/** Onboarding state per won deal, and its welcome email (see migration 0004). */

export const ONBOARDING_STEPS = ['company', 'customer', 'welcome_email', 'first_trunk', 'timeline'] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

export interface Onboarding {
  dealId: string;
  companyId: string | null;
  customerId: string | null;
  ban: string | null;
  stepsDone: OnboardingStep[];
  status: 'pending' | 'done' | 'failed';
  attempts: number;
}

interface OnboardingRow {
  hubspot_deal_id: string;
  hubspot_company_id: string | null;
  customer_id: string | null;
  ban: string | null;
  steps_done: OnboardingStep[];
  status: Onboarding['status'];
  attempts: number;
}

const COLUMNS = 'hubspot_deal_id, hubspot_company_id, customer_id, ban, steps_done, status, attempts';
const toOnboarding = (r: OnboardingRow): Onboarding => ({
  dealId: r.hubspot_deal_id,
  companyId: r.hubspot_company_id,
  customerId: r.customer_id === null ? null : String(r.customer_id),
  ban: r.ban,
  stepsDone: r.steps_done,
  status: r.status,
  attempts: r.attempts,
});

/** Starts onboarding for a won deal; a deal already started (replay, stage back and forth) is left alone. */
export async function startOnboarding(db: Queryable, dealId: string, companyId: string | null): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO onboardings (hubspot_deal_id, hubspot_company_id) VALUES ($1, $2) ON CONFLICT (hubspot_deal_id) DO NOTHING`,
    [dealId, companyId],
  );
  return (rowCount ?? 0) > 0;
}

/** The onboarding of a deal, or null if none was started. */
export async function loadOnboarding(db: Queryable, dealId: string): Promise<Onboarding | null> {
  const { rows } = await db.query<OnboardingRow>(`SELECT ${COLUMNS} FROM onboardings WHERE hubspot_deal_id = $1`, [dealId]);
  return rows[0] ? toOnboarding(rows[0]) : null;
}

/** An attempt starts: recorded for the status shown to operators. */
export async function recordOnboardingAttempt(db: Queryable, dealId: string, attempt: number): Promise<void> {
  await db.query(`UPDATE onboardings SET attempts = $2, updated_at = now() WHERE hubspot_deal_id = $1`, [dealId, attempt]);
}

/** Records a finished step (and what it produced), in the transaction of the step's own writes. */
export async function completeOnboardingStep(
  db: Queryable,
  dealId: string,
  step: OnboardingStep,
  produced: { companyId?: string; customerId?: string; ban?: string } = {},
): Promise<void> {
  await db.query(
    `UPDATE onboardings SET steps_done = array_append(steps_done, $2),
       hubspot_company_id = coalesce($3, hubspot_company_id), customer_id = coalesce($4::bigint, customer_id),
       ban = coalesce($5, ban), updated_at = now()
     WHERE hubspot_deal_id = $1 AND NOT ($2 = ANY(steps_done))`,
    [dealId, step, produced.companyId ?? null, produced.customerId ?? null, produced.ban ?? null],
  );
}

export async function finishOnboarding(db: Queryable, dealId: string): Promise<void> {
  await db.query(`UPDATE onboardings SET status = 'done', last_error = NULL, updated_at = now() WHERE hubspot_deal_id = $1`, [dealId]);
}

/** Records a failed attempt; `final`: no retry follows, the onboarding is `failed`. */
export async function failOnboarding(db: Queryable, dealId: string, error: string, final: boolean): Promise<void> {
  await db.query(
    `UPDATE onboardings SET status = CASE WHEN $3 THEN 'failed' ELSE 'pending' END, last_error = left($2, 1000), updated_at = now()
     WHERE hubspot_deal_id = $1`,
    [dealId, error, final],
  );
}

export type WelcomeEmailStatus = 'sending' | 'sent' | 'not_sent' | 'unknown';

/** The welcome email row of a deal, or null if none was attempted yet. */
export async function findWelcomeEmail(db: Queryable, dealId: string): Promise<{ status: WelcomeEmailStatus } | null> {
  const { rows } = await db.query<{ status: WelcomeEmailStatus }>(`SELECT status FROM welcome_emails WHERE hubspot_deal_id = $1`, [dealId]);
  return rows[0] ?? null;
}

export async function recordWelcomeEmail(
  db: Queryable,
  dealId: string,
  email: { contactId: string | null; status: WelcomeEmailStatus; messageId?: string | null; reason?: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO welcome_emails (hubspot_deal_id, hubspot_contact_id, status, message_id, reason) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (hubspot_deal_id) DO UPDATE SET status = EXCLUDED.status, message_id = coalesce(EXCLUDED.message_id, welcome_emails.message_id),
       reason = EXCLUDED.reason, updated_at = now()`,
    [dealId, email.contactId, email.status, email.messageId ?? null, email.reason ?? null],
  );
}

/** Clears a `sending` mark after the SMTP call failed outright (nothing was delivered), so a retry sends. */
export async function forgetWelcomeEmail(db: Queryable, dealId: string): Promise<void> {
  await db.query(`DELETE FROM welcome_emails WHERE hubspot_deal_id = $1 AND status = 'sending'`, [dealId]);
}

/** Assigns a BAN from `ban_seq` unless the customer has one; returns the customer's BAN. */
export async function ensureBan(db: Queryable, customerId: string): Promise<{ ban: string; assigned: boolean }> {
  const { rows } = await db.query<{ ban: string }>(
    `UPDATE customers SET ban = nextval('ban_seq')::text, version = version + 1, updated_at = now()
     WHERE id = $1 AND ban IS NULL RETURNING ban`,
    [customerId],
  );
  if (rows[0]) return { ban: rows[0].ban, assigned: true };
  const existing = await db.query<{ ban: string }>(`SELECT ban FROM customers WHERE id = $1`, [customerId]);
  return { ban: existing.rows[0]!.ban, assigned: false };
}
