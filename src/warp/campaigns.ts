import type { Page, PageRequest } from '../lib/paging.js';
import { findAccount } from '../store/accounts.js';
import type { CampaignUseCase } from '../domain/value-sets.js';
import { findCampaign, insertCampaign, listCampaigns as listCampaignRows, type MessagingCampaign } from '../store/messaging-campaigns.js';
import { findNumbers } from '../store/numbers.js';
import { enqueue } from '../store/outbox.js';
import type { WarpCompanyProperty } from '../domain/crm-catalogue.js';
import { companyChange, eventChange } from './changes.js';
import { customerCommand, customerQuery, type WarpDeps } from './command.js';
import { fail, ok, type Result } from './result.js';

/**
 * 10DLC campaign registrations (docs/warp-domain.md "10DLC campaigns"). WARP registers a campaign
 * with The Campaign Registry elsewhere and reports it here: it is stored, counted on the company
 * (`warp_10dlc_campaign_count`) and shown on its timeline as "Campaign registered". Reporting the
 * same campaign again with the same details is answered with the stored registration and adds
 * nothing, so a client may retry safely.
 */

export const CAMPAIGN_COUNT_PROPERTY: WarpCompanyProperty = 'warp_10dlc_campaign_count';

export interface CampaignRegistration {
  campaignId: string;
  /** The TCR brand; defaults to the account's `warp_tcr_brand_id`. */
  brandId?: string | undefined;
  useCase: CampaignUseCase;
  description?: string | null | undefined;
  numbers?: readonly string[] | undefined;
  /** When TCR accepted the campaign; defaults to now. */
  registeredAt?: Date | undefined;
}

export interface RegisteredCampaign {
  campaign: MessagingCampaign;
  /** True when this campaign was already recorded, with the same details: nothing was added. */
  alreadyRegistered: boolean;
}

const sameDetails = (stored: MessagingCampaign, customerId: string, brandId: string, input: CampaignRegistration): boolean =>
  stored.customerId === customerId &&
  stored.brandId === brandId &&
  stored.useCase === input.useCase &&
  stored.description === (input.description ?? null) &&
  [...stored.numbers].sort().join() === [...(input.numbers ?? [])].sort().join();

export function registerCampaign(deps: WarpDeps, ban: string, input: CampaignRegistration): Promise<Result<RegisteredCampaign>> {
  return customerCommand<RegisteredCampaign>(deps, ban, async (tx, customerId) => {
    const brandId = input.brandId ?? (await findAccount(tx, customerId))?.tcrBrandId ?? null;
    if (!brandId) return fail('brand_missing', `No 10DLC brand: send brandId, or set tcrBrandId on the account first (PATCH /customers/${ban})`);
    const numbers = input.numbers ?? [];
    const owned = new Set((await findNumbers(tx, numbers)).filter((n) => n.customerId === customerId && !n.deletedAt && n.status !== 'released').map((n) => n.number));
    const foreign = numbers.find((n) => !owned.has(n));
    if (foreign) return fail('not_found', `No number ${foreign} for BAN ${ban}`);

    const registeredAt = input.registeredAt ?? new Date();
    const campaign = await insertCampaign(tx, customerId, { campaignId: input.campaignId, brandId, useCase: input.useCase, description: input.description ?? null, numbers, registeredAt });
    if (!campaign) {
      const stored = (await findCampaign(tx, input.campaignId))!;
      if (sameDetails(stored, customerId, brandId, input)) return ok({ campaign: stored, alreadyRegistered: true });
      return fail('campaign_exists', `Campaign ${input.campaignId} is already registered with other details or for another customer`);
    }
    const event = await eventChange(tx, customerId, {
      kind: 'campaign_registered',
      occurredAt: registeredAt,
      fields: { campaign_id: campaign.campaignId, brand_id: brandId, use_case: campaign.useCase, numbers: numbers.length > 0 ? numbers.join(', ') : null, description: campaign.description },
    });
    await enqueue(tx, [event, companyChange(customerId, [CAMPAIGN_COUNT_PROPERTY])]);
    return ok({ campaign, alreadyRegistered: false });
  });
}

export function listCampaigns(deps: WarpDeps, ban: string, page: PageRequest): Promise<Result<Page<MessagingCampaign>>> {
  return customerQuery(deps, ban, async (db, customerId) => ok(await listCampaignRows(db, customerId, page)));
}
