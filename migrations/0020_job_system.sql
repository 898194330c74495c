-- The job system (src/jobs/, graphile-worker 0.17.3, whose own schema `graphile_worker` is
-- migrated before these files) and schedules as data (src/schedules/) with their run history.

-- graphile-worker hands a job locked by a worker that died back to the queue only after 4 hours.
-- Each job runner registers here and heartbeats; the other runners declare one whose heartbeat
-- stopped dead and release its jobs (graphile_worker.force_unlock_workers), so a killed instance's
-- work resumes within about a minute.
CREATE TABLE job_runners (
  -- graphile-worker's worker pool id: what it writes into a locked job's `locked_by`.
  runner_id text PRIMARY KEY,
  instance_id text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- One row per run of one slot of a schedule (a slot is the time the cron expression named). A
-- retried, backfilled or duplicated slot adds rows, but the partial unique index below makes two
-- successful runs of one slot impossible; a manual re-run marks the earlier success `superseded`.
CREATE TABLE schedule_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  schedule_name text NOT NULL,
  slot_at timestamptz NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('cron', 'backfill', 'manual')),
  instance_id text NOT NULL,
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  -- `abandoned`: the instance running it died; a later attempt of the slot found it unfinished.
  outcome text NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'succeeded', 'failed', 'abandoned', 'superseded')),
  -- As API clients may see it: a stable code and a short message scrubbed of personal data and
  -- secrets (the full error is in the service log).
  error_code text,
  error text,
  counts jsonb NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX schedule_runs_one_success ON schedule_runs (schedule_name, slot_at) WHERE outcome = 'succeeded';
CREATE INDEX schedule_runs_recent ON schedule_runs (schedule_name, started_at DESC);
CREATE INDEX schedule_runs_slot ON schedule_runs (schedule_name, slot_at);

-- Import/reconcile jobs and onboardings run as graphile-worker jobs: the job holds the lock and
-- the retry schedule; these tables keep what the API reports (status, progress, steps done).
ALTER TABLE sync_jobs DROP COLUMN locked_until;
ALTER TABLE sync_jobs ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE onboardings DROP COLUMN locked_until, DROP COLUMN next_attempt_at;

-- Work that was waiting in the old tables when this migration runs gets its job.
SELECT graphile_worker.add_job('customer-sync', json_build_object('syncJobId', id::text),
         queue_name => 'customer-sync', job_key => 'customer-sync:' || id, max_attempts => 3)
FROM sync_jobs WHERE status IN ('queued', 'running');
SELECT graphile_worker.add_job('onboarding', json_build_object('dealId', hubspot_deal_id),
         job_key => 'onboarding:' || hubspot_deal_id, max_attempts => 10)
FROM onboardings WHERE status = 'pending';
