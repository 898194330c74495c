import { presentFigures } from '../report.js';
import type { DayFigures } from '../../store/usage-day-notes.js';
import { dayStartMs, DAY_MS } from '../days.js';

/**
 * The *Daily usage summary* note of a customer-day: the six figures of the day (docs/usage.md
 * "Figures": completed calls, minutes, SMS, spend, ASR, ACD), computed like the usage API, and a
 * marker so a retried create finds a note an earlier attempt already wrote. A note edited after
 * late records says so.
 */

/** No digit run of the marker is long enough to look like a card number to the outgoing guard. */
export const dayNoteMarker = (customerId: string, day: string): string => `warp-usage-${customerId}-d${day.replaceAll('-', '')}`;

/** Where the note sits on the timeline: the last second of the day it sums up. */
export const dayNoteTime = (day: string): Date => new Date(dayStartMs(day) + DAY_MS - 1000);

/** `4.65575` → `4.66`: a decimal string rounded half up to cents, exactly (no floating point). */
export function roundToCents(decimal: string): string {
  const [whole = '0', fraction = ''] = decimal.split('.');
  const thousandths = BigInt(whole + fraction.padEnd(3, '0').slice(0, 3));
  const cents = (thousandths + 5n) / 10n;
  const text = cents.toString().padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

const percent = (ratio: number | null): string => (ratio === null ? 'n/a' : `${(ratio * 100).toFixed(1)} %`);

export function dayNoteBody(row: DayFigures, correctedAt: Date | null): string {
  const f = presentFigures(row.day, { ...row, period: row.day });
  const lines = [
    `Daily usage summary for ${row.day} (UTC)`,
    `Calls completed: ${f.calls_completed}`,
    `Minutes used: ${f.minutes_used}`,
    `SMS sent: ${f.sms_sent}`,
    `Daily spend: ${roundToCents(f.spend)} USD`,
    `ASR: ${percent(f.asr)}`,
    `ACD: ${f.acd === null ? 'n/a' : `${f.acd} min`}`,
  ];
  if (correctedAt) lines.push(`Corrected ${correctedAt.toISOString()} (late or re-rated records)`);
  lines.push(`[${dayNoteMarker(row.customerId, row.day)}]`);
  return lines.join('\n');
}
