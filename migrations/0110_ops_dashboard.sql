-- The ops dashboard (/ops, docs/ops-dashboard.md): sign-in sessions, the log of operator actions,
-- reviews of ownership conflicts, and one-minute samples of the sync's health for its charts.

-- A signed-in browser: the cookie holds a random token, only its SHA-256 is stored (a copy of this
-- table signs nobody in). Each session has its own CSRF token, sent back in every form.
CREATE TABLE ops_sessions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_hash bytea NOT NULL UNIQUE,
  csrf_token text NOT NULL,
  api_key_id bigint NOT NULL REFERENCES api_keys ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX ops_sessions_expiry ON ops_sessions (expires_at);

-- Every action taken from the dashboard (who, what, on what, when, with which result).
CREATE TABLE ops_actions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  api_key_id bigint,
  key_name text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  result text NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
  detail text
);

-- A conflict an operator has looked at: WARP's value kept, or HubSpot's taken through WARP.
ALTER TABLE sync_conflicts
  ADD COLUMN reviewed_at timestamptz,
  ADD COLUMN review text CHECK (review IN ('kept_warp', 'took_hubspot')),
  ADD COLUMN reviewed_by text;
CREATE INDEX sync_conflicts_open ON sync_conflicts (id DESC) WHERE reviewed_at IS NULL;

-- Open dead letters by object type (the dashboard's filter), newest first.
CREATE INDEX dead_letters_open_by_type ON dead_letters (object_type, id) WHERE status = 'open';
-- The kind of a dead letter's failure, from its last attempt (the dashboard's "error kind" filter;
-- the same classes as the API's attempt codes). Immutable, so open letters are indexed by it.
CREATE FUNCTION dead_letter_error_kind(errors jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN errors->-1->>'message' LIKE 'Refused to send%' THEN 'outgoing_guard'
    WHEN coalesce((errors->-1->>'status')::int, 0) = 0 THEN 'send_failed'
    WHEN (errors->-1->>'status')::int IN (400, 422) THEN 'hubspot_validation'
    WHEN (errors->-1->>'status')::int IN (401, 403) THEN 'hubspot_auth'
    WHEN (errors->-1->>'status')::int = 404 THEN 'hubspot_not_found'
    WHEN (errors->-1->>'status')::int = 409 THEN 'hubspot_conflict'
    WHEN (errors->-1->>'status')::int = 429 THEN 'hubspot_rate_limited'
    WHEN (errors->-1->>'status')::int >= 500 THEN 'hubspot_unavailable'
    ELSE 'hubspot_error' END
$$;
CREATE INDEX dead_letters_open_by_kind ON dead_letters (dead_letter_error_kind(errors), id) WHERE status = 'open';
-- A customer's open dead letters, by the record keys of its company, trunks, numbers and users.
CREATE INDEX dead_letters_open_by_record ON dead_letters (record_key) WHERE status = 'open';

-- One row per minute (the ops-sample schedule), kept 7 days: the overview's charts.
CREATE TABLE ops_samples (
  at timestamptz PRIMARY KEY,
  inbox_pending integer NOT NULL,
  inbox_lag_ms bigint NOT NULL,
  outbox_pending integer NOT NULL,
  outbox_lag_ms bigint NOT NULL,
  dead_letters_open integer NOT NULL,
  conflicts_open integer NOT NULL,
  burst_used integer NOT NULL,
  daily_used integer NOT NULL
);
