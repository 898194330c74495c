import type { Queryable } from '../db/pool.js';
import type { CampaignUseCase } from '../domain/value-sets.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';

/**
 * 10DLC campaign registrations (US A2P messaging over 10-digit numbers): each campaign is
 * registered with The Campaign Registry (TCR) under a brand, for one use case; WARP records them
 * per customer and shows each one on the HubSpot timeline. See docs/warp-domain.md.
 */

export interface MessagingCampaign {
  id: string;
  campaignId: string;
  customerId: string;
  brandId: string;
  useCase: CampaignUseCase;
  description: string | null;
  /** E.164 numbers the campaign sends from. */
  numbers: string[];
  registeredAt: Date;
  createdAt: Date;
}

interface CampaignRow {
  id: string;
  campaign_id: string;
  customer_id: string;
  brand_id: string;
  use_case: CampaignUseCase;
  description: string | null;
  numbers: string[];
  registered_at: Date;
  created_at: Date;
}

const COLUMNS = 'id, campaign_id, customer_id, brand_id, use_case, description, numbers, registered_at, created_at';

const toCampaign = (row: CampaignRow): MessagingCampaign => ({
  id: String(row.id),
  campaignId: row.campaign_id,
  customerId: String(row.customer_id),
  brandId: row.brand_id,
  useCase: row.use_case,
  description: row.description,
  numbers: row.numbers,
  registeredAt: row.registered_at,
  createdAt: row.created_at,
});

export interface NewCampaign {
  campaignId: string;
  brandId: string;
  useCase: CampaignUseCase;
  description: string | null;
  numbers: readonly string[];
  registeredAt: Date;
}

/** Inserts a registration; null when the campaign id is already recorded (by any customer). */
export async function insertCampaign(db: Queryable, customerId: string, campaign: NewCampaign): Promise<MessagingCampaign | null> {
  const { rows } = await db.query<CampaignRow>(
    `INSERT INTO messaging_campaigns (campaign_id, customer_id, brand_id, use_case, description, numbers, registered_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (campaign_id) DO NOTHING RETURNING ${COLUMNS}`,
    [campaign.campaignId, customerId, campaign.brandId, campaign.useCase, campaign.description, [...campaign.numbers], campaign.registeredAt],
  );
  return rows[0] ? toCampaign(rows[0]) : null;
}

export async function findCampaign(db: Queryable, campaignId: string): Promise<MessagingCampaign | null> {
  const { rows } = await db.query<CampaignRow>(`SELECT ${COLUMNS} FROM messaging_campaigns WHERE campaign_id = $1`, [campaignId]);
  return rows[0] ? toCampaign(rows[0]) : null;
}

/** A customer's campaigns, oldest registration record first. */
export async function listCampaigns(db: Queryable, customerId: string, page: PageRequest): Promise<Page<MessagingCampaign>> {
  const { rows } = await db.query<CampaignRow>(
    `SELECT ${COLUMNS} FROM messaging_campaigns WHERE customer_id = $1 AND ($2::bigint IS NULL OR id > $2) ORDER BY id LIMIT $3`,
    [customerId, page.cursor ?? null, fetchLimit(page)],
  );
  return toPage(rows.map(toCampaign), page, (c) => c.id);
}
