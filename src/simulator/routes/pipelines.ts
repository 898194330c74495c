/**
 * Pipelines for deals and tickets (`/crm/v3/pipelines/{objectType}`): stage ids; deal stages carry
 * `probability`/`isClosed`, ticket stages `ticketState` OPEN/CLOSED. Record pipeline/stage values are
 * validated against these (records.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireScopes } from '../auth.js';
import type { SimContext } from '../context.js';
import { notFound, validation } from '../errors.js';
import type { Pipeline, PipelineStage } from '../pipelines-data.js';
import { body, objectType, params, routeAll } from './common.js';

const PREFIXES = ['/crm/v3/pipelines', '/crm/pipelines/2026-03'] as const;

export function registerPipelineRoutes(app: FastifyInstance, ctx: SimContext): void {
  const list = (req: FastifyRequest): Pipeline[] => {
    const t = objectType(ctx, params(req).objectType);
    if (t.objectTypeId !== '0-3' && t.objectTypeId !== '0-5') throw validation(`Pipelines are not supported for ${t.name}`);
    requireScopes(req, t.objectTypeId === '0-3' ? ['crm.objects.deals.read', 'crm.objects.deals.write'] : ['tickets', 'crm.objects.tickets.read']);
    return (ctx.state.pipelines[t.name] ??= []);
  };
  const one = (req: FastifyRequest): Pipeline => {
    const p = list(req).find((x) => x.id === params(req).pipelineId && !x.archived);
    if (!p) throw notFound(`Unable to find pipeline ${params(req).pipelineId}`);
    return p;
  };

  routeAll(app, 'GET', PREFIXES, '/:objectType', (req) => ({ results: list(req).filter((p) => !p.archived) }));
  routeAll(app, 'GET', PREFIXES, '/:objectType/:pipelineId', (req) => one(req));
  routeAll(app, 'GET', PREFIXES, '/:objectType/:pipelineId/stages', (req) => ({ results: one(req).stages.filter((s) => !s.archived) }));
  routeAll(app, 'GET', PREFIXES, '/:objectType/:pipelineId/stages/:stageId', (req) => {
    const s = one(req).stages.find((x) => x.id === params(req).stageId);
    if (!s) throw notFound(`Unable to find stage ${params(req).stageId}`);
    return s;
  });

  routeAll(app, 'POST', PREFIXES, '/:objectType', (req, reply) => {
    const pipelines = list(req);
    const isTicket = objectType(ctx, params(req).objectType).objectTypeId === '0-5';
    const b = body<{ label?: string; displayOrder?: number; stages?: { label?: string; displayOrder?: number; metadata?: Record<string, string> }[] }>(req);
    if (!b.label || !Array.isArray(b.stages) || b.stages.length === 0) throw validation('label and at least one stage are required');
    const now = new Date(ctx.clock.now()).toISOString();
    const stages: PipelineStage[] = b.stages.map((s, i) => {
      const metadata = s.metadata ?? {};
      if (isTicket && metadata.ticketState !== 'OPEN' && metadata.ticketState !== 'CLOSED') throw validation('ticket stages require metadata.ticketState OPEN or CLOSED');
      if (!isTicket && metadata.probability === undefined) throw validation('deal stages require metadata.probability');
      return { id: String(ctx.state.nextId++), label: s.label ?? `Stage ${i}`, displayOrder: s.displayOrder ?? i, metadata: isTicket ? metadata : { isClosed: String(['0.0', '1.0', '0', '1'].includes(metadata.probability ?? '')), ...metadata }, archived: false, createdAt: now, updatedAt: now };
    });
    const p: Pipeline = { id: String(ctx.state.nextId++), label: b.label, displayOrder: b.displayOrder ?? pipelines.length, stages, archived: false, createdAt: now, updatedAt: now };
    pipelines.push(p);
    ctx.changed();
    void reply.code(201);
    return p;
  });

  routeAll(app, 'DELETE', PREFIXES, '/:objectType/:pipelineId', (req, reply) => {
    one(req).archived = true;
    ctx.changed();
    return reply.code(204).send();
  });
}
