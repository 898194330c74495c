import { isHubSpotError } from './errors.js';
import type { HubSpotGateway } from './gateway.js';
import type { HubSpotObjectSchema, HubSpotProperty } from './schemas.js';
import type { CallOptions, PropertyDefinition, SchemaDefinition } from './types.js';
import { CRM_OBJECTS } from '../domain/hubspot-objects.js';
import { NUMBER_SCHEMA, STANDARD_OBJECT_PROPERTIES, TRUNK_SCHEMA, WARP_GROUP } from './warp-crm-model.js';

/**
 * Makes a HubSpot portal match warp-crm-model.ts, idempotently. First a plan is made from what
 * the portal has (reads only): every group, property, schema and association is `exists`,
 * `create`, `update` (a change HubSpot allows: label, description, options, display hints) or
 * `conflict` (a difference HubSpot cannot change, e.g. a property's type or unique flag, which a
 * person must resolve). Applying the plan runs only create/update steps, one write each, and
 * reports every step's outcome, so a failed run says exactly what was applied before and after.
 * A second run on a provisioned portal plans nothing but `exists` and writes nothing.
 */

export type StepAction = 'exists' | 'create' | 'update' | 'conflict';

export interface ProvisionStep {
  kind: 'group' | 'property' | 'schema' | 'association';
  /** e.g. `companies.warp_status`, `trunks`, `numbers -> trunks`. */
  target: string;
  action: StepAction;
  /** What would be created or changed, or why it cannot be changed. */
  detail: string;
  /** Present for create/update: performs the one write. */
  apply?: () => Promise<void>;
  /** Not applied when this step failed (e.g. a schema's association needs the schema). */
  dependsOn?: ProvisionStep;
}

export interface ProvisionPlan {
  steps: ProvisionStep[];
}

export type StepStatus = 'applied' | 'failed' | 'skipped' | 'unchanged' | 'conflict';
export interface StepOutcome {
  step: ProvisionStep;
  status: StepStatus;
  error?: string;
  /** The create was answered 409: it exists now (made by someone else meanwhile); planned again. */
  createdMeanwhile?: boolean;
}
export interface ProvisionReport {
  outcomes: StepOutcome[];
  /** HubSpot write calls made. Zero on an already provisioned portal. */
  writes: number;
  failed: number;
  conflicts: number;
}

type ProvisioningGateway = Pick<
  HubSpotGateway,
  | 'listPropertyGroups' | 'createPropertyGroup' | 'listProperties' | 'createProperty' | 'updateProperty'
  | 'listSchemas' | 'createSchema' | 'updateSchema' | 'createSchemaAssociation'
>;

type WantedProperty = Omit<PropertyDefinition, 'groupName'> & { groupName?: string };

/** Differences between what we want and what HubSpot has: changeable ones and blocking ones. */
function diffProperty(want: WantedProperty, have: HubSpotProperty): { patch: Partial<PropertyDefinition>; changes: string[]; conflicts: string[] } {
  const conflicts: string[] = [];
  const changes: string[] = [];
  const patch: Partial<PropertyDefinition> = {};
  if (have.hubspotDefined) conflicts.push('a HubSpot-defined property has this name');
  if (have.type !== want.type || have.fieldType !== want.fieldType) {
    conflicts.push(`type is ${have.type}/${have.fieldType} in HubSpot, want ${want.type}/${want.fieldType}`);
  }
  if ((have.hasUniqueValue ?? false) !== (want.hasUniqueValue ?? false)) {
    conflicts.push(`unique values ${have.hasUniqueValue ? 'on' : 'off'} in HubSpot, want ${want.hasUniqueValue ? 'on' : 'off'} (only settable at creation)`);
  }
  const set = <K extends keyof PropertyDefinition>(key: K, value: PropertyDefinition[K], current: unknown): void => {
    if (value === undefined || value === current) return;
    patch[key] = value;
    changes.push(`${key} ${JSON.stringify(current ?? null)} -> ${JSON.stringify(value)}`);
  };
  set('label', want.label, have.label);
  set('description', want.description, have.description ?? '');
  if (want.groupName !== undefined) set('groupName', want.groupName, have.groupName);
  set('numberDisplayHint', want.numberDisplayHint, have.numberDisplayHint);
  set('showCurrencySymbol', want.showCurrencySymbol, have.showCurrencySymbol);
  if (want.options) {
    const existing = have.options ?? [];
    const missing = want.options.filter((o) => !existing.some((e) => e.value === o.value && e.label === o.label));
    if (missing.length > 0) {
      // Keep options people added in HubSpot; add or relabel ours.
      const merged = [
        ...existing.map((e) => ({ ...e, label: want.options!.find((o) => o.value === e.value)?.label ?? e.label })),
        ...missing.filter((o) => !existing.some((e) => e.value === o.value)),
      ];
      patch.options = merged.map((o, i) => ({ label: o.label, value: o.value, displayOrder: o.displayOrder ?? i, hidden: o.hidden ?? false }));
      changes.push(`options + ${missing.map((o) => o.value).join(', ')}`);
    }
  }
  return { patch, changes, conflicts };
}

function describeProperty(p: WantedProperty): string {
  const extras = [
    p.hasUniqueValue ? 'unique' : '',
    p.numberDisplayHint === 'currency' ? 'currency' : '',
    p.options ? `options ${p.options.map((o) => o.value).join('|')}` : '',
  ].filter(Boolean);
  return `${p.type}/${p.fieldType}${extras.length ? `, ${extras.join(', ')}` : ''}`;
}

function propertyStep(
  gateway: ProvisioningGateway,
  objectType: () => string,
  label: string,
  want: WantedProperty,
  have: HubSpotProperty | undefined,
  createGroupName: string | undefined,
  options: CallOptions,
  dependsOn?: ProvisionStep,
): ProvisionStep {
  const target = `${label}.${want.name}`;
  if (!have) {
    const definition = { ...want, groupName: want.groupName ?? createGroupName ?? WARP_GROUP.name };
    return {
      kind: 'property', target, action: 'create', detail: describeProperty(want), dependsOn,
      apply: async () => void (await gateway.createProperty(objectType(), definition, options)),
    };
  }
  const { patch, changes, conflicts } = diffProperty(want, have);
  if (conflicts.length > 0) {
    return { kind: 'property', target, action: 'conflict', detail: `${conflicts.join('; ')} (change it in HubSpot by hand, or delete the property)` };
  }
  if (changes.length === 0) return { kind: 'property', target, action: 'exists', detail: describeProperty(want) };
  return {
    kind: 'property', target, action: 'update', detail: changes.join('; '), dependsOn,
    apply: async () => void (await gateway.updateProperty(objectType(), want.name, patch, options)),
  };
}

async function planStandardObjects(gateway: ProvisioningGateway, options: CallOptions): Promise<ProvisionStep[]> {
  const steps: ProvisionStep[] = [];
  for (const { objectType, properties } of STANDARD_OBJECT_PROPERTIES) {
    const [groups, existing] = await Promise.all([gateway.listPropertyGroups(objectType, options), gateway.listProperties(objectType, options)]);
    const group = groups.find((g) => g.name === WARP_GROUP.name);
    const groupStep: ProvisionStep = group
      ? { kind: 'group', target: `${objectType}.${WARP_GROUP.name}`, action: 'exists', detail: `label "${group.label}"` }
      : {
          kind: 'group', target: `${objectType}.${WARP_GROUP.name}`, action: 'create', detail: `label "${WARP_GROUP.label}"`,
          apply: async () => void (await gateway.createPropertyGroup(objectType, { ...WARP_GROUP }, options)),
        };
    steps.push(groupStep);
    for (const want of properties) {
      const have = existing.find((p) => p.name === want.name);
      steps.push(propertyStep(gateway, () => objectType, objectType, { ...want, groupName: WARP_GROUP.name }, have, undefined, options, groupStep.apply ? groupStep : undefined));
    }
  }
  return steps;
}

/** Finds a schema by its internal name (HubSpot matches names case-insensitively). */
const findSchema = (schemas: HubSpotObjectSchema[], name: string): HubSpotObjectSchema | undefined =>
  schemas.find((s) => s.name.toLowerCase() === name.toLowerCase() && !s.archived);

interface SchemaRef {
  objectTypeId: string | undefined;
}

function planSchema(
  gateway: ProvisioningGateway,
  definition: SchemaDefinition,
  have: HubSpotObjectSchema | undefined,
  ref: SchemaRef,
  options: CallOptions,
): ProvisionStep[] {
  const label = definition.name;
  if (!have) {
    const unique = definition.properties.filter((p) => p.hasUniqueValue).map((p) => p.name);
    return [{
      kind: 'schema', target: label, action: 'create',
      detail: `${definition.properties.length} properties, unique ${unique.join(', ')}, required ${definition.requiredProperties.join(', ')}, associated with ${definition.associatedObjects.join(', ')}`,
      apply: async () => {
        ref.objectTypeId = (await gateway.createSchema(definition, options)).objectTypeId;
      },
    }];
  }
  ref.objectTypeId = have.objectTypeId;
  const steps: ProvisionStep[] = [{ kind: 'schema', target: label, action: 'exists', detail: `${have.objectTypeId} (${have.fullyQualifiedName})` }];
  const groupName = have.properties.find((p) => p.name === definition.primaryDisplayProperty)?.groupName ?? `${definition.name}_information`;
  for (const want of definition.properties) {
    steps.push(propertyStep(gateway, () => have.objectTypeId, label, want, have.properties.find((p) => p.name === want.name), groupName, options));
  }
  const patch: Parameters<ProvisioningGateway['updateSchema']>[1] = {};
  const changes: string[] = [];
  if (have.labels?.singular !== definition.labels.singular || have.labels?.plural !== definition.labels.plural) {
    patch.labels = definition.labels;
    changes.push(`labels -> ${definition.labels.singular}/${definition.labels.plural}`);
  }
  const missingRequired = definition.requiredProperties.filter((p) => !(have.requiredProperties ?? []).includes(p));
  if (missingRequired.length > 0) {
    patch.requiredProperties = [...new Set([...(have.requiredProperties ?? []), ...missingRequired])];
    changes.push(`required + ${missingRequired.join(', ')}`);
  }
  if (definition.primaryDisplayProperty && have.primaryDisplayProperty !== definition.primaryDisplayProperty) {
    patch.primaryDisplayProperty = definition.primaryDisplayProperty;
    changes.push(`primary display property -> ${definition.primaryDisplayProperty}`);
  }
  if (changes.length > 0) {
    steps.push({
      kind: 'schema', target: `${label} (definition)`, action: 'update', detail: changes.join('; '),
      apply: () => gateway.updateSchema(have.objectTypeId, patch, options),
    });
  }
  return steps;
}

function associationStep(
  gateway: ProvisioningGateway,
  from: { name: string; ref: SchemaRef; schema: HubSpotObjectSchema | undefined; step: ProvisionStep },
  to: { name: string; objectTypeId: () => string | undefined; dependsOn?: ProvisionStep },
  options: CallOptions,
): ProvisionStep {
  const target = `${from.name} -> ${to.name}`;
  const toId = to.objectTypeId();
  if (from.schema && toId && (from.schema.associations ?? []).some((a) => a.toObjectTypeId === toId)) {
    return { kind: 'association', target, action: 'exists', detail: `${from.schema.objectTypeId} -> ${toId}` };
  }
  return {
    kind: 'association', target, action: 'create', detail: 'association definition',
    dependsOn: to.dependsOn ?? from.step,
    apply: async () => {
      const fromId = from.ref.objectTypeId;
      const targetId = to.objectTypeId();
      if (!fromId || !targetId) throw new Error(`${target}: an object type is missing`);
      await gateway.createSchemaAssociation(fromId, { fromObjectTypeId: fromId, toObjectTypeId: targetId, name: `${from.name}_to_${to.name}` }, options);
    },
  };
}

export async function planProvisioning(gateway: ProvisioningGateway, options: CallOptions = {}): Promise<ProvisionPlan> {
  const steps = await planStandardObjects(gateway, options);
  const schemas = await gateway.listSchemas(options);
  const trunks = findSchema(schemas, TRUNK_SCHEMA.name);
  const numbers = findSchema(schemas, NUMBER_SCHEMA.name);
  const trunkRef: SchemaRef = { objectTypeId: undefined };
  const numberRef: SchemaRef = { objectTypeId: undefined };
  const trunkSteps = planSchema(gateway, TRUNK_SCHEMA, trunks, trunkRef, options);
  const numberSteps = planSchema(gateway, NUMBER_SCHEMA, numbers, numberRef, options);
  steps.push(...trunkSteps, ...numberSteps);
  // A freshly created schema carries its company association; existing ones may lack it.
  if (trunks) steps.push(associationStep(gateway, { name: 'trunks', ref: trunkRef, schema: trunks, step: trunkSteps[0]! }, { name: CRM_OBJECTS.company.path, objectTypeId: () => CRM_OBJECTS.company.typeId }, options));
  if (numbers) steps.push(associationStep(gateway, { name: 'numbers', ref: numberRef, schema: numbers, step: numberSteps[0]! }, { name: CRM_OBJECTS.company.path, objectTypeId: () => CRM_OBJECTS.company.typeId }, options));
  steps.push(associationStep(
    gateway,
    { name: 'numbers', ref: numberRef, schema: numbers, step: numberSteps[0]! },
    { name: 'trunks', objectTypeId: () => trunkRef.objectTypeId, ...(trunks ? {} : { dependsOn: trunkSteps[0]! }) },
    options,
  ));
  return { steps };
}

/** Runs the plan's create/update steps in order; a failed step does not stop independent ones. */
export async function applyProvisioning(plan: ProvisionPlan): Promise<ProvisionReport> {
  const outcomes: StepOutcome[] = [];
  const failedSteps = new Set<ProvisionStep>();
  let writes = 0;
  for (const step of plan.steps) {
    if (step.action === 'exists') {
      outcomes.push({ step, status: 'unchanged' });
      continue;
    }
    if (step.action === 'conflict' || !step.apply) {
      outcomes.push({ step, status: 'conflict' });
      continue;
    }
    if (step.dependsOn && failedSteps.has(step.dependsOn)) {
      failedSteps.add(step);
      outcomes.push({ step, status: 'skipped', error: `needs ${step.dependsOn.target}, which failed` });
      continue;
    }
    try {
      writes++;
      await step.apply();
      outcomes.push({ step, status: 'applied' });
    } catch (error) {
      failedSteps.add(step);
      outcomes.push({ step, status: 'failed', error: describeError(step, error), ...(isHubSpotError(error, 'conflict') ? { createdMeanwhile: true } : {}) });
    }
  }
  return {
    outcomes,
    writes,
    failed: outcomes.filter((o) => o.status === 'failed' || o.status === 'skipped').length,
    conflicts: outcomes.filter((o) => o.status === 'conflict').length,
  };
}

/** Rounds of plan and apply while something we meant to create turned out to exist (a 409). */
const PROVISION_ROUNDS = 3;

/**
 * Plans and applies until the portal matches: a create answered 409 means someone else (another
 * instance, a person) created that thing between our read and our write, so it is planned again
 * from what HubSpot now has (it is then `exists`, or an `update`), and the steps that depended on
 * it run. The report is the last round's, whose writes include the earlier rounds'.
 */
export async function provisionPortal(gateway: ProvisioningGateway, options: CallOptions = {}): Promise<ProvisionReport> {
  let writes = 0;
  for (let round = 1; ; round++) {
    const report = await applyProvisioning(await planProvisioning(gateway, options));
    writes += report.writes;
    const raced = report.outcomes.some((o) => o.createdMeanwhile);
    if (!raced || round >= PROVISION_ROUNDS) return { ...report, writes };
  }
}

function describeError(step: ProvisionStep, error: unknown): string {
  if (!isHubSpotError(error)) return `${step.kind} ${step.target}: ${error instanceof Error ? error.message : String(error)}`;
  const scopes = error.requiredScopes.length > 0 ? ` (the token needs scopes: ${error.requiredScopes.join(', ')})` : '';
  const props = error.propertyNames.length > 0 ? ` [properties: ${error.propertyNames.join(', ')}]` : '';
  return `${step.kind} ${step.target}: ${error.message}${props}${scopes}`;
}

const pad = (s: string, n: number): string => (s.length >= n ? `${s} ` : s.padEnd(n));

export function formatPlan(plan: ProvisionPlan): string[] {
  const count = (a: StepAction): number => plan.steps.filter((s) => s.action === a).length;
  return [
    ...plan.steps.map((s) => `${pad(s.action, 9)}${pad(s.kind, 12)}${pad(s.target, 36)}${s.detail}`),
    `Plan: ${count('exists')} exist, ${count('create')} to create, ${count('update')} to update, ${count('conflict')} conflict(s).`,
  ];
}

export function formatReport(report: ProvisionReport): string[] {
  const lines = report.outcomes
    .filter((o) => o.status !== 'unchanged')
    .map((o) => `${pad(o.status, 9)}${pad(o.step.kind, 12)}${pad(o.step.target, 36)}${o.error ?? o.step.detail}`);
  const applied = report.outcomes.filter((o) => o.status === 'applied').length;
  const unchanged = report.outcomes.filter((o) => o.status === 'unchanged').length;
  return [
    ...lines,
    `Provisioning: ${applied} applied, ${unchanged} already in place, ${report.conflicts} conflict(s), ${report.failed} failed; ${report.writes} write(s) to HubSpot.`,
  ];
}
