import { createObject, callSpec, type OperationContext } from './objects.js';
import { type HubSpotObject, timelineEventSchema, type TimelineEventResult } from './schemas.js';
import type { AssociationSpec, CallOptions, NoteInput, PropertyValues, TimelineEventInput } from './types.js';

/** Notes, timeline events and tickets: the objects the product writes for people to read (§8, §9). */

/**
 * A note on the timeline of the records it is associated with (e.g. 190 note→company).
 * `hs_timestamp` is required by HubSpot and sets the note's place on the timeline.
 */
export function createNote(ctx: OperationContext, note: NoteInput, options?: CallOptions): Promise<HubSpotObject> {
  return createObject(
    ctx,
    'notes',
    {
      properties: { ...note.properties, hs_timestamp: note.timestamp.toISOString(), hs_note_body: note.body },
      associations: note.associations.map((a) => ({ toObjectId: a.toObjectId, associationTypeId: a.associationTypeId })),
    },
    options,
  );
}

/**
 * A timeline event from an app's event template. Only public apps with templates can do this;
 * private-app tokens get 403 (use `createNote` then: docs/product-rules.md "Timeline").
 */
export async function createTimelineEvent(ctx: OperationContext, event: TimelineEventInput, options?: CallOptions): Promise<TimelineEventResult> {
  const { data } = await ctx.http.requestParsed(
    {
      method: 'POST',
      path: '/integrators/timeline/v3/events',
      operation: `createTimelineEvent ${event.eventTemplateId}`,
      body: {
        eventTemplateId: event.eventTemplateId,
        objectId: event.objectId,
        tokens: event.tokens,
        ...(event.id ? { id: event.id } : {}),
        ...(event.timestamp ? { timestamp: event.timestamp.toISOString() } : {}),
        ...(event.extraData ? { extraData: event.extraData } : {}),
      },
      ...callSpec(ctx, options),
    },
    timelineEventSchema,
  );
  return data;
}

/**
 * A support ticket. HubSpot needs `subject`, `hs_pipeline` and `hs_pipeline_stage` (stage ids are
 * portal-specific: read them with `listPipelines('tickets')`).
 */
export function createTicket(
  ctx: OperationContext,
  properties: PropertyValues & { subject: string; hs_pipeline: string; hs_pipeline_stage: string },
  associations: AssociationSpec[] = [],
  options?: CallOptions,
): Promise<HubSpotObject> {
  return createObject(ctx, 'tickets', { properties, associations }, options);
}
