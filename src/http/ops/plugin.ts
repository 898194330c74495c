import { randomBytes } from 'node:crypto';

import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';

import { AppError } from '../../lib/errors.js';
import { findActiveApiKey } from '../../store/api-keys.js';
import { closeOpsSession, openOpsSession } from '../../store/ops-sessions.js';
import { actionPages } from './actions.js';
import { conflictPages } from './conflicts.js';
import { customerPages } from './customers.js';
import { deadLetterPages } from './dead-letters.js';
import { html } from './html.js';
import { keyPages } from './keys.js';
import { page } from './layout.js';
import { overviewPage } from './overview.js';
import { cookieOptions, errorPage, OpsPageError, type OpsDeps, opsRouter, SESSION_COOKIE } from './router.js';
import { schedulePages } from './schedules.js';
import { OPS_CSS } from './styles.js';

export type { OpsDeps } from './router.js';

/**
 * The ops dashboard at /ops (docs/ops-dashboard.md): server-rendered pages, no script at all, a
 * session opened by signing in with an API key. Registered in its own Fastify context, so its
 * cookie and form parsing, its HTML errors and its security headers apply to /ops only.
 */

const SIGN_IN_COOKIE = 'ops_signin';
/** Where sign-in may send the browser back to: a dashboard path, never another site. */
const safeNext = (next: unknown): string => (typeof next === 'string' && /^\/ops(?:[/?][^\\\s]*)?$/.test(next) && !next.startsWith('//') && !next.includes('//') ? next : '/ops');

const signInForm = z.object({ key: z.string().max(200), next: z.string().max(2000).optional(), _csrf: z.string().max(200) });

export async function registerOpsDashboard(app: FastifyInstance, deps: OpsDeps): Promise<void> {
  await app.register(async (ops) => {
    await ops.register(fastifyCookie);
    await ops.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
    ops.addHook('onSend', async (_request, reply) => {
      // No script runs on these pages, nothing loads from elsewhere, no other site may frame them.
      reply.header('content-security-policy', "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'same-origin');
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    });
    const router = opsRouter(ops, deps);
    ops.setErrorHandler(async (error: FastifyError | Error, request, reply) => {
      const status = error instanceof OpsPageError || error instanceof AppError ? (error instanceof AppError ? error.statusCode : error.status) : ((error as { statusCode?: number }).statusCode ?? 500);
      const message = status >= 500 ? 'The dashboard could not show this page. The error is in the service log.' : error.message;
      if (status >= 500) request.log.error({ err: error }, 'ops page failed');
      const session = await router.sessionOf(request).catch(() => null);
      return reply.status(status).type('text/html; charset=utf-8').send(errorPage(status, message, session));
    });
    ops.setNotFoundHandler(async (request, reply) => reply.status(404).type('text/html; charset=utf-8').send(errorPage(404, `No dashboard page at ${request.url.split('?')[0]}`, null)));

    ops.get('/assets/ops.css', async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(OPS_CSS));

    ops.get('/sign-in', async (request, reply) => {
      const next = safeNext((request.query as Record<string, unknown>)['next']);
      const error = (request.query as Record<string, unknown>)['error'] === '1';
      return reply.type('text/html; charset=utf-8').send(signInPage(next, newSignInToken(reply), error));
    });
    function newSignInToken(reply: FastifyReply): string {
      // Sign-in has no session yet: a token in a cookie and in the form must match (login CSRF).
      const token = randomBytes(24).toString('base64url');
      void reply.setCookie(SIGN_IN_COOKIE, token, cookieOptions(deps, 15 * 60_000));
      return token;
    }
    ops.post('/sign-in', async (request, reply) => {
      const form = signInForm.safeParse(request.body);
      const cookieToken = request.cookies[SIGN_IN_COOKIE];
      if (!form.success || !cookieToken || form.data._csrf !== cookieToken) {
        throw new OpsPageError(403, 'The sign-in form expired or was not sent from this dashboard. Open the sign-in page again.');
      }
      const next = safeNext(form.data.next);
      const apiKey = await findActiveApiKey(deps.pool, form.data.key.trim());
      const usable = apiKey && apiKey.scopes.some((s) => s === 'read' || s === 'write' || s === 'admin');
      if (!apiKey || !usable) return reply.redirect(`/ops/sign-in?error=1&next=${encodeURIComponent(next)}`, 303);
      const { token } = await openOpsSession(deps.pool, apiKey.id, deps.sessionTtlMs);
      void reply.clearCookie(SIGN_IN_COOKIE, { path: '/ops' });
      void reply.setCookie(SESSION_COOKIE, token, cookieOptions(deps, deps.sessionTtlMs));
      return reply.redirect(next, 303);
    });
    ops.post('/sign-out', async (request, reply) => {
      const session = await router.sessionOf(request);
      const token = (request.body as Record<string, unknown> | undefined)?.['_csrf'];
      if (session && token === session.csrfToken) await closeOpsSession(deps.pool, session.id);
      else if (session) throw new OpsPageError(403, 'The sign-out form does not match your session.');
      void reply.clearCookie(SESSION_COOKIE, { path: '/ops' });
      return reply.redirect('/ops/sign-in', 303);
    });

    overviewPage(router, deps);
    deadLetterPages(router, deps);
    conflictPages(router, deps);
    customerPages(router, deps);
    schedulePages(router, deps);
    actionPages(router, deps);
    keyPages(router, deps);
  }, { prefix: '/ops' });
}

function signInPage(next: string, csrf: string, failed: boolean): string {
  const body = html`<form method="post" action="/ops/sign-in" class="signin">
<p>Sign in with an API key (<code>npm run cli -- keys create --name NAME --scopes read</code>). A <strong>read</strong> key sees everything and changes nothing.</p>
${failed ? html`<p class="notice error" role="alert">That key is not valid, revoked, or not an operator key (read, write or admin).</p>` : ''}
<input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
<label for="key">API key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<p><button type="submit" class="primary">Sign in</button></p>
</form>`;
  return page({ title: 'Sign in', section: '', session: null, body });
}
