import { z } from 'zod';

import { type Pool, withTransaction } from '../../db/pool.js';
import { AppError } from '../../lib/errors.js';
import { type AccountEvent, listAccountEvents } from '../../store/account-events.js';
import { PAYMENT_METHODS, PAYMENT_STATUSES } from '../../domain/value-sets.js';
import type { Account } from '../../store/accounts.js';
import { fieldOwner } from '../../domain/ownership.js';
import { changeAccount } from '../../sync/outbound/warp-changes.js';
import { defineRoute } from '../route.js';
import { accountByBan, banParams, customerIdByBan, iso } from './customer-scope.js';

/**
 * Account events from WARP: suspension, reactivation, payment method or payment status changes.
 * Each updates the cached account, applies its dependent updates (trunks), and goes to HubSpot as
 * a property write plus a timeline entry. The credit limit is HubSpot's: it is refused here.
 */

const presentAccount = (account: Account) => ({
  ban: account.ban,
  hubspotCompanyId: account.hubspotCompanyId,
  status: account.status,
  creditLimit: account.creditLimit,
  paymentMethod: account.paymentMethod,
  paymentStatus: account.paymentStatus,
  trunkCount: account.trunkCount,
  numberCount: account.numberCount,
});

const presentEvent = (event: AccountEvent) => ({
  id: event.id,
  kind: event.kind,
  occurredAt: event.occurredAt.toISOString(),
  fields: event.fields,
  changeCount: event.changeCount,
  hubspotObjectId: event.hubspotObjectId,
  sentAt: iso(event.sentAt),
});

const occurredAt = z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional();

const eventBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('suspend'), occurredAt }).strict(),
  z.object({ type: z.literal('reactivate'), occurredAt }).strict(),
  z.object({ type: z.literal('churn'), occurredAt }).strict(),
  z.object({ type: z.literal('payment_method_changed'), paymentMethod: z.enum(PAYMENT_METHODS), occurredAt }).strict(),
  z.object({ type: z.literal('payment_status_changed'), paymentStatus: z.enum(PAYMENT_STATUSES), occurredAt }).strict(),
  // Accepted by the schema only to be refused with a message that names the owner.
  z.object({ type: z.literal('credit_limit_changed') }).passthrough(),
]);

export function accountRoutes(pool: Pool) {
  return [
    defineRoute({
      method: 'GET',
      url: '/customers/:ban',
      access: 'read',
      tag: 'accounts',
      summary: 'A customer account with its WARP-owned facts and roll-ups',
      params: banParams,
      success: { status: 200, description: 'The account' },
      handler: async ({ params }) => presentAccount(await accountByBan(pool, params.ban)),
    }),
    defineRoute({
      method: 'POST',
      url: '/customers/:ban/events',
      access: 'write',
      tag: 'accounts',
      summary: 'Record an account event: suspend, reactivate, churn, payment method or status change',
      params: banParams,
      body: eventBody,
      success: { status: 200, description: 'The account after the event' },
      handler: async ({ params, body }) => {
        if (body.type === 'credit_limit_changed') {
          throw new AppError(409, 'owned_by_hubspot', `warp_credit_limit is owned by ${fieldOwner('company', 'warp_credit_limit')}: change it on the HubSpot company; WARP applies it from there`);
        }
        const patch =
          body.type === 'suspend' ? { status: 'suspended' as const }
          : body.type === 'reactivate' ? { status: 'active' as const }
          : body.type === 'churn' ? { status: 'churned' as const }
          : body.type === 'payment_method_changed' ? { paymentMethod: body.paymentMethod }
          : { paymentStatus: body.paymentStatus };
        const account = await withTransaction(pool, async (tx) => changeAccount(tx, await customerIdByBan(tx, params.ban), patch, body.occurredAt));
        return presentAccount(account!);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/customers/:ban/events',
      access: 'read',
      tag: 'accounts',
      summary: 'Account and service events of a customer, with their HubSpot timeline status',
      params: banParams,
      success: { status: 200, description: 'Events, oldest first' },
      handler: async ({ params }) => ({ events: (await listAccountEvents(pool, await customerIdByBan(pool, params.ban))).map(presentEvent) }),
    }),
  ];
}
