-- Revenue: recurring charges, monthly invoices, revenue snapshots and churn analysis
-- (docs/revenue.md explains every rule relied on here). Money is numeric(14,2): exact cents.

-- The optional recurring fee of a trunk; numbers already carry monthly_cost.
ALTER TABLE trunks ADD COLUMN monthly_fee numeric(10, 2) NOT NULL DEFAULT 0 CHECK (monthly_fee >= 0);

-- WARP-owned company facts the revenue schedules compute and send (catalogue rows warp_…).
ALTER TABLE customers
  ADD COLUMN usage_revenue_last_month numeric(14, 2),
  ADD COLUMN last_invoice_total numeric(14, 2),
  ADD COLUMN last_invoice_date date,
  ADD COLUMN usage_trend_pct numeric(9, 1),
  ADD COLUMN churn_risk text CHECK (churn_risk IN ('low', 'medium', 'high')),
  ADD COLUMN churn_reasons text;

-- Gapless invoice numbers per year: the issuing transaction locks its year's row, so a rollback
-- gives the numbers back and two issuers never interleave.
CREATE TABLE invoice_number_counters (
  year integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 9999),
  last_number integer NOT NULL CHECK (last_number >= 0)
);

-- One immutable invoice per customer and closed month (UNIQUE: whatever the retries, instances
-- and re-runs). Only the HubSpot delivery columns ever change after the insert.
CREATE TABLE invoices (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number text NOT NULL UNIQUE CHECK (number ~ '^WARP-[0-9]{4}-[0-9]{6}$'),
  customer_id bigint NOT NULL REFERENCES customers (id),
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  invoice_date date NOT NULL,
  due_date date NOT NULL,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  recurring_total numeric(14, 2) NOT NULL,
  usage_total numeric(14, 2) NOT NULL,
  adjustment_total numeric(14, 2) NOT NULL,
  total numeric(14, 2) NOT NULL CHECK (total = recurring_total + usage_total + adjustment_total),
  issued_at timestamptz NOT NULL DEFAULT now(),
  -- HubSpot delivery: native invoice (0-53 with line items) or the "Invoice generated" note.
  hubspot_path text CHECK (hubspot_path IN ('native', 'note')),
  -- Set before the first HubSpot call: a retry after it looks the invoice up before creating it.
  hubspot_dispatched_at timestamptz,
  hubspot_invoice_id text,
  hubspot_sent_at timestamptz,
  UNIQUE (customer_id, month)
);
CREATE INDEX invoices_month ON invoices (month);
CREATE INDEX invoices_undelivered ON invoices (id) WHERE hubspot_sent_at IS NULL;

-- service_month: the month a line charges for (the invoice's month, or an earlier month for an
-- adjustment of late usage). amount = what the line adds to the total.
CREATE TABLE invoice_lines (
  invoice_id bigint NOT NULL REFERENCES invoices (id),
  line_no smallint NOT NULL CHECK (line_no >= 1),
  kind text NOT NULL CHECK (kind IN ('recurring', 'usage', 'adjustment')),
  description text NOT NULL,
  item_ref text,
  service_month date NOT NULL,
  quantity integer NOT NULL CHECK (quantity >= 1),
  unit_amount numeric(14, 2) NOT NULL,
  amount numeric(14, 2) NOT NULL CHECK (amount = unit_amount * quantity),
  PRIMARY KEY (invoice_id, line_no)
);

-- What month close recorded per customer and closed month, for the growth metrics: MRR at the end
-- of the month (recurring only) and usage revenue (the month's spend in cents). Recomputable.
CREATE TABLE revenue_months (
  customer_id bigint NOT NULL REFERENCES customers (id),
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  mrr numeric(14, 2) NOT NULL CHECK (mrr >= 0),
  usage_revenue numeric(14, 2) NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (month, customer_id)
);
