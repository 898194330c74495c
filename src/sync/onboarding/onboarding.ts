import { z } from 'zod';

import { withSessionLock } from '../../db/locks.js';
import { type Pool, type Queryable, withTransaction } from '../../db/pool.js';
import type { HubSpotGateway } from '../../hubspot/gateway.js';
import { addJob } from '../../jobs/add-job.js';
import { defineTask, type TaskDefinition, type TaskSpec } from '../../jobs/task.js';
import { toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { appendAudit } from '../../store/audit.js';
import { ensureCachedRecord, readCachedRecord } from '../../store/cache-records.js';
import {
  completeOnboardingStep,
  ensureBan,
  failOnboarding,
  findWelcomeEmail,
  finishOnboarding,
  forgetWelcomeEmail,
  loadOnboarding,
  type Onboarding,
  type OnboardingStep,
  recordOnboardingAttempt,
  recordWelcomeEmail,
  startOnboarding,
} from '../../store/onboardings.js';
import type { InboundHooks } from '../inbound/apply-field.js';
import { applySnapshot } from '../inbound/apply-snapshot.js';
import type { CrmReader } from '../inbound/crm-reader.js';
import { lockObject } from '../inbound/object-lock.js';
import { queueCompanyWriteBack, recordAccountEvent } from '../../warp/accounts.js';
import { valueOf } from '../../warp/result.js';
import { createTrunk } from '../../warp/trunks.js';
import type { WelcomeMailer } from './mailer.js';
import { syncedProperties, WARP_COMPANY_PROPERTIES } from '../../domain/crm-catalogue.js';
import { ASSOCIATION_TYPE_IDS } from '../../domain/hubspot-objects.js';

/**
 * Onboarding of a won deal (docs/product-rules.md "Onboarding"): ensure the company, issue a BAN and
 * queue `warp_ban` back to HubSpot, cache the customer, welcome the primary contact, create the
 * first trunk, and record the timeline entry. The row per deal lists the steps done; each step
 * commits its effect together with its "done" mark, so a replayed deal-won never repeats a step
 * and a crash resumes at the first step not done. The email is at most once: `sending` is
 * committed before the SMTP call. Each onboarding is a graphile-worker job (key `onboarding:<deal>`),
 * retried with back-off and resumed on another instance when its own dies.
 */

export type OnboardingHubSpot = Pick<HubSpotGateway, 'listAssociations' | 'createObject' | 'getObject'>;

export interface OnboardingOptions {
  pool: Pool;
  logger: Logger;
  hubspot: OnboardingHubSpot;
  reader: CrmReader;
  hooks: Omit<InboundHooks, 'needsFetch'>;
  /** undefined without SMTP settings: the email is recorded and logged as not sent. */
  mailer: WelcomeMailer | undefined;
}

export const ONBOARDING_TASK: TaskSpec<{ dealId: string }> = {
  name: 'onboarding',
  payload: z.object({ dealId: z.string().regex(/^\d+$/) }),
  maxAttempts: 10,
};

/**
 * Starts onboarding for a won deal in the caller's transaction (the inbox event's): the row and its
 * job commit together. A deal already started (replay, stage back and forth) is left alone.
 */
export async function queueOnboarding(tx: Queryable, dealId: string, companyId: string | null): Promise<void> {
  if (await startOnboarding(tx, dealId, companyId)) await addJob(tx, ONBOARDING_TASK, { dealId }, { jobKey: `onboarding:${dealId}` });
}

/** The first trunk of a new customer; the customer adds its IP addresses in the console. */
export const FIRST_TRUNK = { name: 'Primary trunk', ipAddresses: [] as string[], concurrentCalls: 10, monthlyMinutes: 10_000 };

type Step = (state: Onboarding) => Promise<void>;

export function createOnboardingSteps(options: OnboardingOptions): Record<OnboardingStep, Step> {
  const { pool, hubspot, logger } = options;
  const banOf = (state: Onboarding): string => {
    if (!state.customerId || !state.ban) throw new Error('onboarding state lacks the customer; the customer step must run first');
    return state.ban;
  };

  return {
    /** The deal's company, or a new one named after the deal (associated to it). */
    company: async (state) => {
      let companyId = state.companyId;
      if (!companyId) {
        const deal = await readCachedRecord(pool, 'deal', state.dealId);
        companyId = deal?.values['hubspot_company_id'] ?? null;
      }
      if (!companyId) {
        const associated = await hubspot.listAssociations({ objectType: 'deals', id: state.dealId }, 'companies', { priority: 'realtime' });
        companyId = associated[0]?.toObjectId ?? null;
      }
      if (!companyId) {
        // Created already associated with the deal, in one call: if its answer is lost (a crash, a
        // dropped connection; the gateway never re-sends a create), the retry finds it through the
        // deal's associations above instead of creating a second company.
        const deal = await hubspot.getObject('deals', state.dealId, { properties: ['dealname'], priority: 'realtime' });
        const created = await hubspot.createObject(
          'companies',
          { properties: { name: deal.properties['dealname'] ?? `Deal ${state.dealId}` }, associations: [{ toObjectId: state.dealId, associationTypeId: ASSOCIATION_TYPE_IDS.companyToDeal }] },
          { priority: 'realtime' },
        );
        companyId = created.id;
      }
      await completeOnboardingStep(pool, state.dealId, 'company', { companyId });
      state.companyId = companyId;
    },

    /** Caches the company as a customer with a new BAN, and queues `warp_ban` for HubSpot. */
    customer: async (state) => {
      const companyId = state.companyId!;
      const [snapshot] = await options.reader.readBatch('company', [companyId], syncedProperties('company'));
      const produced = await withTransaction(pool, async (tx) => {
        await lockObject(tx, 'company', companyId);
        if (snapshot) await applySnapshot(tx, { ...options.hooks, needsFetch: () => undefined }, 'company', snapshot, 'fetch');
        const { record } = await ensureCachedRecord(tx, 'company', companyId);
        const { ban, assigned } = await ensureBan(tx, record.id);
        if (assigned) {
          await appendAudit(tx, { entityType: 'customer', entityId: companyId, source: 'onboarding', event: `deal ${state.dealId} won`, changes: { ban: { before: null, after: ban } } });
          // Every WARP-owned property, not just the BAN: a new customer's counts and flags start in HubSpot too.
          await queueCompanyWriteBack(tx, record.id, WARP_COMPANY_PROPERTIES);
        }
        await completeOnboardingStep(tx, state.dealId, 'customer', { customerId: record.id, ban });
        return { customerId: record.id, ban };
      });
      Object.assign(state, produced);
    },

    welcome_email: async (state) => {
      banOf(state);
      const previous = await findWelcomeEmail(pool, state.dealId);
      if (previous?.status === 'sending') {
        // A crash during the SMTP call: it may have gone out. Never risk a second email.
        await recordWelcomeEmail(pool, state.dealId, { contactId: null, status: 'unknown', reason: 'interrupted while sending' });
      } else if (!previous) {
        await sendWelcome(options, state);
      }
      await completeOnboardingStep(pool, state.dealId, 'welcome_email');
      logger.debug({ dealId: state.dealId }, 'welcome email step done');
    },

    first_trunk: async (state) => {
      const ban = banOf(state);
      await withTransaction(pool, async (tx) => {
        valueOf(await createTrunk({ tx }, ban, FIRST_TRUNK));
        await completeOnboardingStep(tx, state.dealId, 'first_trunk');
      });
    },

    timeline: async (state) => {
      const ban = banOf(state);
      await withTransaction(pool, async (tx) => {
        valueOf(await recordAccountEvent({ tx }, ban, { kind: 'account_created', fields: { ban, hubspot_deal_id: state.dealId } }));
        await completeOnboardingStep(tx, state.dealId, 'timeline');
      });
    },
  };
}

async function sendWelcome(options: OnboardingOptions, state: Onboarding): Promise<void> {
  const { pool, hubspot, logger } = options;
  const contacts = await hubspot.listAssociations({ objectType: 'companies', id: state.companyId! }, 'contacts', { priority: 'realtime' });
  const contactId = contacts[0]?.toObjectId ?? null;
  const contact = contactId ? await hubspot.getObject('contacts', contactId, { properties: ['email', 'firstname'], priority: 'realtime' }) : undefined;
  const email = contact?.properties['email'] ?? null;
  if (!email || !options.mailer) {
    const reason = !email ? 'no primary contact with an email address' : 'SMTP is not configured';
    await recordWelcomeEmail(pool, state.dealId, { contactId, status: 'not_sent', reason });
    logger.warn({ dealId: state.dealId, contactId, reason }, 'welcome email not sent');
    return;
  }
  await recordWelcomeEmail(pool, state.dealId, { contactId, status: 'sending' });
  const company = await readCachedRecord(pool, 'company', state.companyId!);
  let messageId: string;
  try {
    ({ messageId } = await options.mailer.send({ to: email, firstName: contact?.properties['firstname'] ?? null, ban: state.ban!, companyName: company?.values['name'] ?? null }));
  } catch (error) {
    // The SMTP server refused or could not be reached: nothing went out, so the retry may send.
    await forgetWelcomeEmail(pool, state.dealId);
    throw error;
  }
  await recordWelcomeEmail(pool, state.dealId, { contactId, status: 'sent', messageId });
  logger.info({ dealId: state.dealId, contactId }, 'welcome email sent');
}

const STEP_ORDER: readonly OnboardingStep[] = ['company', 'customer', 'welcome_email', 'first_trunk', 'timeline'];

export function onboardingTask(options: OnboardingOptions): TaskDefinition {
  const steps = createOnboardingSteps(options);
  // One run per deal at a time across instances (a job handed on while its first runner still
  // works, a duplicate job): the later run waits, then sees the steps the first one did.
  return defineTask(ONBOARDING_TASK, ({ dealId }, context) => withSessionLock(options.pool, `onboarding:${dealId}`, async () => {
    const state = await loadOnboarding(options.pool, dealId);
    if (state?.status !== 'pending') return;
    await recordOnboardingAttempt(options.pool, dealId, context.attempt);
    try {
      for (const step of STEP_ORDER) {
        context.signal.throwIfAborted();
        if (!state.stepsDone.includes(step)) await steps[step](state);
      }
      await finishOnboarding(options.pool, dealId);
      options.logger.info({ dealId, ban: state.ban }, 'onboarding done');
    } catch (error) {
      const err = toError(error);
      const final = context.finalAttempt && !context.signal.aborted;
      options.logger.warn({ dealId, attempt: context.attempt, err }, final ? 'onboarding failed for good' : 'onboarding step failed; will resume');
      await failOnboarding(options.pool, dealId, err.message, final);
      if (!final) throw err;
    }
  }));
}
