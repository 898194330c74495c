import { type BatchResult, HubSpotError, type HubSpotGateway, isHubSpotError } from '../../hubspot/gateway.js';
import type { BatchOutcome, FailedInput, OutboundHubSpot } from './hubspot-port.js';
import { ASSOCIATION_TYPE_IDS } from '../../domain/hubspot-objects.js';

/**
 * The outbound port on top of the shared HubSpot gateway (src/hubspot/gateway.ts): every call uses
 * its rate budget, retries and 207 handling. Outbound writes are the follow-up of user actions in
 * WARP, so they run at `realtime` priority.
 */

const PRIORITY = { priority: 'realtime' } as const;

const failedInput = (f: BatchResult<unknown>['failures'][number]): FailedInput => ({ index: f.index, message: f.message, category: f.category, status: f.status, retryable: f.retryable });

function outcome<I>(result: BatchResult<I>): BatchOutcome {
  return {
    results: result.results.map((r) => ({ id: r.id, properties: r.properties, inputIndex: r.inputIndex, isNew: r.new })),
    failures: result.failures.map(failedInput),
  };
}

/** Failed archives fail the whole step: its retry is idempotent. */
function throwFailures(operation: string, failures: ReadonlyArray<{ message: string; category: string; status: number; retryable: boolean }>): void {
  const first = failures[0];
  if (!first) return;
  throw new HubSpotError({ kind: first.retryable ? 'retryable' : 'validation', message: `${operation} failed: ${first.category}: ${first.message}`, status: first.status, operation, category: first.category });
}

export function outboundHubSpot(gateway: HubSpotGateway): OutboundHubSpot {
  return {
    batchUpsert: async (objectType, idProperty, inputs) =>
      outcome(await gateway.batchUpsert(objectType, inputs.map((i) => ({ id: i.id, idProperty, properties: i.properties })), PRIORITY)),
    batchUpdate: async (objectType, inputs) =>
      outcome(await gateway.batchUpdate(objectType, inputs.map((i) => ({ id: i.id, properties: i.properties })), PRIORITY)),
    batchReadByProperty: async (objectType, idProperty, values) =>
      outcome(await gateway.batchRead(objectType, [...values], { ...PRIORITY, idProperty, properties: [idProperty] })),
    batchArchive: async (objectType, ids) => {
      throwFailures(`batchArchive ${objectType}`, (await gateway.batchArchive(objectType, [...ids], PRIORITY)).failures);
    },
    associateDefault: async (fromObjectType, toObjectType, pairs) =>
      (await gateway.batchAssociateDefault(fromObjectType, toObjectType, [...pairs], PRIORITY)).failures.map(failedInput),
    removeAssociations: async (fromObjectType, toObjectType, pairs) =>
      (await gateway.batchRemoveAssociations(fromObjectType, toObjectType, [...pairs], PRIORITY)).failures.map(failedInput),
    readAssociations: async (fromObjectType, toObjectType, ids) => {
      const read = await gateway.batchReadAssociations(fromObjectType, toObjectType, [...ids], PRIORITY);
      return new Map([...read].map(([id, targets]) => [id, targets.map((t) => t.toObjectId)]));
    },
    createNotes: async (notes) =>
      outcome(
        await gateway.batchCreate(
          'notes',
          notes.map((n) => ({ properties: n.properties, associations: [{ toObjectId: n.companyId, associationTypeId: ASSOCIATION_TYPE_IDS.noteToCompany }] })),
          PRIORITY,
        ),
      ),
    findNotesByMarker: (markers) => notesByMarker(gateway, 'company', markers.map((m) => ({ marker: m.marker, objectId: m.companyId }))),
    createTicketNotes: async (notes) =>
      outcome(
        await gateway.batchCreate(
          'notes',
          notes.map((n) => ({ properties: n.properties, associations: [{ toObjectId: n.ticketId, associationTypeId: ASSOCIATION_TYPE_IDS.noteToTicket }] })),
          PRIORITY,
        ),
      ),
    findTicketNotesByMarker: (markers) => notesByMarker(gateway, 'ticket', markers.map((m) => ({ marker: m.marker, objectId: m.ticketId }))),
    associateTickets: async (toObjectType, pairs, primary) => {
      const list = pairs.map((p) => ({ fromId: p.ticketId, toId: p.toId }));
      const result = primary
        ? await gateway.batchAssociate('tickets', toObjectType, list.map((p) => ({ ...p, types: [{ associationCategory: 'HUBSPOT_DEFINED' as const, associationTypeId: ASSOCIATION_TYPE_IDS.ticketToPrimaryCompany }] })), PRIORITY)
        : await gateway.batchAssociateDefault('tickets', toObjectType, list, PRIORITY);
      throwFailures(`associate tickets->${toObjectType}`, result.failures);
    },
    readTicketPortal: async () => {
      const [pipelines, properties] = await Promise.all([gateway.listPipelines('tickets', PRIORITY), gateway.listProperties('tickets', PRIORITY)]);
      return {
        pipelines: pipelines.map((p) => ({
          id: p.id,
          stages: p.stages.map((s) => ({ id: s.id, label: s.label, displayOrder: s.displayOrder ?? 0, ticketState: typeof s.metadata?.['ticketState'] === 'string' ? s.metadata['ticketState'] : undefined })),
        })),
        properties: properties.map((p) => p.name),
        priorities: (properties.find((p) => p.name === 'hs_ticket_priority')?.options ?? []).map((o) => o.value),
      };
    },
    createTimelineEvents: async (events) => {
      const result: BatchOutcome = { results: [], failures: [] };
      for (const [index, event] of events.entries()) {
        try {
          const created = await gateway.createTimelineEvent(
            { eventTemplateId: event.eventTemplateId, objectId: event.companyId, id: event.id, timestamp: event.occurredAt, tokens: event.tokens },
            PRIORITY,
          );
          result.results.push({ id: created.id, properties: {}, inputIndex: index });
        } catch (error) {
          // HubSpot refuses a second event with our id: an earlier attempt already wrote it.
          if (isHubSpotError(error, 'conflict')) result.results.push({ id: event.id, properties: {}, inputIndex: index });
          else if (isHubSpotError(error)) result.failures.push({ index, message: error.message, category: error.category ?? error.kind, status: error.status, retryable: error.kind === 'retryable' || error.kind === 'rate_limited' });
          else throw error;
        }
      }
      return result;
    },
  };
}

/**
 * Note ids by marker, for notes on the given record whose body carries the exact bracketed marker.
 * One search per marker keeps each query trivially within HubSpot's filter limits; retried notes
 * are rare, so the extra requests do not matter. The token search (which splits on hyphens) and
 * the association filter narrow the candidates; the exact bracketed marker decides.
 */
async function notesByMarker(gateway: HubSpotGateway, on: 'company' | 'ticket', markers: ReadonlyArray<{ marker: string; objectId: string }>): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const { marker, objectId } of markers) {
    const filters = [
      { propertyName: 'hs_note_body', operator: 'CONTAINS_TOKEN' as const, value: marker },
      { propertyName: `associations.${on}`, operator: 'EQ' as const, value: objectId },
    ];
    const page = await gateway.search('notes', { filterGroups: [{ filters }], properties: ['hs_note_body'], limit: 10 }, PRIORITY);
    const note = page.results.find((n) => (n.properties['hs_note_body'] ?? '').includes(`[${marker}]`));
    if (note) found.set(marker, note.id);
  }
  return found;
}
