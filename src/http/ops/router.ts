import { timingSafeEqual } from 'node:crypto';

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import type { Schedule } from '../../schedules/runtime.js';
import { recordOpsAction, type OpsActionResult } from '../../store/ops-actions.js';
import { findOpsSession, type OpsSession } from '../../store/ops-sessions.js';
import { html, type Html } from './html.js';
import { isAdmin, mayAct, page } from './layout.js';

/**
 * How dashboard pages and actions are registered: every page needs a live session (else the
 * browser goes to sign-in and comes back to the page asked for); every action also needs the
 * session's CSRF token and a key that may act, and is recorded in the operator log whatever its
 * result. Pages render HTML strings; actions redirect back with a notice (post/redirect/get).
 */

export interface OpsDeps {
  pool: Pool;
  metrics: Registry;
  schedules: readonly Schedule[];
  sessionTtlMs: number;
  secureCookie: boolean;
  hubspotLimits: { burstLimit: number; burstWindowMs: number; dailyLimit: number };
}

export const SESSION_COOKIE = 'ops_session';
const NOTICE_COOKIE = 'ops_notice';

export interface PageContext {
  request: FastifyRequest;
  reply: FastifyReply;
  session: OpsSession;
  notice: { kind: 'ok' | 'error'; text: string } | undefined;
}

export interface ActionOutcome {
  target: string;
  result: OpsActionResult;
  /** What the operator is told, and what the log keeps. */
  message: string;
  /** Where the browser goes next. */
  redirect: string;
  /** What the log keeps when it must differ from the message (a new key's secret is never logged). */
  logged?: string;
}

export type PageHandler = (ctx: PageContext) => Promise<{ title: string; section: string; body: Html; status?: number } | undefined>;
export type ActionHandler<F> = (ctx: PageContext, form: F) => Promise<ActionOutcome>;

export class OpsPageError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export const cookieOptions = (deps: OpsDeps, maxAgeMs?: number) => ({
  path: '/ops',
  httpOnly: true,
  sameSite: 'strict' as const,
  secure: deps.secureCookie,
  ...(maxAgeMs === undefined ? {} : { maxAge: Math.floor(maxAgeMs / 1000) }),
});

const sameToken = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const csrfForm = z.object({ _csrf: z.string().max(200).optional() }).passthrough();

/** Routes are written with their full path; the dashboard's Fastify context adds the `/ops` prefix. */
const local = (url: string): string => url.replace(/^\/ops/, '') || '/';

export function opsRouter(app: FastifyInstance, deps: OpsDeps) {
  async function sessionOf(request: FastifyRequest): Promise<OpsSession | null> {
    const token = request.cookies[SESSION_COOKIE];
    return token && token.length <= 100 ? findOpsSession(deps.pool, token) : null;
  }

  function takeNotice(request: FastifyRequest, reply: FastifyReply): PageContext['notice'] {
    const raw = request.cookies[NOTICE_COOKIE];
    if (!raw) return undefined;
    void reply.clearCookie(NOTICE_COOKIE, { path: '/ops' });
    const kind = raw.startsWith('ok:') ? 'ok' : 'error';
    return { kind, text: raw.slice(raw.indexOf(':') + 1).slice(0, 500) };
  }

  const signIn = (reply: FastifyReply, next: string) => reply.redirect(`/ops/sign-in?next=${encodeURIComponent(next)}`, 303);

  return {
    get(url: string, handler: PageHandler): void {
      app.get(local(url), async (request, reply) => {
        const session = await sessionOf(request);
        if (!session) return signIn(reply, request.url);
        if (url === '/ops/keys' && !isAdmin(session)) throw new OpsPageError(403, 'Only an admin key manages API keys.');
        const notice = takeNotice(request, reply);
        const result = await handler({ request, reply, session, notice });
        if (!result || reply.sent) return reply;
        return reply
          .status(result.status ?? 200)
          .type('text/html; charset=utf-8')
          .send(page({ title: result.title, section: result.section, session, body: result.body, notice }));
      });
    },
    post<F>(url: string, options: { action: string; scope: 'write' | 'admin'; form: z.ZodType<F> }, handler: ActionHandler<F>): void {
      app.post(local(url), async (request, reply) => {
        const session = await sessionOf(request);
        // Nothing is done without a session: sign in again, then repeat the action.
        if (!session) return signIn(reply, '/ops');
        const body = csrfForm.safeParse(request.body ?? {});
        if (!body.success || !body.data._csrf || !sameToken(body.data._csrf, session.csrfToken)) {
          throw new OpsPageError(403, 'The form is missing its security token or it does not match your session. Nothing was done; reload the page and try again.');
        }
        const allowed = options.scope === 'admin' ? isAdmin(session) : mayAct(session);
        if (!allowed) {
          await recordOpsAction(deps.pool, { apiKeyId: session.apiKeyId, keyName: session.keyName, action: options.action, target: request.url, result: 'refused', detail: `needs ${options.scope}` });
          throw new OpsPageError(403, `This key is ${session.scopes.join(', ')}: "${options.scope}" is needed to act. Nothing was done.`);
        }
        const form = options.form.safeParse(request.body);
        if (!form.success) throw new OpsPageError(400, `The form is not valid: ${form.error.issues.map((i) => `${i.path.join('.') || 'form'} ${i.message}`).join('; ')}`);
        const ctx: PageContext = { request, reply, session, notice: undefined };
        const outcome = await handler(ctx, form.data);
        await recordOpsAction(deps.pool, { apiKeyId: session.apiKeyId, keyName: session.keyName, action: options.action, target: outcome.target, result: outcome.result, detail: outcome.logged ?? outcome.message });
        void reply.setCookie(NOTICE_COOKIE, `${outcome.result === 'ok' ? 'ok' : 'error'}:${outcome.message}`, cookieOptions(deps, 60_000));
        return reply.redirect(outcome.redirect, 303);
      });
    },
    sessionOf,
  };
}

export type OpsRouter = ReturnType<typeof opsRouter>;

/** An error page in the dashboard's frame (with navigation when signed in). */
export function errorPage(status: number, message: string, session: OpsSession | null): string {
  const title = status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status < 500 ? 'Cannot do that' : 'Something went wrong';
  return page({ title, section: '', session, body: html`<p class="notice error" role="alert">${message}</p><p><a href="/ops">Back to the overview</a></p>` });
}
