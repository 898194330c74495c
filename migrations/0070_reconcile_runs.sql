-- Reconcile runs (src/sync/reconcile/): full and incremental comparisons of HubSpot with the cache
-- and WARP's tables. A run is resumable: its cursor per object type and its drift report are
-- committed with every page it repairs, so a crash or a restart continues from the last committed
-- page. At most one run is active (queued, running or paused) across every instance.
CREATE TABLE reconcile_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mode text NOT NULL CHECK (mode IN ('full', 'incremental')),
  dry_run boolean NOT NULL DEFAULT false,
  objects text[] NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('manual', 'schedule')),
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'paused', 'succeeded', 'failed')),
  -- Per object type: the phase it is in and where it stands (a list cursor, a row id, a search window).
  cursors jsonb NOT NULL DEFAULT '{}',
  -- Per object type and field: records that differ and what was (or, in a dry run, would be) done.
  report jsonb NOT NULL DEFAULT '{}',
  -- Records expected per object type (from the cache and WARP's tables), for progress and ETA.
  estimate jsonb NOT NULL DEFAULT '{}',
  requests integer NOT NULL DEFAULT 0,
  paused_until timestamptz,
  pause_reason text,
  error text,
  error_code text,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE UNIQUE INDEX reconcile_runs_one_active ON reconcile_runs ((true)) WHERE status IN ('queued', 'running', 'paused');
CREATE INDEX reconcile_runs_recent ON reconcile_runs (id DESC);

-- Incremental reconcile: per object type, the HubSpot last-modified time up to which every change was compared.
CREATE TABLE reconcile_watermarks (
  object_type text PRIMARY KEY,
  modified_through timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The full run marks each row whose record HubSpot listed; rows left unmarked were deleted or
-- merged there (cache) or are missing there (trunks, numbers). Nullable, no default: adding it
-- rewrites nothing.
ALTER TABLE customers ADD COLUMN reconcile_seen bigint;
ALTER TABLE users ADD COLUMN reconcile_seen bigint;
ALTER TABLE deals ADD COLUMN reconcile_seen bigint;
ALTER TABLE trunks ADD COLUMN reconcile_seen bigint;
ALTER TABLE numbers ADD COLUMN reconcile_seen bigint;
