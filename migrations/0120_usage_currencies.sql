-- Usage in any ISO 4217 currency (docs/usage.md "Money"). Invoices are in USD; month close holds a
-- customer's invoice for a month with usage in another currency (docs/revenue.md "Held invoices").

-- The current version's currency, so a correction takes its predecessor's currency back out (the
-- way it takes back its cost). Every record before this migration was USD, the only one accepted.
-- A constant default: no table rewrite.
ALTER TABLE usage_record_versions ADD COLUMN currency text NOT NULL DEFAULT 'USD';

-- Per customer, UTC day and currency other than USD: the current record versions in it (signed
-- count) and their cost as sent. Moved by ingest like the roll-ups, rebuilt by recompute; a row
-- whose records are back at 0 was corrected away. USD records never write here. No foreign key,
-- as on the other usage tables (0040).
CREATE TABLE usage_currency_days (
  customer_id bigint NOT NULL,
  day date NOT NULL,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$' AND currency <> 'USD'),
  records integer NOT NULL,
  cost numeric NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, day, currency)
);
