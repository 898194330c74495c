import { z } from 'zod';

import { API_KEY_SCOPES, createApiKey, listApiKeys, revokeApiKey } from '../../store/api-keys.js';
import { html, time } from './html.js';
import { csrfField } from './layout.js';
import type { OpsDeps, OpsRouter } from './router.js';

/**
 * API keys, for admin keys only: list, create (the secret is shown once, on the page that answers
 * the form, never in a URL or the log), revoke (its sessions end at once).
 */

const createForm = z.object({
  name: z.string().trim().min(1, 'is required').max(100),
  scopes: z.preprocess((v: unknown): unknown => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.enum(API_KEY_SCOPES)).min(1, 'pick at least one scope')),
});

export function keyPages(router: OpsRouter, deps: OpsDeps): void {
  router.get('/ops/keys', async ({ session }) => {
    const keys = await listApiKeys(deps.pool, false);
    const body = html`<table><thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Actions</th></tr></thead><tbody>
${keys.items.map((k) => html`<tr><td>${k.name}</td><td><code>${k.prefix}…</code></td><td>${k.scopes.join(', ')}</td><td>${time(k.createdAt)}</td><td>${time(k.lastUsedAt)}</td>
<td>${k.id === session.apiKeyId ? html`<span class="muted">this session's key</span>` : html`<form method="post" action="/ops/keys/${k.id}/revoke" class="inline">${csrfField(session)}<button type="submit" class="danger" aria-label="Revoke key ${k.name}">Revoke</button></form>`}</td></tr>`)}
</tbody></table>
<h2>Create a key</h2>
<form method="post" action="/ops/keys/create" class="filters">${csrfField(session)}<label for="k-name">Name<input id="k-name" name="name" required maxlength="100"></label>
<fieldset><legend>Scopes</legend>${API_KEY_SCOPES.map((s) => html`<label><input type="checkbox" name="scopes" value="${s}"> ${s}</label> `)}</fieldset>
<button type="submit" class="primary">Create</button></form>`;
    return { title: 'API keys', section: '/ops/keys', body };
  });

  router.post('/ops/keys/create', { action: 'key.create', scope: 'admin', form: createForm }, async (_ctx, form) => {
    const { key, apiKey } = await createApiKey(deps.pool, form.name, form.scopes);
    // The notice is the one place the secret is shown; it lives in an HttpOnly cookie for one page view.
    return { target: `key ${apiKey.name}`, result: 'ok', message: `Created ${apiKey.name} (${apiKey.scopes.join(', ')}). Copy the key now, it is not shown again: ${key}`, redirect: '/ops/keys', logged: `Created ${apiKey.name} (${apiKey.scopes.join(', ')})` };
  });

  router.post('/ops/keys/:id/revoke', { action: 'key.revoke', scope: 'admin', form: z.object({}).passthrough() }, async ({ request }) => {
    const id = (request.params as { id: string }).id;
    const revoked = /^\d{1,19}$/.test(id) ? await revokeApiKey(deps.pool, id) : null;
    return revoked
      ? { target: `key ${revoked.name}`, result: 'ok', message: `Revoked ${revoked.name}; its sessions are closed`, redirect: '/ops/keys' }
      : { target: `key ${id}`, result: 'refused', message: `No active key ${id}`, redirect: '/ops/keys' };
  });
}
