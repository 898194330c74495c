/**
 * Pipelines and their stages for deals and tickets (`/crm/v3/pipelines/{objectType}` and the dated
 * `/crm/pipelines/2026-03`): read, create, replace (PUT), update (PATCH), delete, and the audit of
 * every change. Deal stages carry `probability`/`isClosed`, ticket stages `ticketState` OPEN/CLOSED;
 * stages created through the API get `writePermissions: CRM_PERMISSIONS_ENFORCEMENT` (required by
 * the dated schema). Record pipeline/stage values are validated against these (records.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireScopes } from '../auth.js';
import type { SimContext } from '../context.js';
import { HubSpotError, notFound, validation } from '../errors.js';
import type { Pipeline, PipelineStage } from '../pipelines-data.js';
import { PIPELINE_PROPS } from '../object-types.js';
import type { PipelineAuditEntry } from '../state.js';
import { parseBody } from '../body.js';
import { objectType, params, query, routeAll, str } from './common.js';

const PREFIXES = ['/crm/v3/pipelines', '/crm/pipelines/2026-03'] as const;
/** Audit entries kept per portal (oldest dropped first). */
const MAX_AUDIT_ENTRIES = 5_000;

const metadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));
const stageInput = z.looseObject({ label: z.string().min(1), displayOrder: z.number().int(), metadata, stageId: z.string().optional() });
const pipelineInput = z.looseObject({ label: z.string().min(1), displayOrder: z.number().int(), stages: z.array(stageInput).min(1), pipelineId: z.string().optional() });
const pipelinePatch = z.looseObject({ label: z.string().min(1).optional(), displayOrder: z.number().int().optional(), archived: z.boolean().optional() });
const stagePatch = z.looseObject({ label: z.string().min(1).optional(), displayOrder: z.number().int().optional(), archived: z.boolean().optional(), metadata });
type StageInput = z.output<typeof stageInput>;

export function registerPipelineRoutes(app: FastifyInstance, ctx: SimContext): void {
  const now = () => new Date(ctx.clock.now()).toISOString();
  const kind = (req: FastifyRequest, write: boolean): { name: 'deals' | 'tickets'; pipelines: Pipeline[] } => {
    const t = objectType(ctx, params(req).objectType);
    const spec = PIPELINE_PROPS[t.objectTypeId];
    if (!spec) throw validation(`Pipelines are not supported for ${t.name}`);
    const rw = write ? 'write' : 'read';
    requireScopes(req, spec.objectType === 'deals' ? [`crm.objects.deals.${rw}`] : ['tickets', `crm.objects.tickets.${rw}`]);
    return { name: spec.objectType, pipelines: (ctx.state.pipelines[spec.objectType] ??= []) };
  };
  const pipeline = (req: FastifyRequest, write: boolean, includeArchived = false) => {
    const k = kind(req, write);
    const p = k.pipelines.find((x) => x.id === params(req).pipelineId && (includeArchived || !x.archived));
    if (!p) throw notFound(`Unable to find pipeline ${params(req).pipelineId}`);
    return { ...k, p };
  };
  const stageOf = (p: Pipeline, id: string | undefined): PipelineStage => {
    const s = p.stages.find((x) => x.id === id && !x.archived);
    if (!s) throw notFound(`Unable to find stage ${id} in pipeline ${p.id}`);
    return s;
  };
  const audit = (objectType: string, action: PipelineAuditEntry['action'], p: Pipeline, s?: PipelineStage) => {
    ctx.state.pipelineAudit.push({ objectType, pipelineId: p.id, ...(s ? { stageId: s.id } : {}), action, timestamp: now(), rawObject: structuredClone(s ?? p) });
    if (ctx.state.pipelineAudit.length > MAX_AUDIT_ENTRIES) ctx.state.pipelineAudit.shift();
    ctx.changed();
  };
  const buildStage = (kindName: string, s: StageInput, taken: Set<string>): PipelineStage => {
    const meta = { ...s.metadata };
    if (kindName === 'tickets' && meta.ticketState !== 'OPEN' && meta.ticketState !== 'CLOSED') throw validation('ticket stages require metadata.ticketState OPEN or CLOSED');
    if (kindName === 'deals') {
      const probability = Number(meta.probability);
      if (meta.probability === undefined || !(probability >= 0 && probability <= 1)) throw validation('deal stages require metadata.probability between 0.0 and 1.0');
      meta.isClosed ??= String(probability === 0 || probability === 1);
    }
    const id = s.stageId ?? String(ctx.state.nextId++);
    if (taken.has(id)) throw new HubSpotError(409, 'CONFLICT', `A stage with id ${id} already exists`);
    taken.add(id);
    const at = now();
    return { id, label: s.label, displayOrder: s.displayOrder, metadata: meta, archived: false, createdAt: at, updatedAt: at, writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT' };
  };
  /** Live records that use a pipeline (or one of its stages) block its deletion when asked to check. */
  const inUse = (kindName: 'deals' | 'tickets', pipelineId: string, stageId?: string): boolean => {
    const typeId = kindName === 'deals' ? '0-3' : '0-5';
    const spec = PIPELINE_PROPS[typeId];
    if (!spec) return false;
    return Object.values(ctx.state.objects[typeId] ?? {}).some((r) => !r.archived && r.properties[spec.pipeline] === pipelineId && (stageId === undefined || r.properties[spec.stage] === stageId));
  };
  const checkReferences = (req: FastifyRequest, kindName: 'deals' | 'tickets', pipelineId: string, stageId?: string) => {
    const q = query(req);
    if ((str(q.validateReferencesBeforeDelete) === 'true' || str(q.validateDealStageUsagesBeforeDelete) === 'true') && inUse(kindName, pipelineId, stageId)) {
      throw validation(`${stageId ? `Stage ${stageId}` : `Pipeline ${pipelineId}`} is still used by ${kindName}; move them first`);
    }
  };

  routeAll(app, 'GET', PREFIXES, '/:objectType', (req) => ({ results: kind(req, false).pipelines.filter((p) => !p.archived) }));
  routeAll(app, 'GET', PREFIXES, '/:objectType/:pipelineId', (req) => pipeline(req, false).p);

  routeAll(app, 'POST', PREFIXES, '/:objectType', (req, reply) => {
    const { name, pipelines } = kind(req, true);
    const b = parseBody(req, 'PipelineInput', pipelineInput);
    const id = b.pipelineId ?? String(ctx.state.nextId++);
    if (pipelines.some((p) => p.id === id)) throw new HubSpotError(409, 'CONFLICT', `A pipeline with id ${id} already exists`);
    const taken = new Set<string>();
    const stages = b.stages.map((s) => buildStage(name, s, taken));
    const at = now();
    const p: Pipeline = { id, label: b.label, displayOrder: b.displayOrder, stages, archived: false, createdAt: at, updatedAt: at };
    pipelines.push(p);
    audit(name, 'CREATE', p);
    void reply.code(201);
    return p;
  });

  // Replace: label, order and the whole stage list; listed stageIds keep their identity.
  routeAll(app, 'PUT', PREFIXES, '/:objectType/:pipelineId', (req) => {
    const { name, p } = pipeline(req, true);
    const b = parseBody(req, 'PipelineReplaceInput', pipelineInput);
    const taken = new Set<string>();
    const stages = b.stages.map((s) => {
      const old = s.stageId === undefined ? undefined : p.stages.find((x) => x.id === s.stageId);
      const built = buildStage(name, s, taken);
      return old ? { ...built, createdAt: old.createdAt } : built;
    });
    for (const gone of p.stages.filter((s) => !stages.some((x) => x.id === s.id))) checkReferences(req, name, p.id, gone.id);
    Object.assign(p, { label: b.label, displayOrder: b.displayOrder, stages, updatedAt: now() });
    audit(name, 'UPDATE', p);
    return p;
  });

  routeAll(app, 'PATCH', PREFIXES, '/:objectType/:pipelineId', (req) => {
    const { name, p } = pipeline(req, true, true);
    const b = parseBody(req, 'PipelinePatchInput', pipelinePatch);
    if (p.archived && b.archived !== false) throw notFound(`Unable to find pipeline ${p.id}`);
    if (b.label !== undefined) p.label = b.label;
    if (b.displayOrder !== undefined) p.displayOrder = b.displayOrder;
    if (b.archived === false) {
      p.archived = false;
      delete p.archivedAt;
    }
    p.updatedAt = now();
    audit(name, 'UPDATE', p);
    return p;
  });

  routeAll(app, 'DELETE', PREFIXES, '/:objectType/:pipelineId', (req, reply) => {
    const { name, p } = pipeline(req, true);
    checkReferences(req, name, p.id);
    p.archived = true;
    p.archivedAt = now();
    audit(name, 'DELETE', p);
    return reply.code(204).send();
  });

  routeAll(app, 'GET', PREFIXES, '/:objectType/:pipelineId/audit', (req) => {
    const { name, p } = pipeline(req, false, true);
    return { results: auditView(ctx, ctx.state.pipelineAudit.filter((a) => a.objectType === name && a.pipelineId === p.id && a.stageId === undefined)) };
  });

  routeAll(app, 'GET', PREFIXES, '/:objectType/:pipelineId/stages', (req) => ({ results: pipeline(req, false).p.stages.filter((s) => !s.archived) }));
  routeAll(app, 'GET', PREFIXES, '/:objectType/:pipelineId/stages/:stageId', (req) => stageOf(pipeline(req, false).p, params(req).stageId));

  routeAll(app, 'POST', PREFIXES, '/:objectType/:pipelineId/stages', (req, reply) => {
    const { name, p } = pipeline(req, true);
    const s = buildStage(name, parseBody(req, 'PipelineStageInput', stageInput), new Set(p.stages.map((x) => x.id)));
    p.stages.push(s);
    p.updatedAt = s.createdAt;
    audit(name, 'CREATE', p, s);
    void reply.code(201);
    return s;
  });

  routeAll(app, 'PUT', PREFIXES, '/:objectType/:pipelineId/stages/:stageId', (req) => {
    const { name, p } = pipeline(req, true);
    const old = stageOf(p, params(req).stageId);
    const b = parseBody(req, 'PipelineStageReplaceInput', stageInput);
    const built = buildStage(name, { ...b, stageId: old.id }, new Set());
    Object.assign(old, { label: built.label, displayOrder: built.displayOrder, metadata: built.metadata, updatedAt: built.updatedAt });
    audit(name, 'UPDATE', p, old);
    return old;
  });

  routeAll(app, 'PATCH', PREFIXES, '/:objectType/:pipelineId/stages/:stageId', (req) => {
    const { name, p } = pipeline(req, true);
    const s = stageOf(p, params(req).stageId);
    const b = parseBody(req, 'PipelineStagePatchInput', stagePatch);
    const merged = buildStage(name, { label: b.label ?? s.label, displayOrder: b.displayOrder ?? s.displayOrder, metadata: { ...s.metadata, ...b.metadata }, stageId: s.id }, new Set());
    Object.assign(s, { label: merged.label, displayOrder: merged.displayOrder, metadata: merged.metadata, updatedAt: merged.updatedAt });
    if (b.archived === true) {
      checkReferences(req, name, p.id, s.id);
      s.archived = true;
    }
    audit(name, 'UPDATE', p, s);
    return s;
  });

  routeAll(app, 'DELETE', PREFIXES, '/:objectType/:pipelineId/stages/:stageId', (req, reply) => {
    const { name, p } = pipeline(req, true);
    const s = stageOf(p, params(req).stageId);
    checkReferences(req, name, p.id, s.id);
    if (p.stages.filter((x) => !x.archived).length === 1) throw validation(`Stage ${s.id} is the last stage of pipeline ${p.id}; a pipeline needs at least one stage`);
    s.archived = true;
    s.archivedAt = now();
    audit(name, 'DELETE', p, s);
    return reply.code(204).send();
  });

  routeAll(app, 'GET', PREFIXES, '/:objectType/:pipelineId/stages/:stageId/audit', (req) => {
    const { name, p } = pipeline(req, false, true);
    const stageId = params(req).stageId;
    if (!p.stages.some((s) => s.id === stageId)) throw notFound(`Unable to find stage ${stageId} in pipeline ${p.id}`);
    return { results: auditView(ctx, ctx.state.pipelineAudit.filter((a) => a.objectType === name && a.pipelineId === p.id && a.stageId === stageId)) };
  });
}

/** `PublicAuditInfo`, newest first. */
function auditView(ctx: SimContext, entries: PipelineAuditEntry[]): unknown[] {
  return [...entries].reverse().map((a) => ({ portalId: ctx.opts.portalId, identifier: a.stageId ?? a.pipelineId, action: a.action, timestamp: a.timestamp, rawObject: a.rawObject }));
}
