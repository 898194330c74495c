-- The shared HubSpot rate budget: every process of warp-hubspot asks PostgreSQL before it sends a
-- request, so N processes together never exceed HubSpot's limits (docs/hubspot-facts.md "Rate limits"): the burst
-- limit per rolling window, the daily quota, and the search limit of 5 requests per second.
--
-- The budget is a sliding-window log with one row per request. A request is counted from its
-- grant until its response has come back (`settled_at` is NULL meanwhile, however long that takes),
-- and then for one more window (+ a safety margin) after `settled_at`. HubSpot saw the request at
-- some moment between grant and response, so every window HubSpot counts holds only requests we
-- count too: N processes together never exceed the limit, whatever their network or event-loop
-- delays. All times come from the database clock, so process clocks may drift. Requests whose
-- process died before settling stop counting after the in-flight timeout.

CREATE TABLE hubspot_rate_accounts (
  -- One HubSpot account (portal) and app: the burst limit is per app, the daily quota per account.
  account_key text PRIMARY KEY,
  -- The UTC day `daily_used` counts; a new day starts from zero.
  day date NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')::date,
  daily_used integer NOT NULL DEFAULT 0 CHECK (daily_used >= 0),
  -- Limits HubSpot reported in X-HubSpot-RateLimit-* headers; the lower of these and the
  -- configured ones applies, so a misconfigured limit cannot make us exceed the real one.
  observed_burst_limit integer CHECK (observed_burst_limit > 0),
  observed_daily_limit integer CHECK (observed_daily_limit > 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hubspot_rate_grants (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_key text NOT NULL REFERENCES hubspot_rate_accounts ON DELETE CASCADE,
  bucket text NOT NULL CHECK (bucket IN ('burst', 'search')),
  granted_at timestamptz NOT NULL,
  -- When the response (or the failure) came back; NULL while the request is in flight.
  settled_at timestamptz,
  tokens integer NOT NULL CHECK (tokens > 0),
  -- Usage we did not grant but learned about: HubSpot's headers showed more use than ours (another
  -- client of the same app), or a 429 told us the window is full.
  observed boolean NOT NULL DEFAULT false
);
CREATE INDEX hubspot_rate_grants_window ON hubspot_rate_grants (account_key, bucket, granted_at);

-- Demand that could not be served yet, per process and priority rank (0 = real-time). Lower
-- priorities in other processes leave this many tokens for them. Rows expire by themselves, so a
-- process that dies does not hold anything back for long.
CREATE TABLE hubspot_rate_waiters (
  account_key text NOT NULL REFERENCES hubspot_rate_accounts ON DELETE CASCADE,
  bucket text NOT NULL CHECK (bucket IN ('burst', 'search')),
  waiter_id text NOT NULL,
  rank smallint NOT NULL,
  wanted integer NOT NULL CHECK (wanted > 0),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (account_key, bucket, waiter_id)
);

-- Tokens counted in a bucket's window now: in-flight requests (younger than p_inflight_ms) and
-- requests settled within the last p_window_ms. Also returns when the oldest settled one leaves.
CREATE FUNCTION hubspot_rate_window(p_account text, p_bucket text, p_window_ms integer, p_inflight_ms integer, p_now timestamptz)
RETURNS TABLE (used integer, oldest_settled timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum(g.tokens), 0)::integer, min(g.settled_at)
  FROM hubspot_rate_grants g
  WHERE g.account_key = p_account AND g.bucket = p_bucket
    AND g.granted_at > p_now - (p_inflight_ms + p_window_ms) * interval '1 millisecond'
    AND (g.settled_at IS NULL OR g.settled_at > p_now - p_window_ms * interval '1 millisecond');
$$;

-- Grants up to p_wanted tokens to the caller at priority rank p_rank, one row per token. One call
-- is one round trip; the account row lock serialises callers, and because this is a plpgsql
-- function every statement after the lock sees the grants committed by whoever held it before.
--   p_window_ms     burst (or search) window plus the safety margin
--   p_inflight_ms   how long an unsettled request keeps counting (longer than any request takes)
--   p_daily_reserve tokens of the daily quota this rank must leave for higher ranks
-- Returns the granted row ids (settle them when the response is back) and, when fewer than
-- wanted, how long to wait and why: 'window' (burst or search window full), 'priority' (held for
-- higher ranks elsewhere), 'daily' (quota left is reserved for higher ranks).
CREATE FUNCTION hubspot_rate_acquire(
  p_account text, p_bucket text, p_waiter text, p_rank integer, p_wanted integer,
  p_limit integer, p_window_ms integer, p_inflight_ms integer, p_daily_limit integer, p_daily_reserve integer
) RETURNS TABLE (granted_ids bigint[], wait_ms integer, reason text, window_used integer, daily_remaining integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_today date := (v_now AT TIME ZONE 'UTC')::date;
  v_acct hubspot_rate_accounts;
  v_limit integer;
  v_daily_limit integer;
  v_daily_used integer;
  v_used integer;
  v_oldest timestamptz;
  v_reserved integer;
  v_free integer;
  v_daily_free integer;
  v_granted integer;
  v_ids bigint[] := '{}';
  v_wait integer := 0;
  v_reason text;
  -- Poll interval while the window is full of requests still in flight (their end is unknown).
  v_poll_ms integer := greatest(5, p_window_ms / 50);
BEGIN
  INSERT INTO hubspot_rate_accounts (account_key) VALUES (p_account) ON CONFLICT DO NOTHING;
  SELECT * INTO v_acct FROM hubspot_rate_accounts WHERE account_key = p_account FOR UPDATE;
  v_daily_used := CASE WHEN v_acct.day = v_today THEN v_acct.daily_used ELSE 0 END;
  v_limit := CASE WHEN p_bucket = 'burst' THEN least(p_limit, coalesce(v_acct.observed_burst_limit, p_limit)) ELSE p_limit END;
  v_daily_limit := least(p_daily_limit, coalesce(v_acct.observed_daily_limit, p_daily_limit));

  SELECT w.used, w.oldest_settled INTO v_used, v_oldest FROM hubspot_rate_window(p_account, p_bucket, p_window_ms, p_inflight_ms, v_now) w;

  DELETE FROM hubspot_rate_waiters w WHERE w.account_key = p_account AND w.expires_at < v_now;
  SELECT coalesce(sum(w.wanted), 0) INTO v_reserved FROM hubspot_rate_waiters w
  WHERE w.account_key = p_account AND w.bucket = p_bucket AND w.rank < p_rank AND w.waiter_id <> p_waiter;

  v_free := greatest(0, v_limit - v_used - v_reserved);
  v_daily_free := greatest(0, v_daily_limit - v_daily_used - p_daily_reserve);
  v_granted := least(p_wanted, v_free, v_daily_free);

  IF v_granted > 0 THEN
    WITH inserted AS (
      INSERT INTO hubspot_rate_grants (account_key, bucket, granted_at, tokens)
      SELECT p_account, p_bucket, v_now, 1 FROM generate_series(1, v_granted)
      RETURNING id
    )
    SELECT array_agg(id) INTO v_ids FROM inserted;
  END IF;
  UPDATE hubspot_rate_accounts SET day = v_today, daily_used = v_daily_used + v_granted, updated_at = v_now
  WHERE account_key = p_account;

  IF v_granted < p_wanted THEN
    IF v_daily_free <= v_granted THEN
      v_reason := 'daily';
      v_wait := ceil(extract(epoch FROM ((v_today + 1)::timestamp AT TIME ZONE 'UTC') - v_now) * 1000)::integer;
    ELSIF v_limit - v_used - v_granted <= 0 THEN
      v_reason := 'window';
      -- The oldest settled request leaves the window first; with none settled yet, poll.
      v_wait := CASE WHEN v_oldest IS NULL THEN v_poll_ms
        ELSE least(greatest(1, ceil(extract(epoch FROM (v_oldest + p_window_ms * interval '1 millisecond') - v_now) * 1000)::integer), p_window_ms) END;
    ELSE
      v_reason := 'priority';
      v_wait := greatest(1, p_window_ms / 20);
    END IF;
    -- Announce the unserved demand (not for the daily pause: a paused class must not hold back others).
    IF v_reason <> 'daily' THEN
      INSERT INTO hubspot_rate_waiters (account_key, bucket, waiter_id, rank, wanted, expires_at)
      VALUES (p_account, p_bucket, p_waiter, p_rank, p_wanted - v_granted,
              v_now + (least(v_wait, p_window_ms) + p_window_ms / 2) * interval '1 millisecond')
      ON CONFLICT ON CONSTRAINT hubspot_rate_waiters_pkey DO UPDATE
        SET rank = EXCLUDED.rank, wanted = EXCLUDED.wanted, expires_at = EXCLUDED.expires_at;
    END IF;
  ELSE
    DELETE FROM hubspot_rate_waiters w WHERE w.account_key = p_account AND w.bucket = p_bucket AND w.waiter_id = p_waiter;
  END IF;

  -- Keep the log small: grants older than any window we use are useless.
  IF random() < 0.02 THEN
    DELETE FROM hubspot_rate_grants g
    WHERE g.account_key = p_account AND g.granted_at < v_now - (p_inflight_ms + p_window_ms) * interval '1 millisecond' - interval '1 minute';
  END IF;

  RETURN QUERY SELECT v_ids, v_wait, v_reason, v_used + v_granted, v_daily_limit - v_daily_used - v_granted;
END;
$$;

-- Corrects the budget from what HubSpot reported: the limits in X-HubSpot-RateLimit-* headers,
-- usage HubSpot counted that we did not grant (added as an observed grant), and 429s (p_remaining
-- = 0 fills the window; p_daily_remaining = 0 exhausts the day). NULL arguments are ignored.
CREATE FUNCTION hubspot_rate_observe(
  p_account text, p_bucket text, p_window_ms integer, p_inflight_ms integer, p_max integer, p_remaining integer,
  p_daily_limit integer, p_daily_remaining integer
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_today date := (v_now AT TIME ZONE 'UTC')::date;
  v_used integer;
BEGIN
  INSERT INTO hubspot_rate_accounts (account_key) VALUES (p_account) ON CONFLICT DO NOTHING;
  PERFORM 1 FROM hubspot_rate_accounts WHERE account_key = p_account FOR UPDATE;
  UPDATE hubspot_rate_accounts a SET
    observed_burst_limit = CASE WHEN p_bucket = 'burst' THEN coalesce(p_max, a.observed_burst_limit) ELSE a.observed_burst_limit END,
    observed_daily_limit = coalesce(p_daily_limit, a.observed_daily_limit),
    daily_used = CASE
      WHEN p_daily_limit IS NULL OR p_daily_remaining IS NULL THEN CASE WHEN a.day = v_today THEN a.daily_used ELSE 0 END
      ELSE greatest(CASE WHEN a.day = v_today THEN a.daily_used ELSE 0 END, p_daily_limit - p_daily_remaining) END,
    day = v_today,
    updated_at = v_now
  WHERE a.account_key = p_account;

  IF p_max IS NOT NULL AND p_remaining IS NOT NULL THEN
    SELECT w.used INTO v_used FROM hubspot_rate_window(p_account, p_bucket, p_window_ms, p_inflight_ms, v_now) w;
    IF p_max - p_remaining > v_used THEN
      INSERT INTO hubspot_rate_grants (account_key, bucket, granted_at, settled_at, tokens, observed)
      VALUES (p_account, p_bucket, v_now, v_now, p_max - p_remaining - v_used, true);
    END IF;
  END IF;
END;
$$;
