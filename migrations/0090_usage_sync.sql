-- Usage to HubSpot (docs/usage-sync.md): what the usage schedules last queued per company, the
-- live and hourly figures the company and trunk writes read, the daily usage summary notes, and
-- the once-only marks of the spend threshold and first-call notes.

-- Current sum of the latest active-call samples of the customer's trunks (set by the 5-minute run).
ALTER TABLE customers ADD COLUMN active_calls integer NOT NULL DEFAULT 0 CHECK (active_calls >= 0);

-- The last closed hour's highest active-calls sample and its share of the channel limit, in percent.
ALTER TABLE trunks ADD COLUMN peak_concurrent_calls integer CHECK (peak_concurrent_calls >= 0);
ALTER TABLE trunks ADD COLUMN utilization_pct numeric(7, 2) CHECK (utilization_pct >= 0);

-- The usage values last queued for each company: a run queues a company write only for the
-- properties whose value differs from this (null: never queued). Updated in the transaction that
-- queues the write, so a value is either queued and recorded, or neither.
CREATE TABLE usage_company_sent (
  customer_id bigint PRIMARY KEY REFERENCES customers (id),
  active_calls integer,
  mtd_spend numeric(14, 2),
  mtd_minutes bigint,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One Daily usage summary note per customer and day. `revision` is the day roll-up's revision
-- last queued, `sent_revision` the one HubSpot shows; a late change queues the same note again
-- (an edit). dispatched_at is set before the note is first created, so a retry looks for the
-- note's marker before it creates another.
CREATE TABLE usage_day_notes (
  customer_id bigint NOT NULL REFERENCES customers (id),
  day date NOT NULL,
  revision bigint NOT NULL,
  sent_revision bigint NOT NULL DEFAULT 0,
  -- The note as last queued: its text and its place on the timeline (the end of the day).
  body text NOT NULL,
  note_at timestamptz NOT NULL,
  dispatched_at timestamptz,
  hubspot_note_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  PRIMARY KEY (customer_id, day)
);

-- Things that happen once: the 80 % threshold alert per customer and month ('2026-12'), the first
-- successful call per customer (period ''). The primary key makes a second one impossible,
-- whatever the retries and instances.
CREATE TABLE usage_once_marks (
  customer_id bigint NOT NULL REFERENCES customers (id),
  kind text NOT NULL CHECK (kind IN ('spend_threshold', 'first_successful_call')),
  period text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, kind, period)
);

-- Where the 5-minute run stopped reading usage_late_days (late changes are looked at again from a
-- little before this, so a change committed late by a slow transaction is not missed).
CREATE TABLE usage_sync_cursor (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  late_days_read_at timestamptz NOT NULL DEFAULT 'epoch'
);
INSERT INTO usage_sync_cursor DEFAULT VALUES;

-- Daily usage summary notes go out through the outbox like every other HubSpot write.
ALTER TABLE outbox DROP CONSTRAINT outbox_object_type_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_object_type_check
  CHECK (object_type IN ('company', 'contact', 'trunk', 'number', 'event', 'usage_note'));
