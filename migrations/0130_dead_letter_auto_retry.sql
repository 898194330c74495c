-- Dead letters of passing causes are retried automatically once HubSpot answers again (issue 17
-- item 6, src/sync/outbound/dead-letter-retry.ts); an operator's retry, one or in bulk, stays on top.
--
-- `transient`: the record was dead-lettered for a passing cause (5xx, 429, a timeout or a lost
-- connection that outlasted the retry budget), not for a refusal HubSpot would repeat (400, 404,
-- 409, the outgoing guard, a worker that died on it every time).
-- `retried_automatically`: closed by the automatic retry rather than by an operator. A record is
-- retried automatically a few times a day at most, so one that fails "transiently" for good ends
-- as an open dead letter for a person instead of cycling forever.
ALTER TABLE dead_letters
  ADD COLUMN transient boolean NOT NULL DEFAULT false,
  ADD COLUMN retried_automatically boolean NOT NULL DEFAULT false;

-- Letters from before this column: their last error tells (a 5xx or a 429 answer).
UPDATE dead_letters SET transient = true
WHERE status = 'open' AND dead_letter_error_kind(errors) IN ('hubspot_unavailable', 'hubspot_rate_limited');

CREATE INDEX dead_letters_open_transient ON dead_letters (id) WHERE status = 'open' AND transient;
CREATE INDEX dead_letters_retried_automatically ON dead_letters (object_type, record_key, resolved_at) WHERE retried_automatically;
