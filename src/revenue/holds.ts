import type { Queryable } from '../db/pool.js';
import { insertAlert, type OpsAlert } from '../store/alerts.js';
import { findAccounts } from '../store/accounts.js';
import { describeHeldCurrencies, type HeldCurrency, type NewHold, recordHolds, setHoldAlert } from '../store/invoice-holds.js';
import { BILLING_CURRENCY, type ForeignCurrencyUsage } from '../store/usage-currencies.js';
import type { InvoiceFacts } from './invoice-lines.js';

/**
 * Held invoices (docs/revenue.md "Held invoices"). Invoices are in USD; a customer whose invoice
 * would carry usage in another currency — the closed month's, or an earlier month's that the
 * invoice adjusts — gets no invoice: it is held with the reason, ops are alerted once, and the
 * other customers are issued. A close of the month after the records were corrected issues it.
 */

/** The foreign-currency usage that would reach this invoice; empty: issue it. */
export function currencyMismatch(facts: InvoiceFacts, foreign: readonly ForeignCurrencyUsage[]): HeldCurrency[] {
  const adjusted = new Set(facts.lateUsage.filter((late) => late.currentCents !== late.billedCents).map((late) => late.serviceMonth));
  return foreign
    .filter((usage) => usage.month === facts.month || adjusted.has(usage.month))
    .map(({ month, currency, records, cost }) => ({ month, currency, records, cost }));
}

/**
 * Records the chunk's holds and, for the customers held for the first time, one ops alert each
 * (in the caller's transaction; it delivers them after commit).
 */
export async function holdInvoices(tx: Queryable, month: string, holds: readonly NewHold[]): Promise<OpsAlert[]> {
  const fresh = new Set(await recordHolds(tx, month, holds));
  if (fresh.size === 0) return [];
  const banOf = new Map((await findAccounts(tx, [...fresh])).map((a) => [a.id, a.ban]));
  const alerts: OpsAlert[] = [];
  for (const hold of holds.filter((h) => fresh.has(h.customerId))) {
    const ban = banOf.get(hold.customerId) ?? null;
    const alert = await insertAlert(tx, {
      kind: 'invoice_held',
      message: `Invoice of BAN ${ban ?? '?'} for ${month} held (currency_mismatch): ${describeHeldCurrencies(hold.details)}, but invoices are in ${BILLING_CURRENCY}. ` +
        `Send the records again re-rated in ${BILLING_CURRENCY} (a higher version), then close the month again.`,
      details: { customerId: hold.customerId, ban, month, reason: hold.reason, currencies: hold.details },
    });
    await setHoldAlert(tx, hold.customerId, month, alert.id);
    alerts.push(alert);
  }
  return alerts;
}
