import { type CrmProperty, propertiesOf } from '../domain/crm-catalogue.js';
import { CRM_OBJECTS } from '../domain/hubspot-objects.js';
import type { PropertyDefinition, SchemaDefinition } from './types.js';

/**
 * What WARP needs in a HubSpot portal, derived from the CRM catalogue (domain/crm-catalogue.ts):
 * the WARP properties of companies, contacts and tickets (in a `warp` property group), and the
 * custom objects Trunks and Numbers. Provisioning (provision.ts) makes a portal match this;
 * nothing else writes definitions. The decisions behind the model are in docs/product-rules.md
 * ("The CRM model"): no `warp_api_keys` property, money as numbers shown as currency, unique
 * `warp_ban` / `warp_user_id`, both tier properties.
 */

export const WARP_GROUP = { name: 'warp', label: 'WARP', displayOrder: -1 } as const;

type Def = Omit<PropertyDefinition, 'groupName'>;

const optionLabel = (value: string): string => value.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());

/** The HubSpot definition of a catalogue property. */
export function propertyDefinition(property: CrmProperty): Def {
  const { field } = property;
  const options =
    field.type === 'bool'
      ? // Spelled out: the portal shows them as the checkbox's Yes/No values.
        [{ label: 'Yes', value: 'true', displayOrder: 0 }, { label: 'No', value: 'false', displayOrder: 1 }]
      : field.options?.map((value, displayOrder) => ({ value, label: optionLabel(value), displayOrder }));
  return {
    name: property.name,
    label: property.label,
    description: property.description,
    type: field.type,
    fieldType: field.fieldType,
    ...(options ? { options } : {}),
    ...(field.unique ? { hasUniqueValue: true } : {}),
    ...(field.currency ? { numberDisplayHint: 'currency', showCurrencySymbol: true } : {}),
  };
}

/** The properties WARP creates on an object (HubSpot's own ones are left alone). */
const created = (object: 'company' | 'contact' | 'ticket' | 'trunk' | 'number'): Def[] =>
  propertiesOf(object).filter((p) => !p.field.builtIn).map(propertyDefinition);

/** Standard objects and their WARP properties, in provisioning order. */
export const STANDARD_OBJECT_PROPERTIES: ReadonlyArray<{ objectType: string; properties: Def[] }> = [
  { objectType: CRM_OBJECTS.company.path, properties: created('company') },
  { objectType: CRM_OBJECTS.contact.path, properties: created('contact') },
  { objectType: CRM_OBJECTS.ticket.path, properties: created('ticket') },
];

export const TRUNK_SCHEMA: SchemaDefinition = {
  name: CRM_OBJECTS.trunk.path,
  labels: { singular: 'Trunk', plural: 'Trunks' },
  description: 'WARP SIP trunks',
  primaryDisplayProperty: 'name',
  secondaryDisplayProperties: ['trunk_id', 'status'],
  searchableProperties: ['name', 'trunk_id'],
  requiredProperties: [CRM_OBJECTS.trunk.idProperty],
  associatedObjects: [CRM_OBJECTS.company.typeId],
  properties: created('trunk'),
};

/** Numbers are associated with companies here; the association to Trunks is added once both exist. */
export const NUMBER_SCHEMA: SchemaDefinition = {
  name: CRM_OBJECTS.number.path,
  labels: { singular: 'Number', plural: 'Numbers' },
  description: 'WARP phone numbers',
  primaryDisplayProperty: 'number',
  secondaryDisplayProperties: ['type', 'trunk_id'],
  searchableProperties: ['number', 'cnam'],
  requiredProperties: [CRM_OBJECTS.number.idProperty],
  associatedObjects: [CRM_OBJECTS.company.typeId],
  properties: created('number'),
};
