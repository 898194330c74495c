// The bounded mixed load of `npm run chaos`, and its ledger: what the service acknowledged (2xx)
// and what HubSpot's UI acknowledged (the simulator answered), with the last acknowledged value of
// every field, so the check can say what must be in the database afterwards. A request that got
// no answer (an instance killed under it, a 503) is "uncertain": it may or may not have happened,
// so nothing is asserted about that field any more.
import { PAYMENT_METHODS, USER_ROLES } from '../src/domain/value-sets.js';
import { type Cluster, pickInstance } from './chaos-cluster.js';

export interface Customer {
  ban: string;
  companyId: string;
  trunks: string[];
  numbers: Array<{ number: string; trunkId: string | null }>;
  users: string[];
}

export interface Ledger {
  acknowledged: number;
  uncertain: number;
  refused: number;
  /** Usage records a 200 answer rejected one by one (e.g. their trunk deleted meanwhile). */
  rejectedRecords: number;
  createdTrunks: Set<string>;
  deletedTrunks: Set<string>;
  createdNumbers: Set<string>;
  releasedNumbers: Set<string>;
  createdUsers: Map<string, string>;
  calls: Set<string>;
  /** `table:key:column` → the last acknowledged value, or uncertain after an unanswered request. */
  finals: Map<string, { value: string | null; uncertain: boolean }>;
  /** Deals won in HubSpot during the run: each must end with exactly one company and customer. */
  wonDeals: string[];
}

export const newLedger = (): Ledger => ({
  acknowledged: 0, uncertain: 0, refused: 0, rejectedRecords: 0, createdTrunks: new Set(), deletedTrunks: new Set(), createdNumbers: new Set(),
  releasedNumbers: new Set(), createdUsers: new Map(), calls: new Set(), finals: new Map(), wonDeals: [],
});

type Answer = { status: number; body: Record<string, unknown> };

export interface LoadContext {
  cluster: Cluster;
  apiKey: string;
  simUrl: string;
  runId: string;
  customers: Customer[];
  ledger: Ledger;
}

const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(Math.random() * items.length)];
const between = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

export async function api(ctx: LoadContext, method: string, path: string, body?: unknown): Promise<Answer> {
  const instance = pickInstance(ctx.cluster);
  if (!instance) return { status: 0, body: {} };
  try {
    const response = await fetch(`http://127.0.0.1:${instance.port}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ctx.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  } catch {
    return { status: 0, body: {} };
  }
}

export async function sim(ctx: Pick<LoadContext, 'simUrl'>, path: string, body: unknown, method = 'POST'): Promise<Answer> {
  try {
    const response = await fetch(`${ctx.simUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  } catch {
    return { status: 0, body: {} };
  }
}

/** Records the outcome of a write; returns true when it was acknowledged. */
function settle(ctx: LoadContext, answer: Answer, finals: Array<[string, string | null]> = []): boolean {
  const { ledger } = ctx;
  const ok = answer.status >= 200 && answer.status < 300;
  const unanswered = answer.status === 0 || answer.status >= 500;
  if (ok) ledger.acknowledged++;
  else if (unanswered) ledger.uncertain++;
  else ledger.refused++;
  for (const [key, value] of finals) {
    if (ok) ledger.finals.set(key, { value, uncertain: false });
    else if (unanswered) ledger.finals.set(key, { value, uncertain: true });
  }
  return ok;
}

const trunkBody = (name: string) => ({ name, ipAddresses: ['198.51.100.10'], concurrentCalls: between(1, 500), monthlyMinutes: 10_000 });

type Op = (ctx: LoadContext, customer: Customer) => Promise<void>;

const OPS: Array<[number, Op]> = [
  [14, async (ctx, c) => {
    const answer = await api(ctx, 'POST', `/customers/${c.ban}/trunks`, trunkBody(`chaos ${ctx.runId}`));
    if (settle(ctx, answer)) {
      const trunkId = String(answer.body['trunkId']);
      ctx.ledger.createdTrunks.add(trunkId);
      c.trunks.push(trunkId);
    }
  }],
  [18, async (ctx, c) => {
    const trunkId = pick(c.trunks);
    if (!trunkId) return;
    const concurrentCalls = between(1, 500);
    settle(ctx, await api(ctx, 'PATCH', `/customers/${c.ban}/trunks/${trunkId}`, { concurrentCalls }), [[`trunks:${trunkId}:concurrent_calls`, String(concurrentCalls)]]);
  }],
  [2, async (ctx, c) => {
    const trunkId = c.trunks.pop();
    if (!trunkId) return;
    if (settle(ctx, await api(ctx, 'DELETE', `/customers/${c.ban}/trunks/${trunkId}`))) ctx.ledger.deletedTrunks.add(trunkId);
    for (const n of c.numbers) if (n.trunkId === trunkId) n.trunkId = null;
  }],
  [14, async (ctx, c) => {
    const number = `+1555${String(between(1_000_000, 9_999_999))}`;
    const trunkId = pick([...c.trunks, null]) ?? null;
    const answer = await api(ctx, 'POST', `/customers/${c.ban}/numbers`, { number, type: 'local', capabilities: ['voice'], monthlyCost: 1.5, ...(trunkId ? { trunkId } : {}) });
    if (settle(ctx, answer, [[`numbers:${number}:trunk`, trunkId]])) {
      ctx.ledger.createdNumbers.add(number);
      c.numbers.push({ number, trunkId });
    }
  }],
  // Moving a number to another trunk: the old number→trunk association must go.
  [14, async (ctx, c) => {
    const entry = pick(c.numbers);
    const trunkId = pick(c.trunks.filter((t) => t !== entry?.trunkId));
    if (!entry || !trunkId) return;
    if (settle(ctx, await api(ctx, 'PATCH', `/customers/${c.ban}/numbers/${encodeURIComponent(entry.number)}`, { trunkId }), [[`numbers:${entry.number}:trunk`, trunkId]])) entry.trunkId = trunkId;
  }],
  [3, async (ctx, c) => {
    const entry = c.numbers.pop();
    if (!entry) return;
    if (settle(ctx, await api(ctx, 'DELETE', `/customers/${c.ban}/numbers/${encodeURIComponent(entry.number)}`))) ctx.ledger.releasedNumbers.add(entry.number);
  }],
  // A new user; sometimes a person creates the same contact in HubSpot's UI at the same moment.
  [8, async (ctx, c) => {
    const email = `chaos-${ctx.runId}-${between(0, 1e9)}@example.com`;
    const racing = Math.random() < 0.3 ? sim(ctx, '/__sim/ui-edit', { objectType: 'contacts', action: 'create', properties: { email, firstname: 'Race' } }) : undefined;
    const answer = await api(ctx, 'POST', `/customers/${c.ban}/users`, { email, role: 'developer' });
    await racing;
    if (settle(ctx, answer)) {
      const userId = String(answer.body['userId']);
      ctx.ledger.createdUsers.set(userId, email);
      c.users.push(userId);
    }
  }],
  [6, async (ctx, c) => {
    const userId = pick(c.users);
    if (!userId) return;
    const role = pick(USER_ROLES)!;
    settle(ctx, await api(ctx, 'PATCH', `/customers/${c.ban}/users/${userId}`, { role }), [[`users:${userId}:role`, role]]);
  }],
  [5, async (ctx, c) => {
    const smsEnabled = Math.random() < 0.5;
    settle(ctx, await api(ctx, 'PATCH', `/customers/${c.ban}`, { smsEnabled }), [[`customers:${c.ban}:sms_enabled`, String(smsEnabled)]]);
  }],
  [4, async (ctx, c) => {
    const paymentMethod = pick(PAYMENT_METHODS)!;
    settle(ctx, await api(ctx, 'POST', `/customers/${c.ban}/events`, { type: 'payment_method_changed', paymentMethod }), [[`customers:${c.ban}:payment_method`, paymentMethod]]);
  }],
  // Edits in HubSpot's UI: properties HubSpot owns must reach the cache.
  [8, async (ctx, c) => {
    const terms = pick(['NET15', 'NET30', 'NET45', 'NET60'])!;
    const answer = await sim(ctx, '/__sim/ui-edit', { objectType: 'companies', objectId: c.companyId, properties: { warp_payment_terms: terms } });
    settle(ctx, answer, [[`customers:${c.ban}:payment_terms`, terms]]);
  }],
  // A WARP-owned property edited in HubSpot: recorded and undone (checked against WARP's value).
  [2, async (ctx, c) => {
    settle(ctx, await sim(ctx, '/__sim/ui-edit', { objectType: 'companies', objectId: c.companyId, properties: { warp_status: 'churned' } }));
  }],
  [8, async (ctx, c) => {
    const trunkId = pick(c.trunks);
    if (!trunkId) return;
    const now = Date.now();
    const records = Array.from({ length: 5 }, () => {
      const startedAt = new Date(now - between(60_000, 600_000));
      const seconds = between(1, 300);
      return {
        callId: `chaos-${ctx.runId}-${between(0, 1e12)}`, trunkId, direction: 'outbound', startedAt: startedAt.toISOString(),
        answeredAt: startedAt.toISOString(), endedAt: new Date(startedAt.getTime() + seconds * 1000).toISOString(),
        billableSeconds: seconds, sipCode: 200, cost: (seconds * 0.0004).toFixed(4),
      };
    });
    const answer = await api(ctx, 'POST', '/usage/calls', { records });
    if (!settle(ctx, answer)) return;
    // A 200 answers per record: one the API rejected (its trunk was deleted meanwhile by another
    // writer) was never acknowledged, so it is not expected in the database.
    const rejected = new Set((answer.body['rejected'] as Array<{ index: number }> | undefined)?.map((r) => r.index));
    ctx.ledger.rejectedRecords += rejected.size;
    records.forEach((r, i) => {
      if (!rejected.has(i)) ctx.ledger.calls.add(r.callId);
    });
  }],
];
const TOTAL_WEIGHT = OPS.reduce((n, [w]) => n + w, 0);

function pickOp(): Op {
  let at = Math.random() * TOTAL_WEIGHT;
  for (const [weight, op] of OPS) {
    at -= weight;
    if (at < 0) return op;
  }
  return OPS[0]![1];
}

/** `loops` concurrent writers until `signal` aborts, each pausing `pauseMs` between requests. */
export async function runLoad(ctx: LoadContext, options: { loops: number; pauseMs: number; signal: AbortSignal }): Promise<void> {
  await Promise.all(
    Array.from({ length: options.loops }, async () => {
      while (!options.signal.aborted) {
        const customer = pick(ctx.customers);
        if (customer) await pickOp()(ctx, customer);
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      }
    }),
  );
}

/**
 * A HubSpot value that parses but does not fit the cache column (a credit limit of 20 digits), then
 * a valid one right after: the valid edit must still reach the cache, and soon.
 */
export async function overflowingEdit(ctx: LoadContext, customer: Customer): Promise<void> {
  await sim(ctx, '/__sim/ui-edit', { objectType: 'companies', objectId: customer.companyId, properties: { warp_credit_limit: '99999999999999999999' } });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  settle(ctx, await sim(ctx, '/__sim/ui-edit', { objectType: 'companies', objectId: customer.companyId, properties: { warp_credit_limit: '75000' } }), [[`customers:${customer.ban}:credit_limit`, '75000.00']]);
}

/** A deal won in HubSpot's UI: onboarding makes its company, customer and first trunk. */
export async function winDeal(ctx: LoadContext, name: string): Promise<string | undefined> {
  const answer = await sim(ctx, '/__sim/ui-edit', { objectType: 'deals', action: 'create', properties: { dealname: name, pipeline: 'default', dealstage: 'closedwon' } });
  if (answer.status !== 200) return undefined;
  const dealId = String(answer.body['id']);
  ctx.ledger.wonDeals.push(dealId);
  ctx.ledger.acknowledged++;
  return dealId;
}
