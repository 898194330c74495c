import { crmProperty, type SyncSide } from './crm-catalogue.js';
import type { CrmObject } from './hubspot-objects.js';

/**
 * Who owns which field (docs/product-rules.md "Field ownership"), read from the CRM catalogue:
 * HubSpot owns customer master data, WARP owns technical configuration and measured facts. A change
 * from the side that does not own a field is not applied; it is recorded as a conflict and the
 * owner's value is written back.
 */

/**
 * The owner of a field, or undefined when we do not sync it (unknown properties are recorded,
 * never applied). Ticket fields not in the catalogue belong to HubSpot (support agents).
 */
export function fieldOwner(objectType: CrmObject, property: string): SyncSide | undefined {
  const owner = crmProperty(objectType, property)?.owner;
  if (owner) return owner;
  return objectType === 'ticket' ? 'hubspot' : undefined;
}

/** True when a change of `property` coming from `side` may be applied. */
export function mayWrite(objectType: CrmObject, property: string, side: SyncSide): boolean {
  return fieldOwner(objectType, property) === side;
}
