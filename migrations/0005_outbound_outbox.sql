-- Outbound sync (WARP → HubSpot): the transactional outbox, WARP account/service events for the
-- HubSpot timeline, dead letters and ops alerts. See src/sync/outbound/.

-- One row per record waiting to be written to HubSpot. Coalescing happens here: a second change to
-- a record that is still pending bumps `seq` and `changes` instead of adding a row, and the worker
-- reads the record's current state when it sends, so ten edits become one write with the latest
-- values. `seq` tells a worker whether a change arrived while it was sending (then the row stays).
CREATE SEQUENCE outbox_seq;

CREATE TABLE outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  object_type text NOT NULL CHECK (object_type IN ('company', 'contact', 'trunk', 'number', 'event')),
  -- customers.id (company), users.user_id (contact), trunks.trunk_id, numbers.number, account_events.id
  record_key text NOT NULL,
  -- Company rows only: which WARP-owned properties to send (the union of all pending requests).
  fields text[] NOT NULL DEFAULT '{}',
  seq bigint NOT NULL DEFAULT nextval('outbox_seq'),
  changes integer NOT NULL DEFAULT 1,
  attempts integer NOT NULL DEFAULT 0,
  -- One entry per failed attempt: {at, message, status, correlationId}.
  errors jsonb NOT NULL DEFAULT '[]',
  available_at timestamptz NOT NULL DEFAULT now(),
  -- A claim is a lease, not a held lock: a worker killed mid-batch loses it when it expires.
  lease_until timestamptz,
  lease_owner text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (object_type, record_key)
);
CREATE INDEX outbox_ready ON outbox (object_type, available_at, id);

-- WARP account and service events, written to HubSpot as timeline events or company notes.
CREATE TABLE account_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers (id),
  kind text NOT NULL,
  occurred_at timestamptz NOT NULL,
  fields jsonb NOT NULL DEFAULT '{}',
  -- Edits of one record while its event is not yet being sent merge into one event
  -- ("trunk modified, 10 changes") instead of flooding the timeline.
  coalesce_key text,
  change_count integer NOT NULL DEFAULT 1,
  -- Set when a worker first tries to send it: from then on a retry must first look for the entry in
  -- HubSpot (the previous attempt may have reached it), and no more edits merge into it.
  dispatched_at timestamptz,
  hubspot_object_id text,
  sent_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX account_events_open_coalesce ON account_events (coalesce_key) WHERE dispatched_at IS NULL;
CREATE INDEX account_events_customer ON account_events (customer_id, occurred_at);

-- Records that failed every attempt (or were refused outright), kept for inspection and retry.
CREATE TABLE dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  object_type text NOT NULL,
  record_key text NOT NULL,
  payload jsonb,
  errors jsonb NOT NULL DEFAULT '[]',
  correlation_id text,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'retried', 'discarded')),
  created_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz
);
CREATE INDEX dead_letters_open ON dead_letters (status, id);

CREATE TABLE ops_alerts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  message text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  delivery_error text
);
