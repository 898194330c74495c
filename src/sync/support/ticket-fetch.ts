import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { type HubSpotGateway, isHubSpotError } from '../../hubspot/gateway.js';
import { defineTask, type TaskDefinition, type TaskSpec } from '../../jobs/task.js';
import { applyTicketSnapshot, CACHED_TICKET_PROPERTIES, clearNeedsFetch, customerOfCompany, markTicketDeleted, ticketsNeedingFetch } from '../../store/ticket-cache.js';

/**
 * Reads tickets the cache heard of but does not know in full (a ticket created, restored or merged
 * in HubSpot: webhooks carry no properties and no company) and applies the snapshot. Queued by
 * the inbox with one job key, so a burst of ticket webhooks makes one job, not one per ticket.
 */

export const TICKET_FETCH_TASK: TaskSpec<Record<string, never>> = {
  name: 'support-ticket-fetch',
  payload: z.object({}).strict(),
  queue: 'support-ticket-fetch',
  maxAttempts: 10,
};

const BATCH = 50;

export function ticketFetchTask(options: { pool: Pool; gateway: HubSpotGateway }): TaskDefinition {
  return defineTask(TICKET_FETCH_TASK, async (_payload, context) => {
    for (;;) {
      context.signal.throwIfAborted();
      const ids = await ticketsNeedingFetch(options.pool, BATCH);
      for (const id of ids) await fetchOne(options, id);
      if (ids.length < BATCH) return;
    }
  });
}

async function fetchOne(options: { pool: Pool; gateway: HubSpotGateway }, hubspotId: string): Promise<void> {
  try {
    const ticket = await options.gateway.getObject('tickets', hubspotId, { properties: CACHED_TICKET_PROPERTIES, associations: ['companies'], priority: 'realtime' });
    const companyId = Object.values(ticket.associations ?? {}).flatMap((a) => a.results.map((r) => r.id))[0];
    const customerId = companyId ? await customerOfCompany(options.pool, companyId) : null;
    const at = new Date(ticket.updatedAt ?? Date.now());
    await applyTicketSnapshot(options.pool, { hubspotId, customerId, properties: ticket.properties, at });
  } catch (error) {
    if (!isHubSpotError(error, 'not_found')) throw error;
    await markTicketDeleted(options.pool, hubspotId, new Date(), null);
    await clearNeedsFetch(options.pool, [hubspotId]);
  }
}
