import type { Pool } from '../../db/pool.js';
import { alertKey, type TriggerName, triggerOf } from '../../domain/support.js';
import { claimRuleHour, type TrunkHour, trunkHourFigures } from '../../store/support-rules.js';
import { findOpenTicket, lastAlertOf, listOpenTickets, setHealthyHours } from '../../store/support-tickets.js';
import { closeClearedTicket, raiseAutoTicket, type StormSettings } from '../../warp/support.js';
import { valueOf } from '../../warp/result.js';

/**
 * WARP's own auto-ticket rules, evaluated by the hourly schedule on the last full hour's trunk
 * roll-ups (docs/support.md "Rules"). The table is data: a rule names its trigger and says, for one
 * trunk-hour, whether the trigger trips (with the `data` a monitoring request would carry), is
 * healthy, or cannot be judged (too few calls). A trigger healthy for `HEALTHY_HOURS_TO_CLOSE`
 * consecutive judged hours clears: its ticket is closed with a note. Re-running a slot counts
 * nothing twice (each ticket remembers the last hour counted).
 */

export interface RuleSettings {
  asrThreshold: number;
  asrMinAttempts: number;
}

type Verdict = { tripped: true; data: Record<string, unknown> & { trunk_id: string } } | { tripped: false } | null;

interface Rule {
  trigger: TriggerName;
  judge(hour: TrunkHour, settings: RuleSettings): Verdict;
  /** The note that closes the ticket. */
  cleared(trunkId: string, hours: number, settings: RuleSettings): string;
}

export const RULES: readonly Rule[] = [
  {
    trigger: 'asr_below_threshold',
    judge: (h, s) => {
      if (h.attempts < s.asrMinAttempts) return null;
      const asr = h.answered / h.attempts;
      if (asr >= s.asrThreshold) return { tripped: false };
      return { tripped: true, data: { trunk_id: h.trunkId, current_asr: Math.round(asr * 10_000) / 10_000, threshold: s.asrThreshold, period: 'last_hour', attempts: h.attempts } };
    },
    cleared: (trunkId, hours, s) => `Cleared: ASR back at or above ${Math.round(s.asrThreshold * 100)}% for ${hours} consecutive hours on ${trunkId}; closing.`,
  },
];

const HOUR_MS = 3_600_000;
export const HEALTHY_HOURS_TO_CLOSE = 2;

export async function evaluateRules(pool: Pool, settings: RuleSettings & { storm: StormSettings }, slotAt: Date): Promise<Record<string, number>> {
  const hourEnd = new Date(Math.floor(slotAt.getTime() / HOUR_MS) * HOUR_MS);
  const hour = new Date(hourEnd.getTime() - HOUR_MS);
  const figures = await trunkHourFigures(pool, hour);
  const counts = { trunksJudged: 0, raised: 0, healthy: 0, closed: 0 };
  for (const rule of RULES) {
    const definition = triggerOf(rule.trigger)!;
    for (const figure of figures) {
      const verdict = rule.judge(figure, settings);
      if (!verdict) continue;
      counts.trunksJudged += 1;
      const open = await findOpenTicket(pool, alertKey(rule.trigger, figure.ban, figure.trunkId));
      if (open && !(await claimRuleHour(pool, open.id, hour))) continue;
      if (verdict.tripped) {
        const data = definition.data.parse(verdict.data);
        const raised = valueOf(await raiseAutoTicket({ pool }, { trigger: rule.trigger, definition: definition, ban: figure.ban, data, at: hourEnd }, settings.storm));
        if (raised.outcome === 'created') await claimRuleHour(pool, raised.ticket.id, hour);
        counts.raised += 1;
      } else if (open) {
        counts.healthy += 1;
        const healthy = open.healthyHours + 1;
        if (healthy < HEALTHY_HOURS_TO_CLOSE) await setHealthyHours(pool, open.id, healthy);
        else if (valueOf(await closeClearedTicket({ pool }, open, rule.cleared(figure.trunkId, healthy, settings), hourEnd))) counts.closed += 1;
      }
    }
    counts.closed += await closeQuietStorms(pool, rule.trigger, hourEnd);
  }
  return counts;
}

/** A storm's platform ticket closes once no customer has reported its trigger for two hours. */
async function closeQuietStorms(pool: Pool, trigger: string, now: Date): Promise<number> {
  let closed = 0;
  for (const ticket of (await listOpenTickets(pool, [trigger])).filter((t) => t.isStorm)) {
    const last = (await lastAlertOf(pool, trigger)) ?? ticket.lastAlertAt;
    if (now.getTime() - last.getTime() < HEALTHY_HOURS_TO_CLOSE * HOUR_MS) continue;
    if (valueOf(await closeClearedTicket({ pool }, ticket, `Cleared: no customer reported ${trigger} for ${HEALTHY_HOURS_TO_CLOSE} hours; closing the platform incident.`, now))) closed += 1;
  }
  return closed;
}
