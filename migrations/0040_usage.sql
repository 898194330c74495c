-- Usage: rated call and message records and active-call samples from WARP's switches, and their
-- roll-ups (docs/usage.md explains every rule relied on here).
--
-- Raw records are partitioned by UTC day of their start and kept USAGE_RAW_RETENTION_DAYS by
-- dropping whole partitions; partitions are created on demand (src/store/usage-partitions.ts).
-- Exactness does not rest on the raw tables: a unique index on a partitioned table must contain
-- the partition key, so it cannot see a correction that moves a call to another day. One
-- unpartitioned table, usage_record_versions, holds the current version of every record id and
-- is the only dedup authority; the raw tables are the append-only history of accepted versions.

-- What the current version of each record says, in the few fields the roll-ups are made of, so a
-- correction subtracts exactly what its predecessor added. kind: 'c' call, 'm' message.
-- ok: the call was answered / the message did not fail.
CREATE TABLE usage_record_versions (
  kind "char" NOT NULL CHECK (kind IN ('c', 'm')),
  record_id text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  trunk_id bigint NOT NULL,
  customer_id bigint NOT NULL,
  started_at timestamptz NOT NULL,
  outbound boolean NOT NULL,
  ok boolean NOT NULL,
  billable_seconds integer NOT NULL CHECK (billable_seconds >= 0),
  cost numeric NOT NULL,
  PRIMARY KEY (kind, record_id)
) WITH (fillfactor = 90);
-- Pruning forgets ids by age.
CREATE INDEX usage_record_versions_started ON usage_record_versions USING brin (started_at);

-- No foreign keys on the usage tables: trunks and customers are never hard-deleted, and a check
-- would cost a lookup per row on the hottest path plus a KEY SHARE lock on the customer row that
-- every concurrent batch would pile onto (and that the month-to-date update would then wait for).
CREATE TABLE usage_calls (
  call_id text NOT NULL,
  version integer NOT NULL,
  trunk_id bigint NOT NULL,
  customer_id bigint NOT NULL,
  outbound boolean NOT NULL,
  started_at timestamptz NOT NULL,
  answered_at timestamptz,
  ended_at timestamptz NOT NULL,
  billable_seconds integer NOT NULL,
  sip_code smallint NOT NULL,
  cost numeric NOT NULL,
  -- E.164 numbers are personal data: stored, never logged, never sent to HubSpot.
  from_number text,
  to_number text,
  received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (started_at);

CREATE TABLE usage_messages (
  message_id text NOT NULL,
  version integer NOT NULL,
  trunk_id bigint NOT NULL,
  customer_id bigint NOT NULL,
  outbound boolean NOT NULL,
  sent_at timestamptz NOT NULL,
  segments integer NOT NULL,
  status text NOT NULL,
  cost numeric NOT NULL,
  from_number text,
  to_number text,
  received_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (sent_at);

-- A sample's time never moves, so here the per-partition key is exact: (trunk, at) is one reading;
-- a second report of it keeps the higher value.
CREATE TABLE usage_active_samples (
  trunk_id bigint NOT NULL,
  at timestamptz NOT NULL,
  active_calls integer NOT NULL CHECK (active_calls >= 0),
  PRIMARY KEY (trunk_id, at)
) PARTITION BY RANGE (at);

-- Days at or before pruned_through have had their raw partitions dropped: no partition is ever
-- created for them again, records for them are too old, and recompute leaves their roll-ups alone.
CREATE TABLE usage_retention (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  pruned_through date
);
INSERT INTO usage_retention DEFAULT VALUES;

-- Roll-ups, kept forever. Every batch updates the current hour's and day's rows, so pages keep
-- room for the new row versions on the same page (HOT updates, no index churn): fillfactor 50. The additive figures; the product's figures derive from them:
-- minutes_used = billable_seconds / 60, asr = outbound_answered / calls_attempted,
-- acd = outbound_answered_seconds / outbound_answered / 60.
-- revision counts changes; the HubSpot push records the revision it sent in sent_revision, so
-- revision > sent_revision means "changed since last sent" (a compare-and-set, so a change that
-- lands while a push is in flight is not lost).
CREATE TABLE usage_trunk_hours (
  trunk_id bigint NOT NULL,
  hour timestamptz NOT NULL,
  customer_id bigint NOT NULL,
  calls_attempted bigint NOT NULL DEFAULT 0,
  calls_completed bigint NOT NULL DEFAULT 0,
  outbound_answered bigint NOT NULL DEFAULT 0,
  outbound_answered_seconds bigint NOT NULL DEFAULT 0,
  billable_seconds bigint NOT NULL DEFAULT 0,
  sms_sent bigint NOT NULL DEFAULT 0,
  spend numeric NOT NULL DEFAULT 0,
  -- Highest active-calls sample in the hour; null without samples.
  peak_active_calls integer,
  revision bigint NOT NULL DEFAULT 1,
  sent_revision bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (trunk_id, hour)
) WITH (fillfactor = 50);

CREATE TABLE usage_customer_days (
  customer_id bigint NOT NULL,
  day date NOT NULL,
  calls_attempted bigint NOT NULL DEFAULT 0,
  calls_completed bigint NOT NULL DEFAULT 0,
  outbound_answered bigint NOT NULL DEFAULT 0,
  outbound_answered_seconds bigint NOT NULL DEFAULT 0,
  billable_seconds bigint NOT NULL DEFAULT 0,
  sms_sent bigint NOT NULL DEFAULT 0,
  spend numeric NOT NULL DEFAULT 0,
  revision bigint NOT NULL DEFAULT 1,
  sent_revision bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, day)
) WITH (fillfactor = 50);

CREATE TABLE usage_customer_months (
  customer_id bigint NOT NULL,
  -- The first day of the UTC month.
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  calls_attempted bigint NOT NULL DEFAULT 0,
  calls_completed bigint NOT NULL DEFAULT 0,
  outbound_answered bigint NOT NULL DEFAULT 0,
  outbound_answered_seconds bigint NOT NULL DEFAULT 0,
  billable_seconds bigint NOT NULL DEFAULT 0,
  sms_sent bigint NOT NULL DEFAULT 0,
  spend numeric NOT NULL DEFAULT 0,
  revision bigint NOT NULL DEFAULT 1,
  sent_revision bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, month)
) WITH (fillfactor = 50);

-- Customer-days whose figures changed after the day had ended (late records and corrections):
-- the daily push re-sends the month-to-date figures and edits that day's summary note, then
-- deletes the row if last_changed_at is still what it read.
CREATE TABLE usage_late_days (
  customer_id bigint NOT NULL,
  day date NOT NULL,
  changes bigint NOT NULL DEFAULT 1,
  first_changed_at timestamptz NOT NULL DEFAULT now(),
  last_changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, day)
);

-- Switches post with their own integration key: it may post usage and nothing else.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check
  CHECK (scopes <@ ARRAY['read', 'write', 'admin', 'usage:write']::text[] AND cardinality(scopes) > 0);
