/**
 * Bearer-token auth. Default: any non-empty token is a private-app token with every scope, except
 * tokens starting with `oauthTokenPrefix` (default `oauth-`), which count as public-app OAuth
 * tokens. With `tokens` configured only those tokens are accepted, with their kind and scopes.
 * Developer API keys (`?hapikey=`) are accepted on the developer-key endpoints (webhook settings,
 * timeline templates).
 */
import type { FastifyRequest } from 'fastify';
import type { ResolvedOptions } from './context.js';
import { HubSpotError } from './errors.js';

export interface AuthInfo {
  token: string;
  kind: 'private' | 'oauth' | 'developer';
  scopes: string[] | undefined;
  appId: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    simAuth?: AuthInfo;
  }
}

const NO_CREDENTIALS = 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';
const DEVELOPER_KEY_PATHS = [/^\/webhooks\/(v3|2026-03)\//, /^\/integrators\/timeline\/v3\/\d+\/event-templates/, /^\/crm\/v3\/timeline\/\d+\/event-templates/];

export function authenticate(req: FastifyRequest, opts: ResolvedOptions): AuthInfo {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  const token = m?.[1]?.trim() ?? '';
  if (token === '') {
    const hapikey = (req.query as Record<string, unknown> | undefined)?.hapikey;
    const path = req.url.split('?')[0] ?? '';
    if (typeof hapikey === 'string' && hapikey !== '' && DEVELOPER_KEY_PATHS.some((r) => r.test(path))) {
      return { token: hapikey, kind: 'developer', scopes: undefined, appId: opts.appId };
    }
    throw new HubSpotError(401, 'INVALID_AUTHENTICATION', NO_CREDENTIALS);
  }
  if (opts.tokens) {
    const cfg = opts.tokens[token];
    if (!cfg) throw new HubSpotError(401, 'INVALID_AUTHENTICATION', 'The access token provided is invalid or has expired.');
    return { token, kind: cfg.kind, scopes: cfg.scopes, appId: cfg.appId ?? opts.appId };
  }
  return { token, kind: token.startsWith(opts.oauthTokenPrefix) ? 'oauth' : 'private', scopes: undefined, appId: opts.appId };
}

/** 403 MISSING_SCOPES unless the token has at least one of `anyOf` (undefined scopes = all). */
export function requireScopes(req: FastifyRequest, anyOf: string[]): void {
  const auth = req.simAuth;
  if (!auth || auth.scopes === undefined || auth.kind === 'developer') return;
  if (anyOf.some((s) => auth.scopes?.includes(s))) return;
  throw new HubSpotError(403, 'MISSING_SCOPES',
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    { errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: anyOf } }], links: { scopes: 'https://developers.hubspot.com/scopes' } });
}

/** Scope names per object type for read/write (granular scopes). */
export function objectScopes(objectTypeId: string, custom: boolean, write: boolean): string[] {
  const rw = write ? 'write' : 'read';
  if (custom) return [`crm.objects.custom.${rw}`];
  switch (objectTypeId) {
    case '0-1': return [`crm.objects.contacts.${rw}`];
    case '0-2': return [`crm.objects.companies.${rw}`];
    case '0-3': return [`crm.objects.deals.${rw}`];
    case '0-5': return ['tickets', `crm.objects.tickets.${rw}`];
    case '0-7': return ['e-commerce', `crm.objects.products.${rw}`];
    case '0-8': return ['e-commerce', `crm.objects.line_items.${rw}`];
    case '0-53': return [`crm.objects.invoices.${rw}`];
    default: return [`crm.objects.contacts.${rw}`];
  }
}
