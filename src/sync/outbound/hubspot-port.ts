import type { OutgoingProperties } from './mapping.js';

/**
 * The HubSpot calls the outbound sync makes, as an interface the gateway (src/hubspot/) satisfies
 * through a thin adapter (gateway-adapter.ts). Keeping it this narrow documents exactly what
 * outbound needs and keeps the senders independent of transport details. Every method goes
 * through the gateway's shared rate budget and its retries; what reaches us is the final outcome.
 */

export interface WrittenRecord {
  id: string;
  properties: Record<string, string | null>;
  /** Index into the inputs passed. */
  inputIndex: number | undefined;
  /** Upserts: whether this call created the record. */
  isNew?: boolean | undefined;
}

export interface FailedInput {
  index: number;
  message: string;
  category: string;
  status: number;
  /** The input was fine but its chunk failed for a passing reason (5xx, 429): try again. */
  retryable: boolean;
}

/** A batch call's outcome: 207 partial failures are per input, everything else succeeded. */
export interface BatchOutcome {
  results: WrittenRecord[];
  failures: FailedInput[];
}

export interface AssociationPair {
  fromId: string;
  toId: string;
}

export interface NoteToCreate {
  properties: OutgoingProperties;
  companyId: string;
}

export interface TimelineEventToCreate {
  /** Our event id: HubSpot refuses a second event with the same id, so a retry stays single. */
  id: string;
  eventTemplateId: string;
  companyId: string;
  occurredAt: Date;
  tokens: Record<string, string | number>;
}

export interface TicketNoteToCreate {
  properties: OutgoingProperties;
  ticketId: string;
}

/** What the ticket sender reads of the portal: pipelines with their stages' ticketState, and the property names and priority options. */
export interface TicketPortal {
  pipelines: ReadonlyArray<{ id: string; stages: ReadonlyArray<{ id: string; label: string; displayOrder: number; ticketState: string | undefined }> }>;
  properties: readonly string[];
  priorities: readonly string[];
}

export interface OutboundHubSpot {
  batchUpsert(objectType: string, idProperty: string, inputs: ReadonlyArray<{ id: string; properties: OutgoingProperties }>): Promise<BatchOutcome>;
  batchUpdate(objectType: string, inputs: ReadonlyArray<{ id: string; properties: OutgoingProperties }>): Promise<BatchOutcome>;
  /** Reads records by a unique property, to find the HubSpot id of one we never recorded. */
  batchReadByProperty(objectType: string, idProperty: string, values: readonly string[]): Promise<BatchOutcome>;
  /** Archives records; archiving one that is gone already is not a failure. */
  batchArchive(objectType: string, ids: readonly string[]): Promise<void>;
  /** Default (unlabelled) associations; associating twice is harmless. Only the pairs HubSpot refused come back. */
  associateDefault(fromObjectType: string, toObjectType: string, pairs: readonly AssociationPair[]): Promise<FailedInput[]>;
  /** Removes every association of each pair. Only the pairs HubSpot refused come back. */
  removeAssociations(fromObjectType: string, toObjectType: string, pairs: readonly AssociationPair[]): Promise<FailedInput[]>;
  /** The ids each record is associated with (a record with none maps to an empty list). */
  readAssociations(fromObjectType: string, toObjectType: string, ids: readonly string[]): Promise<Map<string, string[]>>;
  createNotes(notes: readonly NoteToCreate[]): Promise<BatchOutcome>;
  /**
   * Note ids by marker, for notes on the given company whose body carries the exact bracketed
   * marker (`[warp-event-42]`): a note someone else wrote, or one on another company, never counts.
   */
  findNotesByMarker(markers: ReadonlyArray<{ marker: string; companyId: string }>): Promise<Map<string, string>>;
  /** Notes associated with tickets; and their ids by marker, as for company notes. */
  createTicketNotes(notes: readonly TicketNoteToCreate[]): Promise<BatchOutcome>;
  findTicketNotesByMarker(markers: ReadonlyArray<{ marker: string; ticketId: string }>): Promise<Map<string, string>>;
  /** Ticket ↔ company as the primary company; ticket ↔ custom object record (a trunk) unlabelled. */
  associateTickets(toObjectType: string, pairs: ReadonlyArray<{ ticketId: string; toId: string }>, primary: boolean): Promise<void>;
  readTicketPortal(): Promise<TicketPortal>;
  /** Creates timeline events; an event whose id exists already counts as created. */
  createTimelineEvents(events: readonly TimelineEventToCreate[]): Promise<BatchOutcome>;
}

/** What the outbound sync needs to know about a failed call, whatever client raised it. */
export interface CallFailure {
  message: string;
  status: number | undefined;
  correlationId: string | undefined;
  /** Worth another attempt later (5xx, timeouts, rate limits); a validation error is not. */
  retryable: boolean;
}
