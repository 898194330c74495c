import { crmProperty } from '../domain/crm-catalogue.js';
import { ACCOUNT_STATUSES, PAYMENT_METHODS, PAYMENT_STATUSES, RESPORG_STATUSES } from '../domain/value-sets.js';
import type { Account } from '../store/accounts.js';
import { type AccountChange, type AccountFacts, changeAccount, updateAccountFacts } from './accounts.js';
import type { WarpDeps } from './command.js';
import type { Result } from './result.js';

/**
 * "Take HubSpot's value" for a conflict on a WARP-owned company field: the value typed in HubSpot
 * becomes a WARP change made by the same commands the API uses (so trunks follow a suspension,
 * the change is synced out and recorded as any other). Only facts an operator may set are
 * adoptable; roll-ups, usage figures and the BAN are computed or issued by WARP and never are.
 */

export type Adoption = { kind: 'change'; change: AccountChange } | { kind: 'facts'; facts: AccountFacts };

const STATUS_CHANGES = { active: 'reactivate', suspended: 'suspend', churned: 'churn' } as const;

const oneOf = <T extends string>(values: readonly T[], value: string | null): value is T => value !== null && (values as readonly string[]).includes(value);

/** The WARP change that makes WARP hold HubSpot's value; null when the field cannot be taken over. */
export function adoptionOf(property: string, hubspotValue: string | null): Adoption | null {
  const mapping = crmProperty('company', property);
  if (!mapping || mapping.owner !== 'warp') return null;
  const parsed = hubspotValue === null ? null : mapping.parse(hubspotValue);
  const text = parsed === null || parsed === undefined ? null : String(parsed);
  switch (property) {
    case 'warp_status':
      return oneOf(ACCOUNT_STATUSES, text) ? { kind: 'change', change: { type: STATUS_CHANGES[text] } } : null;
    case 'warp_payment_method':
      return oneOf(PAYMENT_METHODS, text) ? { kind: 'change', change: { type: 'payment_method_changed', paymentMethod: text } } : null;
    case 'warp_payment_status':
      return oneOf(PAYMENT_STATUSES, text) ? { kind: 'change', change: { type: 'payment_status_changed', paymentStatus: text } } : null;
    case 'warp_api_enabled':
    case 'warp_sms_enabled':
      if (text !== 'true' && text !== 'false') return null;
      return { kind: 'facts', facts: property === 'warp_api_enabled' ? { apiEnabled: text === 'true' } : { smsEnabled: text === 'true' } };
    case 'warp_tcr_brand_id':
      return { kind: 'facts', facts: { tcrBrandId: text } };
    case 'warp_resporg_status':
      return oneOf(RESPORG_STATUSES, text) ? { kind: 'facts', facts: { resporgStatus: text } } : null;
    default:
      return null;
  }
}

export function adoptHubSpotValue(deps: WarpDeps, ban: string, adoption: Adoption): Promise<Result<Account>> {
  return adoption.kind === 'change' ? changeAccount(deps, ban, adoption.change) : updateAccountFacts(deps, ban, adoption.facts);
}
