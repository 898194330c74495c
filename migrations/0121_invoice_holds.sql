-- Invoices month close did not issue (docs/revenue.md "Held invoices"): one row per customer and
-- month, kept after release as the record of what happened.
CREATE TABLE invoice_holds (
  customer_id bigint NOT NULL REFERENCES customers (id),
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  reason text NOT NULL CHECK (reason IN ('currency_mismatch')),
  -- What the last close found, e.g. [{"month":"2026-10","currency":"EUR","records":3,"cost":"4.20"}].
  details jsonb NOT NULL,
  held_at timestamptz NOT NULL DEFAULT now(),
  -- The last close that found it still held.
  checked_at timestamptz NOT NULL DEFAULT now(),
  -- The ops alert raised when it was first held (once per hold, not per re-run).
  alert_id bigint REFERENCES ops_alerts (id),
  -- A re-run after the data was corrected issued the invoice.
  released_at timestamptz,
  invoice_id bigint REFERENCES invoices (id),
  PRIMARY KEY (customer_id, month),
  CHECK ((released_at IS NULL) = (invoice_id IS NULL))
);
CREATE INDEX invoice_holds_open ON invoice_holds (month) WHERE released_at IS NULL;
