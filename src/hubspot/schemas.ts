import { z } from 'zod';

/**
 * zod schemas for what HubSpot answers (docs/hubspot-facts.md), and the types derived from them.
 * Only the fields we use are required; HubSpot adds fields over time, so objects are not strict
 * (unknown keys are dropped, never rejected).
 *
 * Glossary:
 * - object type: `companies`, `contacts`, `tickets`, `notes`, a custom object's `2-NNNN` id or its
 *   fully qualified name `p{portalId}_{name}`.
 * - idProperty: a property with unique values (or `email` for contacts) used instead of the record id.
 * - objectWriteTraceId: our per-input tag in batch writes; HubSpot echoes it in 207 errors so each
 *   failure can be matched to the input that caused it.
 */

/** Record values are always strings (or null for "no value") in HubSpot JSON. */
const propertyValues = z.record(z.string(), z.string().nullable());

export const hubSpotObjectSchema = z.object({
  id: z.string(),
  properties: propertyValues,
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  archived: z.boolean().optional(),
  archivedAt: z.string().optional(),
  objectWriteTraceId: z.string().optional(),
  /** Upsert only: whether the record was created by this call. */
  new: z.boolean().optional(),
  associations: z
    .record(z.string(), z.object({ results: z.array(z.object({ id: z.string(), type: z.string() })) }))
    .optional(),
});
export type HubSpotObject = z.infer<typeof hubSpotObjectSchema>;

export const pagingSchema = z
  .object({ next: z.object({ after: z.string(), link: z.string().optional() }).optional() })
  .optional();

export const objectPageSchema = z.object({ results: z.array(hubSpotObjectSchema), paging: pagingSchema });
export const searchPageSchema = z.object({ total: z.number(), results: z.array(hubSpotObjectSchema), paging: pagingSchema });

/** One entry of `errors[]` in an error envelope (or of a 207 response). */
export const errorDetailSchema = z.object({
  message: z.string().optional(),
  code: z.string().optional(),
  in: z.string().optional(),
  context: z.record(z.string(), z.unknown()).optional(),
  subCategory: z.string().optional(),
});
export type HubSpotErrorDetail = z.infer<typeof errorDetailSchema>;

/** HubSpot's error envelope: "the fields … should all be treated as optional". */
export const errorEnvelopeSchema = z.object({
  status: z.string().optional(),
  message: z.string().optional(),
  category: z.string().optional(),
  correlationId: z.string().optional(),
  policyName: z.string().optional(),
  errorType: z.string().optional(),
  subCategory: z.unknown().optional(),
  errors: z.array(errorDetailSchema).optional(),
  context: z.record(z.string(), z.array(z.string())).optional(),
});
export type HubSpotErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

export const batchResponseSchema = z.object({
  status: z.string().optional(),
  results: z.array(hubSpotObjectSchema),
  numErrors: z.number().optional(),
  errors: z.array(errorEnvelopeSchema).optional(),
});

const optionSchema = z.object({
  label: z.string(),
  value: z.string(),
  displayOrder: z.number().optional(),
  hidden: z.boolean().optional(),
  description: z.string().optional(),
});
export type PropertyOption = z.infer<typeof optionSchema>;

export const propertySchema = z.object({
  name: z.string(),
  label: z.string(),
  type: z.string(),
  fieldType: z.string(),
  groupName: z.string().optional(),
  description: z.string().optional(),
  options: z.array(optionSchema).optional(),
  hasUniqueValue: z.boolean().optional(),
  hidden: z.boolean().optional(),
  formField: z.boolean().optional(),
  hubspotDefined: z.boolean().optional(),
  archived: z.boolean().optional(),
  showCurrencySymbol: z.boolean().optional(),
  numberDisplayHint: z.string().optional(),
  modificationMetadata: z.object({ readOnlyDefinition: z.boolean().optional() }).partial().optional(),
});
export type HubSpotProperty = z.infer<typeof propertySchema>;
export const propertyListSchema = z.object({ results: z.array(propertySchema) });

export const propertyGroupSchema = z.object({
  name: z.string(),
  label: z.string(),
  displayOrder: z.number().optional(),
  archived: z.boolean().optional(),
});
export type HubSpotPropertyGroup = z.infer<typeof propertyGroupSchema>;
export const propertyGroupListSchema = z.object({ results: z.array(propertyGroupSchema) });

export const schemaAssociationSchema = z.object({
  id: z.string(),
  fromObjectTypeId: z.string(),
  toObjectTypeId: z.string(),
  name: z.string().optional(),
});

export const objectSchemaSchema = z.object({
  id: z.string(),
  objectTypeId: z.string(),
  fullyQualifiedName: z.string(),
  name: z.string(),
  labels: z.object({ singular: z.string().optional(), plural: z.string().optional() }).optional(),
  properties: z.array(propertySchema),
  associations: z.array(schemaAssociationSchema).optional(),
  requiredProperties: z.array(z.string()).optional(),
  searchableProperties: z.array(z.string()).optional(),
  primaryDisplayProperty: z.string().optional(),
  archived: z.boolean().optional(),
});
export type HubSpotObjectSchema = z.infer<typeof objectSchemaSchema>;
export const objectSchemaListSchema = z.object({ results: z.array(objectSchemaSchema) });

export const associationTypeSchema = z.object({
  category: z.string(),
  typeId: z.number(),
  label: z.string().nullable().optional(),
});
export type AssociationType = z.infer<typeof associationTypeSchema>;

/** v4 read: ids are numbers in v4 bodies; we turn them into strings like every other id. */
export const associationTargetSchema = z.object({
  toObjectId: z.union([z.number(), z.string()]).transform(String),
  associationTypes: z.array(associationTypeSchema),
});
export type AssociationTarget = z.infer<typeof associationTargetSchema>;
export const associationPageSchema = z.object({ results: z.array(associationTargetSchema), paging: pagingSchema });

export const associationBatchReadSchema = z.object({
  results: z.array(
    z.object({ from: z.object({ id: z.union([z.number(), z.string()]).transform(String) }), to: z.array(associationTargetSchema) }),
  ),
  numErrors: z.number().optional(),
  errors: z.array(errorEnvelopeSchema).optional(),
});

/** Batch association writes: results vary by endpoint, we only need the error part. */
export const associationBatchWriteSchema = z.object({
  status: z.string().optional(),
  results: z.array(z.unknown()).optional(),
  numErrors: z.number().optional(),
  errors: z.array(errorEnvelopeSchema).optional(),
});

export const pipelineSchema = z.object({
  id: z.string(),
  label: z.string(),
  displayOrder: z.number().optional(),
  stages: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      displayOrder: z.number().optional(),
      metadata: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});
export type HubSpotPipeline = z.infer<typeof pipelineSchema>;
export const pipelineListSchema = z.object({ results: z.array(pipelineSchema) });

export const timelineEventSchema = z.object({ id: z.string(), eventTemplateId: z.string().optional(), objectId: z.string().optional() });
export type TimelineEventResult = z.infer<typeof timelineEventSchema>;
