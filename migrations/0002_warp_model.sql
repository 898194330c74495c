-- WARP's cache of customer master data (owned by HubSpot) and its own technical configuration
-- (owned by WARP). Field ownership is decided in code (src/domain/crm-catalogue.ts); see docs/product-rules.md.
-- HubSpot ids are text, never numbers. `hubspot_updated_at` is the HubSpot modification time of the
-- last version we applied (stale events are ignored against it); `version` counts our own changes.

-- BANs are numeric strings, unique and never reused: a sequence never hands out a value twice.
CREATE SEQUENCE ban_seq START WITH 10001;

CREATE TABLE customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ban text UNIQUE CHECK (ban ~ '^[0-9]+$'),
  hubspot_company_id text UNIQUE,
  name text,
  domain text,
  industry text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'churned')),
  tier text CHECK (tier IN ('starter', 'growth', 'enterprise')),
  mrr numeric(14, 2),
  contract_end date,
  credit_limit numeric(14, 2) CHECK (credit_limit >= 0),
  payment_terms text,
  payment_method text CHECK (payment_method IN ('card', 'ach', 'wire')),
  payment_status text CHECK (payment_status IN ('current', 'past_due', 'suspended')),
  mtd_minutes bigint NOT NULL DEFAULT 0,
  mtd_spend numeric(14, 2) NOT NULL DEFAULT 0,
  api_enabled boolean NOT NULL DEFAULT false,
  sms_enabled boolean NOT NULL DEFAULT false,
  tcr_brand_id text,
  resporg_status text CHECK (resporg_status IN ('none', 'pending', 'active')),
  hubspot_updated_at timestamptz,
  version bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CHECK (ban IS NOT NULL OR hubspot_company_id IS NOT NULL)
);

CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id text UNIQUE CHECK (user_id ~ '^usr_[A-Za-z0-9_]+$'),
  hubspot_contact_id text UNIQUE,
  customer_id bigint REFERENCES customers (id),
  email text,
  firstname text,
  lastname text,
  phone text,
  role text CHECK (role IN ('admin', 'developer', 'billing', 'readonly')),
  twofa_enabled boolean NOT NULL DEFAULT false,
  last_login timestamptz,
  -- Only the number of API keys ever leaves WARP; key values are never stored here.
  api_key_count integer NOT NULL DEFAULT 0 CHECK (api_key_count >= 0),
  last_api_call timestamptz,
  hubspot_updated_at timestamptz,
  version bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CHECK (user_id IS NOT NULL OR hubspot_contact_id IS NOT NULL)
);
CREATE INDEX users_customer ON users (customer_id);
CREATE INDEX users_email ON users (lower(email));

CREATE TABLE deals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hubspot_deal_id text NOT NULL UNIQUE,
  customer_id bigint REFERENCES customers (id),
  hubspot_company_id text,
  name text,
  pipeline text,
  stage text,
  amount numeric(14, 2),
  closed_won_at timestamptz,
  hubspot_updated_at timestamptz,
  version bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);

CREATE TABLE trunks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  trunk_id text NOT NULL UNIQUE CHECK (trunk_id ~ '^trunk_[A-Za-z0-9_]+$'),
  customer_id bigint NOT NULL REFERENCES customers (id),
  name text NOT NULL,
  -- limited: spend at or above the credit limit, no new outbound calls (docs/product-rules.md "Dependent updates").
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'limited', 'disabled')),
  -- Why a trunk is not active, so reactivating an account restores only what the account suspended.
  status_reason text,
  ip_addresses inet[] NOT NULL DEFAULT '{}',
  concurrent_calls integer NOT NULL CHECK (concurrent_calls > 0),
  monthly_minutes bigint NOT NULL CHECK (monthly_minutes > 0),
  partition_id text,
  created_date date NOT NULL DEFAULT current_date,
  hubspot_object_id text UNIQUE,
  version bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX trunks_customer ON trunks (customer_id);

CREATE TABLE numbers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number text NOT NULL UNIQUE CHECK (number ~ '^\+[1-9][0-9]{6,14}$'),
  customer_id bigint NOT NULL REFERENCES customers (id),
  trunk_id bigint REFERENCES trunks (id),
  type text NOT NULL CHECK (type IN ('local', 'tollfree', 'mobile')),
  capabilities text[] NOT NULL DEFAULT '{}' CHECK (capabilities <@ ARRAY['voice', 'sms', 'mms', 'fax']::text[]),
  monthly_cost numeric(10, 2) NOT NULL DEFAULT 0 CHECK (monthly_cost >= 0),
  e911_address text,
  cnam text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'porting', 'pending_release', 'released')),
  release_after timestamptz,
  hubspot_object_id text UNIQUE,
  version bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX numbers_customer ON numbers (customer_id);
CREATE INDEX numbers_trunk ON numbers (trunk_id);
