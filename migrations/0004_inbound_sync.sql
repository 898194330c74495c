-- Inbound sync (HubSpot → WARP): the webhook inbox, per-field versions for ordering, the audit
-- trail, field-ownership conflicts, background sync jobs and the onboarding state per deal.

-- Every verified webhook request body, exactly as received, committed before HubSpot gets its 2xx.
-- One row per request keeps the acknowledgement cheap; the inbox workers expand each batch into
-- `webhook_inbox` events (deduplicated there) in the transaction that marks it expanded.
CREATE TABLE webhook_batches (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  body text NOT NULL,
  event_count integer NOT NULL,
  expanded_at timestamptz
);
CREATE INDEX webhook_batches_unexpanded ON webhook_batches (id) WHERE expanded_at IS NULL;

-- Every webhook event, once. `dedupe_key` is built from
-- the event's identifying fields (eventId alone is not unique, docs/hubspot-facts.md "Webhooks") without
-- `attemptNumber`, so retries and duplicated deliveries collapse into one row.
CREATE TABLE webhook_inbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dedupe_key text NOT NULL UNIQUE,
  subscription_type text NOT NULL,
  object_id text,
  occurred_at timestamptz NOT NULL,
  event jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'applied', 'ignored', 'failed')),
  -- Why an event was applied or ignored (stale, echo, conflict, unknown_property, ...).
  outcome text,
  attempts integer NOT NULL DEFAULT 0,
  -- A worker's claim expires at this time, so a crashed worker's events are picked up again.
  locked_until timestamptz,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  processed_at timestamptz
);
CREATE INDEX webhook_inbox_ready ON webhook_inbox (next_attempt_at, occurred_at, id) WHERE status IN ('pending', 'processing');
-- Claiming takes only the earliest unfinished event of each object (per-object order).
CREATE INDEX webhook_inbox_object_open ON webhook_inbox (object_id, occurred_at, id) WHERE status IN ('pending', 'processing');
CREATE INDEX webhook_inbox_failed ON webhook_inbox (processed_at) WHERE status = 'failed';

-- v3 signatures seen in the last few minutes: a byte-identical request replayed inside the
-- timestamp window is refused. Rows older than the window are pruned by the receiver.
CREATE TABLE webhook_replay_guard (
  signature text PRIMARY KEY,
  seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_replay_guard_seen ON webhook_replay_guard (seen_at);

-- The HubSpot time of the newest change applied per object and property. Events older than this
-- are stale and ignored, which makes the result independent of delivery order. `property` '*'
-- tracks the object's lifecycle (creation, deletion, restore, merge).
CREATE TABLE sync_field_versions (
  object_type text NOT NULL,
  object_id text NOT NULL,
  property text NOT NULL,
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (object_type, object_id, property)
);

-- Append-only history of every change to the cache. PII fields record that they changed, never
-- their values (docs/product-rules.md "Privacy and safety").
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  entity_type text NOT NULL,
  entity_id text NOT NULL,
  source text NOT NULL,
  event text NOT NULL,
  inbox_id bigint,
  -- {"field": {"before": …, "after": …}} or {"email": {"changed": true}} for PII.
  changes jsonb NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, id);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- A change from the side that does not own a field: not applied, kept for review; the owner's
-- value is written back (docs/product-rules.md "Field ownership").
CREATE TABLE sync_conflicts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  detected_at timestamptz NOT NULL DEFAULT now(),
  object_type text NOT NULL,
  object_id text NOT NULL,
  property text NOT NULL,
  owner text NOT NULL CHECK (owner IN ('hubspot', 'warp')),
  hubspot_value text,
  warp_value text,
  hubspot_source text,
  changed_at timestamptz NOT NULL,
  resolution text NOT NULL,
  inbox_id bigint
);
CREATE INDEX sync_conflicts_detected ON sync_conflicts (detected_at DESC, id DESC);

-- Background sync jobs (full import, reconcile): durable so status survives restarts.
CREATE TABLE sync_jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('import', 'reconcile')),
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  progress jsonb NOT NULL DEFAULT '{}',
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  locked_until timestamptz
);
CREATE INDEX sync_jobs_recent ON sync_jobs (created_at DESC);

-- Onboarding after a deal is won, one row per deal: the steps already done make every step run
-- at most once, across replays of the deal-won event and crashes mid-flow.
CREATE TABLE onboardings (
  hubspot_deal_id text PRIMARY KEY,
  hubspot_company_id text,
  customer_id bigint REFERENCES customers (id),
  ban text,
  steps_done text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX onboardings_due ON onboardings (next_attempt_at) WHERE status = 'pending';

-- The welcome email of an onboarding. `sending` is committed before the SMTP call, so a crash
-- during it never leads to a second email (at most once; the row says it needs a look).
CREATE TABLE welcome_emails (
  hubspot_deal_id text PRIMARY KEY REFERENCES onboardings (hubspot_deal_id),
  hubspot_contact_id text,
  status text NOT NULL CHECK (status IN ('sending', 'sent', 'not_sent', 'unknown')),
  message_id text,
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
