/**
 * Association storage and definitions. Associations are stored in both directions; creating a
 * type also creates its inverse, and a primary type also creates the pair's default type.
 * Every change emits associationChange events for both directions.
 */
import type { AssociationDef } from './association-defs.js';
import { PRIMARY_TYPE_IDS } from './association-defs.js';
import type { ChangeSource, SimContext } from './context.js';
import { validation } from './errors.js';
import type { ObjectTypeInfo } from './object-types.js';
import { resolveObjectType } from './state.js';

const key = (typeId: string, id: string) => `${typeId}:${id}`;

export function defsBetween(ctx: SimContext, fromTypeId: string, toTypeId: string): AssociationDef[] {
  return ctx.state.associationDefs.filter((d) => d.fromTypeId === fromTypeId && d.toTypeId === toTypeId);
}

/** The unlabeled default type of a pair; custom pairs get one allocated on first use when allowed. */
export function defaultDef(ctx: SimContext, from: ObjectTypeInfo, to: ObjectTypeInfo): AssociationDef {
  const found = defsBetween(ctx, from.objectTypeId, to.objectTypeId).find((d) => d.isDefault);
  if (found) return found;
  throw validation(`No association type defined between ${from.name} and ${to.name}`);
}

/** Creates a definition pair (used for custom object schemas and USER_DEFINED labels). */
export function defineAssociation(
  ctx: SimContext, fromTypeId: string, toTypeId: string, category: AssociationDef['category'],
  label: string | null, inverseLabel: string | null, isDefault: boolean, v3Names: [string, string],
): AssociationDef {
  const typeId = ctx.state.nextAssociationTypeId++;
  const inverseTypeId = fromTypeId === toTypeId && inverseLabel === null ? typeId : ctx.state.nextAssociationTypeId++;
  const fwd: AssociationDef = { fromTypeId, toTypeId, typeId, inverseTypeId, category, label, v3Name: v3Names[0], isDefault };
  ctx.state.associationDefs.push(fwd);
  if (inverseTypeId !== typeId) {
    ctx.state.associationDefs.push({ fromTypeId: toTypeId, toTypeId: fromTypeId, typeId: inverseTypeId, inverseTypeId: typeId, category, label: inverseLabel ?? label, v3Name: v3Names[1], isDefault });
  }
  ctx.changed();
  return fwd;
}

/**
 * Deletes a label (association type) in both directions; associations keep their other types and
 * disappear when none is left. Choice: no associationChange events (HubSpot documents none for
 * definition deletes).
 */
export function deleteAssociationType(ctx: SimContext, def: AssociationDef): void {
  const gone = new Set([`${def.fromTypeId}:${def.toTypeId}:${def.typeId}`, `${def.toTypeId}:${def.fromTypeId}:${def.inverseTypeId}`]);
  ctx.state.associationDefs = ctx.state.associationDefs.filter((d) => !gone.has(`${d.fromTypeId}:${d.toTypeId}:${d.typeId}`));
  for (const [k, byType] of Object.entries(ctx.state.associations)) {
    const fromTypeId = k.slice(0, k.lastIndexOf(':'));
    for (const [toTypeId, byId] of Object.entries(byType)) {
      for (const [toId, ids] of Object.entries(byId)) {
        const kept = ids.filter((t) => !gone.has(`${fromTypeId}:${toTypeId}:${t}`));
        if (kept.length === 0) delete byId[toId];
        else if (kept.length !== ids.length) byId[toId] = kept;
      }
    }
  }
  for (const key of Object.keys(ctx.state.associationLimits)) if (gone.has(key)) delete ctx.state.associationLimits[key];
  ctx.changed();
}

/** The per-record limit of a type (`userEnforcedMaxToObjectIds`), if one is configured. */
export const limitKey = (fromTypeId: string, toTypeId: string, typeId: number) => `${fromTypeId}:${toTypeId}:${typeId}`;

export function getTypeIds(ctx: SimContext, fromTypeId: string, fromId: string, toTypeId: string, toId: string): number[] {
  return ctx.state.associations[key(fromTypeId, fromId)]?.[toTypeId]?.[toId] ?? [];
}

export function listAssociated(ctx: SimContext, fromTypeId: string, fromId: string, toTypeId: string): [string, number[]][] {
  const m = ctx.state.associations[key(fromTypeId, fromId)]?.[toTypeId] ?? {};
  return Object.entries(m).filter(([, ids]) => ids.length > 0);
}

function setOne(ctx: SimContext, fromTypeId: string, fromId: string, toTypeId: string, toId: string, ids: number[]): void {
  const k = key(fromTypeId, fromId);
  const byType = (ctx.state.associations[k] ??= {});
  const byId = (byType[toTypeId] ??= {});
  if (ids.length === 0) delete byId[toId];
  else byId[toId] = ids;
  ctx.search.touch();
}

/** Links two records without events or checks (seeding); type ids are added to what exists. */
export function linkSilently(ctx: SimContext, fromTypeId: string, fromId: string, toTypeId: string, toId: string, typeIds: number[], inverseIds: number[]): void {
  const fwd = getTypeIds(ctx, fromTypeId, fromId, toTypeId, toId);
  setOne(ctx, fromTypeId, fromId, toTypeId, toId, fwd.length === 0 ? typeIds : [...new Set([...fwd, ...typeIds])]);
  const back = getTypeIds(ctx, toTypeId, toId, fromTypeId, fromId);
  setOne(ctx, toTypeId, toId, fromTypeId, fromId, back.length === 0 ? inverseIds : [...new Set([...back, ...inverseIds])]);
}

function emitChange(ctx: SimContext, from: ObjectTypeInfo, fromId: string, to: ObjectTypeInfo, toId: string, removed: boolean, primary: boolean, source: ChangeSource): void {
  const at = ctx.clock.now();
  ctx.webhooks.emit({ kind: 'associationChange', type: from, objectId: fromId, source, occurredAt: at,
    association: { associationType: `${from.associationName}_TO_${to.associationName}`, fromObjectId: Number(fromId), toObjectId: Number(toId), associationRemoved: removed, isPrimaryAssociation: primary } });
  ctx.webhooks.emit({ kind: 'associationChange', type: to, objectId: toId, source, occurredAt: at,
    association: { associationType: `${to.associationName}_TO_${from.associationName}`, fromObjectId: Number(toId), toObjectId: Number(fromId), associationRemoved: removed, isPrimaryAssociation: primary } });
}

/** Adds association types from→to (and their inverses). Unknown type ids → 400. */
export function addAssociation(ctx: SimContext, from: ObjectTypeInfo, fromId: string, to: ObjectTypeInfo, toId: string, typeIds: number[], source: ChangeSource): void {
  const defs = defsBetween(ctx, from.objectTypeId, to.objectTypeId);
  const wanted = new Set<number>();
  for (const t of typeIds) {
    const def = defs.find((d) => d.typeId === t);
    if (!def) throw validation(`association type id ${t} doesn't exist between ${from.name} and ${to.name}`);
    wanted.add(t);
    if (PRIMARY_TYPE_IDS.has(t)) {
      const dflt = defs.find((d) => d.isDefault);
      if (dflt) wanted.add(dflt.typeId);
    }
  }
  const current = getTypeIds(ctx, from.objectTypeId, fromId, to.objectTypeId, toId);
  const added = [...wanted].filter((t) => !current.includes(t));
  if (added.length === 0) return;
  for (const t of added) checkLimit(ctx, from, fromId, to, t);
  const next = [...current, ...added];
  setOne(ctx, from.objectTypeId, fromId, to.objectTypeId, toId, next);
  const inverse = next.map((t) => defs.find((d) => d.typeId === t)?.inverseTypeId ?? t);
  setOne(ctx, to.objectTypeId, toId, from.objectTypeId, fromId, [...new Set(inverse)]);
  for (const t of added) emitChange(ctx, from, fromId, to, toId, false, PRIMARY_TYPE_IDS.has(t), source);
  ctx.changed();
}

function checkLimit(ctx: SimContext, from: ObjectTypeInfo, fromId: string, to: ObjectTypeInfo, typeId: number): void {
  const max = ctx.state.associationLimits[limitKey(from.objectTypeId, to.objectTypeId, typeId)];
  if (max === undefined) return;
  const used = listAssociated(ctx, from.objectTypeId, fromId, to.objectTypeId).filter(([, ids]) => ids.includes(typeId)).length;
  if (used >= max) {
    throw validation(`${from.singular} ${fromId} already has ${used} ${to.name} associated with type ${typeId}; the configured limit is ${max}.`,
      [{ message: `association limit ${max} reached`, code: 'ASSOCIATION_LIMIT_EXCEEDED', context: { fromObjectId: [fromId], associationTypeId: [String(typeId)] } }]);
  }
}

/** Removes the given types (or all types when `typeIds` is undefined) between two records. */
export function removeAssociation(ctx: SimContext, from: ObjectTypeInfo, fromId: string, to: ObjectTypeInfo, toId: string, typeIds: number[] | undefined, source: ChangeSource): void {
  const defs = defsBetween(ctx, from.objectTypeId, to.objectTypeId);
  const current = getTypeIds(ctx, from.objectTypeId, fromId, to.objectTypeId, toId);
  // "if you delete the default unlabeled association type, this will remove all other associations."
  const removingDefault = typeIds?.some((t) => defs.find((d) => d.typeId === t)?.isDefault) ?? true;
  const removed = typeIds === undefined || removingDefault ? current : current.filter((t) => typeIds.includes(t));
  if (removed.length === 0) return;
  const next = current.filter((t) => !removed.includes(t));
  setOne(ctx, from.objectTypeId, fromId, to.objectTypeId, toId, next);
  setOne(ctx, to.objectTypeId, toId, from.objectTypeId, fromId, next.map((t) => defs.find((d) => d.typeId === t)?.inverseTypeId ?? t));
  for (const t of removed) emitChange(ctx, from, fromId, to, toId, true, PRIMARY_TYPE_IDS.has(t), source);
  ctx.changed();
}

export function removeAllAssociationsOf(ctx: SimContext, typeId: string, id: string, source: ChangeSource): void {
  const from = resolveObjectType(ctx.state, typeId, ctx.opts.portalId);
  const byType = ctx.state.associations[key(typeId, id)];
  if (!from || !byType) return;
  for (const [toTypeId, byId] of Object.entries(byType)) {
    const to = resolveObjectType(ctx.state, toTypeId, ctx.opts.portalId);
    if (!to) continue;
    for (const toId of Object.keys(byId)) removeAssociation(ctx, from, id, to, toId, undefined, source);
  }
}
