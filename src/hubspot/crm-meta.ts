import { segment } from './client.js';
import { callSpec, type OperationContext } from './objects.js';
import {
  type HubSpotObjectSchema,
  type HubSpotPipeline,
  type HubSpotProperty,
  type HubSpotPropertyGroup,
  objectSchemaListSchema,
  objectSchemaSchema,
  pipelineListSchema,
  propertyGroupListSchema,
  propertyGroupSchema,
  propertyListSchema,
  propertySchema,
  schemaAssociationSchema,
} from './schemas.js';
import type { CallOptions, PropertyDefinition, SchemaDefinition } from './types.js';

/** The CRM's own definitions: properties and groups, custom object schemas, pipelines (§5, §6, §9). */

const PROPERTIES = '/crm/v3/properties';
const SCHEMAS = '/crm-object-schemas/v3/schemas';

export async function listProperties(ctx: OperationContext, objectType: string, options?: CallOptions): Promise<HubSpotProperty[]> {
  const { data } = await ctx.http.requestParsed(
    { method: 'GET', path: `${PROPERTIES}/${segment(objectType)}`, operation: `listProperties ${objectType}`, ...callSpec(ctx, options) },
    propertyListSchema,
  );
  return data.results;
}

export async function createProperty(ctx: OperationContext, objectType: string, definition: PropertyDefinition, options?: CallOptions): Promise<HubSpotProperty> {
  const { data } = await ctx.http.requestParsed(
    { method: 'POST', path: `${PROPERTIES}/${segment(objectType)}`, operation: `createProperty ${objectType}.${definition.name}`, body: definition, ...callSpec(ctx, options) },
    propertySchema,
  );
  return data;
}

export async function updateProperty(
  ctx: OperationContext,
  objectType: string,
  name: string,
  patch: Partial<Omit<PropertyDefinition, 'name' | 'hasUniqueValue'>>,
  options?: CallOptions,
): Promise<HubSpotProperty> {
  const { data } = await ctx.http.requestParsed(
    { method: 'PATCH', path: `${PROPERTIES}/${segment(objectType)}/${segment(name)}`, operation: `updateProperty ${objectType}.${name}`, body: patch, ...callSpec(ctx, options) },
    propertySchema,
  );
  return data;
}

export async function listPropertyGroups(ctx: OperationContext, objectType: string, options?: CallOptions): Promise<HubSpotPropertyGroup[]> {
  const { data } = await ctx.http.requestParsed(
    { method: 'GET', path: `${PROPERTIES}/${segment(objectType)}/groups`, operation: `listPropertyGroups ${objectType}`, ...callSpec(ctx, options) },
    propertyGroupListSchema,
  );
  return data.results;
}

export async function createPropertyGroup(
  ctx: OperationContext,
  objectType: string,
  group: { name: string; label: string; displayOrder?: number },
  options?: CallOptions,
): Promise<HubSpotPropertyGroup> {
  const { data } = await ctx.http.requestParsed(
    { method: 'POST', path: `${PROPERTIES}/${segment(objectType)}/groups`, operation: `createPropertyGroup ${objectType}.${group.name}`, body: group, ...callSpec(ctx, options) },
    propertyGroupSchema,
  );
  return data;
}

export async function updatePropertyGroup(
  ctx: OperationContext,
  objectType: string,
  name: string,
  patch: { label?: string; displayOrder?: number },
  options?: CallOptions,
): Promise<HubSpotPropertyGroup> {
  const { data } = await ctx.http.requestParsed(
    { method: 'PATCH', path: `${PROPERTIES}/${segment(objectType)}/groups/${segment(name)}`, operation: `updatePropertyGroup ${objectType}.${name}`, body: patch, ...callSpec(ctx, options) },
    propertyGroupSchema,
  );
  return data;
}

export async function listSchemas(ctx: OperationContext, options?: CallOptions): Promise<HubSpotObjectSchema[]> {
  const { data } = await ctx.http.requestParsed({ method: 'GET', path: SCHEMAS, operation: 'listSchemas', ...callSpec(ctx, options) }, objectSchemaListSchema);
  return data.results;
}

/** By `objectTypeId` (`2-NNNN`) or fully qualified name (`p{portalId}_{name}`). */
export async function getSchema(ctx: OperationContext, objectType: string, options?: CallOptions): Promise<HubSpotObjectSchema> {
  const { data } = await ctx.http.requestParsed(
    { method: 'GET', path: `${SCHEMAS}/${segment(objectType)}`, operation: `getSchema ${objectType}`, ...callSpec(ctx, options) },
    objectSchemaSchema,
  );
  return data;
}

export async function createSchema(ctx: OperationContext, definition: SchemaDefinition, options?: CallOptions): Promise<HubSpotObjectSchema> {
  const { data } = await ctx.http.requestParsed(
    { method: 'POST', path: SCHEMAS, operation: `createSchema ${definition.name}`, body: definition, ...callSpec(ctx, options) },
    objectSchemaSchema,
  );
  return data;
}

/** Labels, display and searchable properties; HubSpot cannot rename a schema. */
export async function updateSchema(
  ctx: OperationContext,
  objectType: string,
  patch: Partial<Pick<SchemaDefinition, 'labels' | 'primaryDisplayProperty' | 'secondaryDisplayProperties' | 'searchableProperties' | 'requiredProperties' | 'description'>>,
  options?: CallOptions,
): Promise<void> {
  await ctx.http.request({ method: 'PATCH', path: `${SCHEMAS}/${segment(objectType)}`, operation: `updateSchema ${objectType}`, body: patch, ...callSpec(ctx, options) });
}

/** Defines an association between a custom object and another type (needed before associating records). */
export async function createSchemaAssociation(
  ctx: OperationContext,
  objectType: string,
  association: { fromObjectTypeId: string; toObjectTypeId: string; name?: string },
  options?: CallOptions,
): Promise<{ id: string; fromObjectTypeId: string; toObjectTypeId: string }> {
  const { data } = await ctx.http.requestParsed(
    { method: 'POST', path: `${SCHEMAS}/${segment(objectType)}/associations`, operation: `createSchemaAssociation ${objectType}`, body: association, ...callSpec(ctx, options) },
    schemaAssociationSchema,
  );
  return data;
}

/** Pipelines and their stages (ticket stage ids are portal-specific: read them, never hard-code). */
export async function listPipelines(ctx: OperationContext, objectType: string, options?: CallOptions): Promise<HubSpotPipeline[]> {
  const { data } = await ctx.http.requestParsed(
    { method: 'GET', path: `/crm/v3/pipelines/${segment(objectType)}`, operation: `listPipelines ${objectType}`, ...callSpec(ctx, options) },
    pipelineListSchema,
  );
  return data.results;
}
