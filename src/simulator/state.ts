/**
 * The simulated portal's in-memory state: records, property definitions, schemas, associations,
 * pipelines, timeline templates/events and webhook settings. Plain JSON-serialisable objects so the
 * whole store can be persisted to a file and reloaded.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hubspotDefinedAssociations, type AssociationDef } from './association-defs.js';
import { STANDARD_OBJECT_TYPES, type ObjectTypeInfo } from './object-types.js';
import { defaultProperties, type PropertyDef, type PropertyGroup } from './property-defs.js';
import { defaultPipelines, type Pipeline } from './pipelines-data.js';

export interface StoredRecord {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  /** Per-property value history, newest first (served as `propertiesWithHistory`). */
  history?: Record<string, PropertyHistoryEntry[]>;
}

/** One historical value, shaped like the SDK's `ValueWithTimestamp`. */
export interface PropertyHistoryEntry {
  value: string;
  timestamp: string;
  sourceType: string;
  sourceId?: string;
  updatedByUserId?: number;
}

export interface CustomSchema {
  id: string;
  objectTypeId: string;
  name: string;
  fullyQualifiedName: string;
  labels: { singular?: string; plural?: string };
  description?: string;
  requiredProperties: string[];
  searchableProperties: string[];
  primaryDisplayProperty?: string;
  secondaryDisplayProperties: string[];
  associatedObjects: string[];
  allowsSensitiveProperties?: boolean;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookSubscription {
  id: number;
  eventType: string;
  propertyName?: string;
  objectTypeId?: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookSettings {
  targetUrl: string;
  throttling: { maxConcurrentRequests: number; period?: string };
  createdAt: string;
  updatedAt: string;
}

export interface TimelineToken { name: string; label: string; type: 'date' | 'enumeration' | 'number' | 'string'; options?: { label: string; value: string }[]; objectPropertyName?: string; createdAt?: string; updatedAt?: string }
export interface TimelineTemplate { id: string; appId: number; name: string; objectType: string; headerTemplate?: string; detailTemplate?: string; tokens: TimelineToken[]; createdAt: string; updatedAt: string }
export interface TimelineEvent { id: string; eventTemplateId: string; objectId: string; objectType: string; tokens: Record<string, string>; timestamp: string; extraData?: unknown; timelineIFrame?: unknown; createdAt: string }

export interface PipelineAuditEntry { objectType: string; pipelineId: string; stageId?: string; action: 'CREATE' | 'UPDATE' | 'DELETE'; timestamp: string; rawObject: unknown }

export interface PortalState {
  version: 1;
  nextId: number;
  nextSchemaId: number;
  nextEventId: number;
  nextSubscriptionId: number;
  nextAssociationTypeId: number;
  nextTimelineTemplateId: number;
  /** objectTypeId → recordId → record; numeric keys keep creation order when iterated. */
  objects: Record<string, Record<string, StoredRecord>>;
  properties: Record<string, Record<string, PropertyDef>>;
  groups: Record<string, Record<string, PropertyGroup>>;
  schemas: Record<string, CustomSchema>;
  associationDefs: AssociationDef[];
  /** `${fromTypeId}:${fromId}` → toTypeId → toId → associationTypeIds. Stored in both directions. */
  associations: Record<string, Record<string, Record<string, number[]>>>;
  /** `${fromTypeId}:${toTypeId}:${typeId}` → configured per-record maximum (association limits). */
  associationLimits: Record<string, number>;
  /** Changes of pipelines and stages, newest last, served by the audit endpoints. */
  pipelineAudit: PipelineAuditEntry[];
  pipelines: Record<string, Pipeline[]>;
  timelineTemplates: Record<string, TimelineTemplate>;
  timelineEvents: Record<string, TimelineEvent>;
  webhookSettings: WebhookSettings | null;
  subscriptions: Record<string, WebhookSubscription>;
}

export function emptyState(): PortalState {
  const state: PortalState = {
    version: 1, nextId: 10_001, nextSchemaId: 3_465_404, nextEventId: 1, nextSubscriptionId: 1, nextAssociationTypeId: 1_000,
    nextTimelineTemplateId: 1_000_001,
    objects: {}, properties: {}, groups: {}, schemas: {}, associationDefs: hubspotDefinedAssociations(), associations: {}, associationLimits: {}, pipelineAudit: [],
    pipelines: defaultPipelines(), timelineTemplates: {}, timelineEvents: {}, webhookSettings: null, subscriptions: {},
  };
  for (const t of STANDARD_OBJECT_TYPES) {
    state.objects[t.objectTypeId] = {};
    const { groups, properties } = defaultProperties(t.objectTypeId);
    state.groups[t.objectTypeId] = Object.fromEntries(groups.map((g) => [g.name, g]));
    state.properties[t.objectTypeId] = Object.fromEntries(properties.map((p) => [p.name, p]));
  }
  return state;
}

export function loadState(file: string): PortalState | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as PortalState;
    return parsed.version === 1 ? { ...emptyState(), ...parsed } : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read simulator state file ${file}`, { cause: err });
  }
}

/** Atomic write (tmp + rename) so a crash mid-write never leaves a truncated state file. */
export function saveState(file: string, state: PortalState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}

/** Resolves any accepted spelling of an object type to its info; undefined when unknown. */
export function resolveObjectType(state: PortalState, raw: string, portalId: number): ObjectTypeInfo | undefined {
  const key = raw.toLowerCase();
  const std = STANDARD_OBJECT_TYPES.find((t) => t.objectTypeId === key || t.name === key || t.singular === key);
  if (std) return std;
  for (const s of Object.values(state.schemas)) {
    if (s.archived) continue;
    // Accepts 2-NNNN, p{portalId}_{name}, the plain name, and the unofficial `p_{name}` alias.
    if ([s.objectTypeId, s.fullyQualifiedName.toLowerCase(), s.name.toLowerCase(), `p_${s.name.toLowerCase()}`].includes(key)) {
      return schemaTypeInfo(s, portalId);
    }
  }
  return undefined;
}

export function schemaTypeInfo(s: CustomSchema, _portalId: number): ObjectTypeInfo {
  return {
    objectTypeId: s.objectTypeId, name: s.name, singular: s.name, lastModifiedProperty: 'hs_lastmodifieddate',
    associationName: s.name.toUpperCase(), custom: true, fullyQualifiedName: s.fullyQualifiedName,
  };
}
