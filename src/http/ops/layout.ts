import type { OpsSession } from '../../store/ops-sessions.js';
import { html, type Html } from './html.js';

/** The frame of every dashboard page: skip link, navigation, who is signed in, sign-out. */

const NAV = [
  ['/ops', 'Overview'],
  ['/ops/dead-letters', 'Dead letters'],
  ['/ops/conflicts', 'Conflicts'],
  ['/ops/customers', 'Customers'],
  ['/ops/schedules', 'Schedules and runs'],
  ['/ops/actions', 'Operator actions'],
  ['/ops/keys', 'API keys'],
] as const;

export const mayAct = (session: OpsSession): boolean => session.scopes.includes('write') || session.scopes.includes('admin');
export const isAdmin = (session: OpsSession): boolean => session.scopes.includes('admin');

/** The CSRF field every form of an action carries. */
export const csrfField = (session: OpsSession): Html => html`<input type="hidden" name="_csrf" value="${session.csrfToken}">`;

export interface PageOptions {
  title: string;
  /** The nav entry to mark as the current page. */
  section: string;
  session: OpsSession | null;
  body: Html;
  /** A notice shown above the content (the result of the action just taken). */
  notice?: { kind: 'ok' | 'error'; text: string } | undefined;
}

export function page(options: PageOptions): string {
  const { session } = options;
  const nav = session
    ? html`<nav aria-label="Dashboard"><ul>${NAV.filter(([href]) => href !== '/ops/keys' || isAdmin(session)).map(
        ([href, label]) => html`<li><a href="${href}"${options.section === href ? html` aria-current="page"` : ''}>${label}</a></li>`,
      )}</ul></nav>
<form method="post" action="/ops/sign-out" class="who">${csrfField(session)}<span>Signed in as <strong>${session.keyName}</strong> (${session.scopes.join(', ')}${mayAct(session) ? '' : ', read only'})</span> <button type="submit">Sign out</button></form>`
    : '';
  const notice = options.notice ? html`<p class="notice ${options.notice.kind}" role="status">${options.notice.text}</p>` : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · warp-hubspot ops</title>
<link rel="stylesheet" href="/ops/assets/ops.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><span class="brand">warp-hubspot ops</span>${nav}</header>
<main id="main">
<h1>${options.title}</h1>
${notice}
${options.body}
</main>
</body>
</html>`.value;
}
