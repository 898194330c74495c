import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { ACCOUNT_STATUSES, PAYMENT_METHODS, PAYMENT_STATUSES, RESPORG_STATUSES } from '../../domain/value-sets.js';
import { ACCOUNT_EVENT_KINDS, type AccountEvent } from '../../store/account-events.js';
import { type Account, searchAccounts } from '../../store/accounts.js';
import { changeAccount, getAccount, listAccountEvents, updateAccountFacts } from '../../warp/accounts.js';
import { pageQuery, pageRequest, pageSchema, presentPage } from '../paging.js';
import { defineRoute } from '../route.js';
import { valueOrRefusal } from '../warp-results.js';
import { banParams, iso, isoTime } from './customer-scope.js';

/**
 * Customer accounts (src/warp/accounts.ts): find them, read and change their WARP-owned facts, and
 * report account events (suspension, reactivation, churn, payment changes). Each change goes to
 * HubSpot as company properties, status and payment changes also as timeline entries. The credit
 * limit is HubSpot's: it is refused here.
 */

const TCR_BRAND_ID = /^B[A-Z0-9]{6}$/;

export const accountView = z.object({
  ban: z.string().nullable(),
  hubspotCompanyId: z.string().nullable(),
  name: z.string().nullable(),
  domain: z.string().nullable(),
  status: z.enum(ACCOUNT_STATUSES),
  creditLimit: z.number().nullable(),
  paymentMethod: z.enum(PAYMENT_METHODS).nullable(),
  paymentStatus: z.enum(PAYMENT_STATUSES).nullable(),
  apiEnabled: z.boolean(),
  smsEnabled: z.boolean(),
  tcrBrandId: z.string().nullable(),
  resporgStatus: z.enum(RESPORG_STATUSES).nullable(),
  mrr: z.number().nullable(),
  mtdMinutes: z.number(),
  mtdSpend: z.number(),
  trunkCount: z.number().int(),
  numberCount: z.number().int(),
  campaignCount: z.number().int(),
});

const presentAccount = (account: Account): z.input<typeof accountView> => ({
  ban: account.ban,
  hubspotCompanyId: account.hubspotCompanyId,
  name: account.name,
  domain: account.domain,
  status: account.status,
  creditLimit: account.creditLimit,
  paymentMethod: account.paymentMethod,
  paymentStatus: account.paymentStatus,
  apiEnabled: account.apiEnabled,
  smsEnabled: account.smsEnabled,
  tcrBrandId: account.tcrBrandId,
  resporgStatus: account.resporgStatus,
  mrr: account.mrr,
  mtdMinutes: account.mtdMinutes,
  mtdSpend: account.mtdSpend,
  trunkCount: account.trunkCount,
  numberCount: account.numberCount,
  campaignCount: account.campaignCount,
});

export const eventView = z.object({
  id: z.string(),
  kind: z.enum(ACCOUNT_EVENT_KINDS),
  occurredAt: isoTime,
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  changeCount: z.number().int(),
  hubspotObjectId: z.string().nullable(),
  sentAt: isoTime.nullable(),
});

const presentEvent = (event: AccountEvent): z.input<typeof eventView> => ({
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

const factsBody = z
  .object({
    apiEnabled: z.boolean().optional(),
    smsEnabled: z.boolean().optional(),
    tcrBrandId: z.string().regex(TCR_BRAND_ID, 'a TCR brand id is B and 6 upper-case letters or digits').nullable().optional(),
    resporgStatus: z.enum(RESPORG_STATUSES).optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change')
  .meta({ minProperties: 1 });

const searchText = (max: number) => z.string().trim().min(1).max(max).optional();
const searchQuery = z
  .object({
    q: searchText(100).describe('Part of the name or domain, or the start of the BAN'),
    name: searchText(200).describe('Part of the name (any letter case)'),
    domain: searchText(255).describe('Part of the domain (any letter case)'),
    ban: banParams.shape.ban.optional().describe('Exactly this BAN'),
    ...pageQuery,
  })
  .strict();

const NO_CUSTOMER = { 404: 'No customer with this BAN' };

export function accountRoutes(pool: Pool) {
  const deps = { pool };
  return [
    defineRoute({
      operationId: 'searchCustomers',
      method: 'GET',
      url: '/customers',
      access: 'read',
      tag: 'accounts',
      summary: 'Find customer accounts (those with a BAN) by name, domain or BAN, oldest first',
      query: searchQuery,
      success: { status: 200, description: 'One page of accounts matching every filter given', schema: pageSchema('customers', accountView) },
      handler: async ({ query }) => presentPage('customers', await searchAccounts(pool, query, pageRequest(query)), presentAccount),
    }),
    defineRoute({
      operationId: 'getCustomer',
      method: 'GET',
      url: '/customers/:ban',
      access: 'read',
      tag: 'accounts',
      summary: 'A customer account with its WARP-owned facts and roll-ups',
      params: banParams,
      success: { status: 200, description: 'The account', schema: accountView },
      errors: NO_CUSTOMER,
      handler: async ({ params }) => presentAccount(valueOrRefusal(await getAccount(deps, params.ban))),
    }),
    defineRoute({
      operationId: 'updateCustomer',
      method: 'PATCH',
      url: '/customers/:ban',
      access: 'write',
      tag: 'accounts',
      summary: 'Change WARP-owned account facts: API and SMS enabled, 10DLC brand (TCR id), RespOrg status (synced to the HubSpot company)',
      params: banParams,
      body: factsBody,
      success: { status: 200, description: 'The account after the change', schema: accountView },
      errors: NO_CUSTOMER,
      handler: async ({ params, body }) => presentAccount(valueOrRefusal(await updateAccountFacts(deps, params.ban, body))),
    }),
    defineRoute({
      operationId: 'recordAccountEvent',
      method: 'POST',
      url: '/customers/:ban/events',
      access: 'write',
      tag: 'accounts',
      summary: 'Record an account event: suspend, reactivate, churn, payment method or status change',
      params: banParams,
      body: eventBody,
      success: { status: 200, description: 'The account after the event', schema: accountView },
      errors: { ...NO_CUSTOMER, 409: '`owned_by_hubspot`: the credit limit is changed in HubSpot' },
      handler: async ({ params, body }) => presentAccount(valueOrRefusal(await changeAccount(deps, params.ban, body))),
    }),
    defineRoute({
      operationId: 'listAccountEvents',
      method: 'GET',
      url: '/customers/:ban/events',
      access: 'read',
      tag: 'accounts',
      summary: 'Account and service events of a customer in the order they happened, with their HubSpot timeline status',
      params: banParams,
      query: z.object(pageQuery).strict(),
      success: { status: 200, description: 'One page of events', schema: pageSchema('events', eventView) },
      errors: NO_CUSTOMER,
      handler: async ({ params, query }) => presentPage('events', valueOrRefusal(await listAccountEvents(deps, params.ban, pageRequest(query))), presentEvent),
    }),
  ];
}
