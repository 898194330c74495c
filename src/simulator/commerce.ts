/**
 * Commerce objects' computed values and rules: line items and invoices (0-8, 0-53), applied by
 * records.ts to every create and update before anything is written.
 */
import type { SimContext } from './context.js';
import { validation } from './errors.js';
import { INVOICE_TYPE_ID, LINE_ITEM_TYPE_ID, type ObjectTypeInfo } from './object-types.js';
import type { StoredRecord } from './state.js';
import { listAssociated } from './associations-store.js';

const DAY_MS = 86_400_000;
/** Choice: HubSpot autosets the due date "if a date isn't provided" without saying how far out. */
const DEFAULT_INVOICE_TERM_DAYS = 30;

/**
 * Values HubSpot computes for commerce objects: a line item's net price (`amount` = price ×
 * quantity); an invoice's defaults (status `draft`, invoice and due dates), and on the move to
 * `open` its documented preconditions (a contact and at least one line item associated) and its
 * number and totals from the line items.
 */
export function deriveCommerce(ctx: SimContext, type: ObjectTypeInfo, record: StoredRecord | undefined, merged: Record<string, string>, written: Record<string, string>): void {
  if (type.objectTypeId === LINE_ITEM_TYPE_ID && (written.price !== undefined || written.quantity !== undefined)) {
    const price = Number(merged.price ?? 0);
    const quantity = Number(merged.quantity === undefined || merged.quantity === '' ? 1 : merged.quantity);
    merged.amount = String(Math.round(price * quantity * 100) / 100);
  }
  if (type.objectTypeId !== INVOICE_TYPE_ID) return;
  const now = ctx.clock.now();
  if (!record) {
    merged.hs_invoice_status ||= 'draft';
    merged.hs_invoice_date ||= new Date(now).toISOString();
    merged.hs_due_date ||= new Date(Date.parse(merged.hs_invoice_date) + DEFAULT_INVOICE_TERM_DAYS * DAY_MS).toISOString();
  }
  const before = record?.properties.hs_invoice_status ?? '';
  if (merged.hs_invoice_status === 'open' && before !== 'open') {
    const contacts = record ? listAssociated(ctx, INVOICE_TYPE_ID, record.id, '0-1') : [];
    const lines = record ? listAssociated(ctx, INVOICE_TYPE_ID, record.id, LINE_ITEM_TYPE_ID) : [];
    if (contacts.length === 0 || lines.length === 0) {
      throw validation('An invoice can only move to open once a contact and at least one line item are associated with it.',
        [{ message: 'associate a contact and line items first', code: 'INVALID_INVOICE_STATE', context: { propertyName: ['hs_invoice_status'] } }]);
    }
    const items = ctx.state.objects[LINE_ITEM_TYPE_ID] ?? {};
    const total = lines.reduce((sum, [id]) => sum + Number(items[id]?.properties.amount ?? 0), 0);
    merged.hs_amount_billed = String(Math.round(total * 100) / 100);
    merged.hs_balance_due = merged.hs_amount_billed;
    merged.hs_number ||= `INV-${record?.id ?? ''}`;
  }
  if (merged.hs_invoice_status === 'paid' && before !== 'paid') merged.hs_balance_due = '0';
}

