import { FIELD_OWNERS } from '../ownership.js';

/**
 * The company properties WARP owns (PRODUCT.md "Field ownership"), derived from the ownership table
 * so the two cannot drift. Only these ever go out on a company write.
 */
export const WARP_COMPANY_PROPERTIES = Object.entries(FIELD_OWNERS.company)
  .filter(([, owner]) => owner === 'warp')
  .map(([name]) => name) as readonly WarpCompanyProperty[];

export type WarpCompanyProperty =
  | 'warp_ban'
  | 'warp_status'
  | 'warp_payment_method'
  | 'warp_payment_status'
  | 'warp_mrr'
  | 'warp_mtd_minutes'
  | 'warp_mtd_spend'
  | 'warp_trunk_count'
  | 'warp_number_count'
  | 'warp_api_enabled'
  | 'warp_sms_enabled'
  | 'warp_tcr_brand_id'
  | 'warp_resporg_status'
  | 'warp_10dlc_campaign_count';

export const ROLLUP_PROPERTIES: readonly WarpCompanyProperty[] = ['warp_trunk_count', 'warp_number_count'];

export function isWarpCompanyProperty(name: string): name is WarpCompanyProperty {
  return (WARP_COMPANY_PROPERTIES as readonly string[]).includes(name);
}
