-- 10DLC campaign registrations per customer (POST /api/v1/customers/{ban}/messaging/campaigns).
-- TCR (The Campaign Registry) ids are 7 upper-case letters or digits, starting with C for a
-- campaign and B for a brand. A campaign id is recorded once, for one customer; each registration
-- is also a "Campaign registered" entry on the company's HubSpot timeline (account_events).
CREATE TABLE messaging_campaigns (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id text NOT NULL UNIQUE CHECK (campaign_id ~ '^C[A-Z0-9]{6}$'),
  customer_id bigint NOT NULL REFERENCES customers (id),
  brand_id text NOT NULL CHECK (brand_id ~ '^B[A-Z0-9]{6}$'),
  -- One of TCR's standard use cases; the API checks the list (src/domain/value-sets.ts).
  use_case text NOT NULL,
  description text,
  -- E.164 numbers of the customer the campaign sends from.
  numbers text[] NOT NULL DEFAULT '{}',
  registered_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messaging_campaigns_customer ON messaging_campaigns (customer_id, id);
