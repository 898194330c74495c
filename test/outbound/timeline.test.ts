import { afterAll, beforeAll, expect, it } from 'vitest';

import { type OutboundFixture, outboxDrained, startOutboundFixture, trunkBody } from './support.js';

// Timeline events are for public (OAuth) apps: the simulator refuses them for private-app tokens,
// and treats tokens starting with `oauth-` as OAuth tokens.
const TOKEN = 'oauth-timeline-test';

let f: OutboundFixture;
beforeAll(async () => {
  f = await startOutboundFixture({ env: { HUBSPOT_ACCESS_TOKEN: TOKEN, OUTBOX_WORKERS: '0' } });
});
afterAll(async () => {
  await f?.close();
});

it('writes an event as a timeline event when its kind has a template (and as a note when not), once', async () => {
  const response = await fetch(`${f.sim.url}/integrators/timeline/v3/${f.sim.appId}/event-templates`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Trunk created',
      objectType: 'companies',
      headerTemplate: 'Trunk {{trunk_name}} created',
      tokens: [
        { name: 'trunk_id', label: 'Trunk id', type: 'string' },
        { name: 'trunk_name', label: 'Trunk name', type: 'string' },
        { name: 'concurrent_calls', label: 'Concurrent calls', type: 'number' },
      ],
    }),
  });
  expect(response.status).toBe(201);
  const templateId = ((await response.json()) as { id: string }).id;

  const customer = await f.createCustomer();
  const trunk = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody() });
  expect(trunk.status).toBe('active');
  await f.api.call('recordAccountEvent', { params: { ban: customer.ban }, body: { type: 'suspend' } }); // no template: a note
  f.startWorkers({ HUBSPOT_TIMELINE_TEMPLATES: JSON.stringify({ trunk_created: templateId }) });
  await outboxDrained(f.db);

  const timelineWrites = f.sim.requestLog().filter((r) => r.method === 'POST' && r.path.includes('/timeline/v3/events') && r.status < 300);
  expect(timelineWrites).toHaveLength(1);
  expect(JSON.stringify(timelineWrites[0]!.body)).toContain(trunk.trunkId);
  const events = Object.values(f.sim.state().timelineEvents);
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ eventTemplateId: templateId, objectId: customer.companyId });
  const notes = await f.records('notes', ['hs_note_body']);
  expect(notes.map((n) => n.properties['hs_note_body'])).toEqual([expect.stringContaining('suspended')]);
});
