import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { CAMPAIGN_USE_CASES } from '../../domain/value-sets.js';
import type { MessagingCampaign } from '../../store/messaging-campaigns.js';
import { listCampaigns, registerCampaign } from '../../warp/campaigns.js';
import { pageQuery, pageRequest, pageSchema, presentPage } from '../paging.js';
import { defineRoute } from '../route.js';
import { plainText } from '../schemas.js';
import { valueOrRefusal } from '../warp-results.js';
import { banParams, e164, isoTime } from './customer-scope.js';

/** 10DLC campaign registrations of a customer (src/warp/campaigns.ts). */

export const campaignView = z.object({
  campaignId: z.string(),
  brandId: z.string(),
  useCase: z.enum(CAMPAIGN_USE_CASES),
  description: z.string().nullable(),
  numbers: z.array(z.string()),
  registeredAt: isoTime,
  createdAt: isoTime,
});

const presentCampaign = (campaign: MessagingCampaign): z.input<typeof campaignView> => ({
  campaignId: campaign.campaignId,
  brandId: campaign.brandId,
  useCase: campaign.useCase,
  description: campaign.description,
  numbers: campaign.numbers,
  registeredAt: campaign.registeredAt.toISOString(),
  createdAt: campaign.createdAt.toISOString(),
});

const registerBody = z
  .object({
    campaignId: z.string().regex(/^C[A-Z0-9]{6}$/, 'a TCR campaign id is C and 6 upper-case letters or digits'),
    brandId: z.string().regex(/^B[A-Z0-9]{6}$/, 'a TCR brand id is B and 6 upper-case letters or digits').optional(),
    useCase: z.enum(CAMPAIGN_USE_CASES),
    description: plainText(500).optional(),
    numbers: z
      .array(e164)
      .max(1000)
      .refine((n) => new Set(n).size === n.length, 'numbers must not repeat')
      .meta({ uniqueItems: true })
      .optional(),
    registeredAt: z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional(),
  })
  .strict();

export const registeredView = campaignView.extend({
  alreadyRegistered: z.boolean().describe('True when this campaign was recorded before with the same details: nothing was added'),
});

export function campaignRoutes(pool: Pool) {
  const deps = { pool };
  return [
    defineRoute({
      operationId: 'registerCampaign',
      method: 'POST',
      url: '/customers/:ban/messaging/campaigns',
      access: 'write',
      tag: 'messaging',
      summary: 'Record a 10DLC campaign registered with TCR (a "Campaign registered" entry on the HubSpot timeline); safe to retry',
      params: banParams,
      body: registerBody,
      success: { status: 201, description: 'The registration', schema: registeredView },
      errors: {
        404: 'No customer with this BAN, or one of the numbers is not its own',
        409: '`campaign_exists`: recorded with other details or for another customer; `brand_missing`: no brandId and no tcrBrandId on the account',
      },
      handler: async ({ params, body }) => {
        const { campaign, alreadyRegistered } = valueOrRefusal(await registerCampaign(deps, params.ban, body));
        return { ...presentCampaign(campaign), alreadyRegistered };
      },
    }),
    defineRoute({
      operationId: 'listCampaigns',
      method: 'GET',
      url: '/customers/:ban/messaging/campaigns',
      access: 'read',
      tag: 'messaging',
      summary: 'The 10DLC campaigns of a customer, in the order they were recorded',
      params: banParams,
      query: z.object(pageQuery).strict(),
      success: { status: 200, description: 'One page of campaigns', schema: pageSchema('campaigns', campaignView) },
      errors: { 404: 'No customer with this BAN' },
      handler: async ({ params, query }) => presentPage('campaigns', valueOrRefusal(await listCampaigns(deps, params.ban, pageRequest(query))), presentCampaign),
    }),
  ];
}
