import type { PoolClient } from '../../db/pool.js';
import type { CachedRecord } from '../../store/cache-records.js';
import type { InboundHooks } from './apply-field.js';
import type { InboundObjectType } from '../../domain/hubspot-objects.js';

/**
 * The inbound hooks the composition root wires: each part is optional so the cache works on its
 * own, and gains write-backs, dependent updates and onboarding as those parts are configured.
 */
export interface InboundHookParts {
  /** Queues WARP's values of these WARP-owned properties for HubSpot (outbound outbox). */
  pushCompanyProperties?: (tx: PoolClient, customerId: string, properties: string[]) => Promise<void>;
  /** Queues a cached contact's WARP-owned values for HubSpot; false when it is no WARP user. */
  pushUser?: (tx: PoolClient, userRowId: string) => Promise<boolean>;
  /** The credit limit of a WARP account (a company with a BAN) changed: its dependent updates. */
  onCreditLimitChange?: (tx: PoolClient, ban: string) => Promise<void>;
  /** A deal's stage changed (onboarding starts on closed-won). */
  onDealStageChange?: (tx: PoolClient, deal: CachedRecord) => Promise<void>;
}

export function createInboundHooks(parts: InboundHookParts): Omit<InboundHooks, 'needsFetch'> {
  return {
    writeBack: async (tx, objectType: InboundObjectType, record, properties) => {
      switch (objectType) {
        case 'company':
          if (!parts.pushCompanyProperties) return false;
          await parts.pushCompanyProperties(tx, record.id, properties);
          return true;
        case 'contact':
          // The outbound user sync sends every WARP-owned contact field from the cache.
          return parts.pushUser ? parts.pushUser(tx, record.id) : false;
        case 'deal':
          return false; // deals are HubSpot's entirely
      }
    },
    afterChange: async (tx, objectType, record, changedColumns) => {
      // A company without a BAN is no WARP account yet: it has no trunks to limit.
      const ban = record.values['ban'];
      if (objectType === 'company' && changedColumns.includes('credit_limit') && ban) await parts.onCreditLimitChange?.(tx, ban);
      if (objectType === 'deal' && changedColumns.includes('stage')) await parts.onDealStageChange?.(tx, record);
    },
  };
}
