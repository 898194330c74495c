import type { PoolClient } from '../db/pool.js';
import type { Page, PageRequest } from '../lib/paging.js';
import { type AccountEvent, type AccountEventKind, listAccountEvents as listAccountEventRows } from '../store/account-events.js';
import type { PaymentMethod, PaymentStatus } from '../domain/value-sets.js';
import { type Account, type AccountPatch, findAccountByBan, updateAccountRow } from '../store/accounts.js';
import { enqueue } from '../store/outbox.js';
import type { WarpCompanyProperty } from '../domain/crm-catalogue.js';
import { fieldOwner } from '../domain/ownership.js';
import { applyStatusToTrunks } from './account-rules.js';
import { type AccountEventInput, companyChange, eventChange } from './changes.js';
import { customerCommand, customerNotFound, customerQuery, reader, type WarpDeps } from './command.js';
import { fail, ok, type Result } from './result.js';

/**
 * The WARP-owned facts of a customer account (docs/warp-domain.md): status with its dependent
 * updates, payment method and status, API and SMS switches, 10DLC brand and RespOrg status. Each
 * change is written to the company in HubSpot; status and payment changes are also timeline entries.
 */

export async function getAccount(deps: WarpDeps, ban: string): Promise<Result<Account>> {
  const account = await findAccountByBan(reader(deps), ban);
  return account ? ok(account) : customerNotFound(ban);
}

/** The account's events in the order they happened, with their HubSpot timeline status. */
export function listAccountEvents(deps: WarpDeps, ban: string, page: PageRequest): Promise<Result<Page<AccountEvent>>> {
  return customerQuery(deps, ban, async (db, customerId) => ok(await listAccountEventRows(db, customerId, page)));
}

/** The company property each WARP-owned account fact is written to. */
const FACT_PROPERTIES = {
  status: 'warp_status',
  paymentMethod: 'warp_payment_method',
  paymentStatus: 'warp_payment_status',
  apiEnabled: 'warp_api_enabled',
  smsEnabled: 'warp_sms_enabled',
  tcrBrandId: 'warp_tcr_brand_id',
  resporgStatus: 'warp_resporg_status',
} as const satisfies Record<keyof AccountPatch, WarpCompanyProperty>;

const STATUS_EVENT: Record<Account['status'], AccountEventKind> = {
  active: 'account_reactivated',
  suspended: 'account_suspended',
  churned: 'account_churned',
};

/** Applies the patch with its dependent updates, timeline entries and HubSpot writes. */
async function applyAccountPatch(tx: PoolClient, customerId: string, patch: AccountPatch, occurredAt: Date): Promise<Account> {
  const { before, after } = (await updateAccountRow(tx, customerId, patch))!;
  const events: AccountEventInput[] = [];
  if (before.status !== after.status) {
    const dependent = await applyStatusToTrunks(tx, after, occurredAt);
    events.push({ kind: STATUS_EVENT[after.status], occurredAt, fields: { status: after.status, previous_status: before.status, ...dependent } });
  }
  if (before.paymentMethod !== after.paymentMethod) {
    events.push({ kind: 'payment_method_updated', occurredAt, fields: { payment_method: after.paymentMethod } });
  }
  if (before.paymentStatus !== after.paymentStatus) {
    events.push({ kind: 'payment_status_changed', occurredAt, fields: { payment_status: after.paymentStatus, previous_payment_status: before.paymentStatus } });
  }
  const queued = [];
  for (const event of events) queued.push(await eventChange(tx, customerId, event));
  const changed = (Object.keys(FACT_PROPERTIES) as Array<keyof AccountPatch>).filter((fact) => before[fact] !== after[fact]);
  if (changed.length > 0) queued.push(companyChange(customerId, changed.map((fact) => FACT_PROPERTIES[fact])));
  await enqueue(tx, queued);
  return after;
}

/** An account event reported by WARP (POST /customers/{ban}/events). */
export type AccountChange =
  | { type: 'suspend' | 'reactivate' | 'churn'; occurredAt?: Date | undefined }
  | { type: 'payment_method_changed'; paymentMethod: PaymentMethod; occurredAt?: Date | undefined }
  | { type: 'payment_status_changed'; paymentStatus: PaymentStatus; occurredAt?: Date | undefined }
  /** Refused: HubSpot owns the credit limit; WARP applies it from there. */
  | { type: 'credit_limit_changed' };

function patchFor(change: Exclude<AccountChange, { type: 'credit_limit_changed' }>): AccountPatch {
  switch (change.type) {
    case 'suspend':
      return { status: 'suspended' };
    case 'reactivate':
      return { status: 'active' };
    case 'churn':
      return { status: 'churned' };
    case 'payment_method_changed':
      return { paymentMethod: change.paymentMethod };
    case 'payment_status_changed':
      return { paymentStatus: change.paymentStatus };
  }
}

/** Suspends, reactivates or churns the account, or records a payment change; returns the account after it. */
export function changeAccount(deps: WarpDeps, ban: string, change: AccountChange): Promise<Result<Account>> {
  if (change.type === 'credit_limit_changed') {
    const owner = fieldOwner('company', 'warp_credit_limit');
    return Promise.resolve(fail('owned_by_hubspot', `warp_credit_limit is owned by ${owner}: change it on the HubSpot company; WARP applies it from there`));
  }
  return customerCommand(deps, ban, async (tx, customerId) => ok(await applyAccountPatch(tx, customerId, patchFor(change), change.occurredAt ?? new Date())));
}

/** The facts `PATCH /customers/{ban}` changes: API and SMS switches, 10DLC brand, RespOrg status. */
export type AccountFacts = Pick<AccountPatch, 'apiEnabled' | 'smsEnabled' | 'tcrBrandId' | 'resporgStatus'>;

export function updateAccountFacts(deps: WarpDeps, ban: string, facts: AccountFacts): Promise<Result<Account>> {
  return customerCommand(deps, ban, async (tx, customerId) => ok(await applyAccountPatch(tx, customerId, facts, new Date())));
}

/** Records a timeline entry (or note) on the account's company; sent once, whatever the retries. */
export function recordAccountEvent(deps: WarpDeps, ban: string, event: AccountEventInput): Promise<Result<{ eventId: string }>> {
  return customerCommand(deps, ban, async (tx, customerId) => {
    const change = await eventChange(tx, customerId, event);
    await enqueue(tx, [change]);
    return ok({ eventId: change.recordKey });
  });
}

/**
 * Queues a write of these WARP-owned company properties with their current values, in the inbound
 * sync's transaction: a HubSpot edit of a WARP-owned field is undone this way, and onboarding
 * sends the BAN it issued. By customer id, because the company may have no BAN yet.
 */
export async function queueCompanyWriteBack(tx: PoolClient, customerId: string, properties: readonly string[]): Promise<void> {
  await enqueue(tx, [companyChange(customerId, properties)]);
}
