/**
 * Fault injection. A rule applies to the next `count` matching requests, or to a `fraction` of
 * them (0..1), or both (fraction until count is used up). API faults: an HTTP status with HubSpot's
 * body for it (429, 5xx, 423, 477), a timeout (no response), added latency, a dropped connection,
 * or a request that is carried out and whose answer is then lost (`drop-response`: was it applied?),
 * or a page answer whose first record is made unparseable (`corrupt-record`: a property value that
 * is a number, as a record no client schema accepts).
 * Webhook faults: drop, duplicate or reorder delivered batches.
 */
import { z } from 'zod';

export const apiFaultKinds = ['status', 'timeout', 'latency', 'drop', 'drop-response', 'corrupt-record'] as const;
export const webhookFaultKinds = ['webhook-drop', 'webhook-duplicate', 'webhook-reorder'] as const;

export const faultRuleSchema = z.object({
  kind: z.enum([...apiFaultKinds, ...webhookFaultKinds]),
  /** HTTP status for kind=status: 429, 423, 477, 500, 502, 503, 504, ... */
  status: z.number().int().min(400).max(599).optional(),
  /** For status 429: which limit the body names. */
  policy: z.enum(['TEN_SECONDLY_ROLLING', 'DAILY', 'SECONDLY']).optional(),
  count: z.number().int().positive().optional(),
  fraction: z.number().min(0).max(1).optional(),
  /** kind=latency: added delay; kind=timeout: how long to hold before closing the socket. Not time-scaled. */
  latencyMs: z.number().int().nonnegative().optional(),
  /** For 477 (and optionally 429/503): `Retry-After` header value in seconds. */
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  method: z.string().optional(),
  /** Only requests whose path starts with this (e.g. `/crm/v3/objects/contacts`). */
  pathPrefix: z.string().optional(),
}).refine((r) => r.count !== undefined || r.fraction !== undefined, { message: 'count or fraction is required' });
export type FaultRuleInput = z.infer<typeof faultRuleSchema>;
export interface FaultRule extends FaultRuleInput { id: string; hits: number }

export class Faults {
  private rules: FaultRule[] = [];
  private nextId = 1;

  add(input: FaultRuleInput): FaultRule {
    const rule: FaultRule = { ...input, id: String(this.nextId++), hits: 0 };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
  }

  /** The first API rule that fires for this request (consumes one use). */
  takeApi(method: string, path: string): FaultRule | undefined {
    return this.take((r) => (apiFaultKinds as readonly string[]).includes(r.kind)
      && (r.method === undefined || r.method.toUpperCase() === method.toUpperCase())
      && (r.pathPrefix === undefined || path.startsWith(r.pathPrefix)));
  }

  /** Which webhook faults fire for one batch delivery. */
  takeWebhook(): { drop: boolean; duplicate: boolean; reorder: boolean } {
    return {
      drop: this.take((r) => r.kind === 'webhook-drop') !== undefined,
      duplicate: this.take((r) => r.kind === 'webhook-duplicate') !== undefined,
      reorder: this.take((r) => r.kind === 'webhook-reorder') !== undefined,
    };
  }

  private take(match: (r: FaultRule) => boolean): FaultRule | undefined {
    for (const r of this.rules) {
      if (!match(r)) continue;
      if (r.count !== undefined && r.hits >= r.count) continue;
      if (r.fraction !== undefined && Math.random() >= r.fraction) continue;
      r.hits++;
      return r;
    }
    return undefined;
  }
}
