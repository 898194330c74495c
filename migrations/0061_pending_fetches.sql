-- Full records to read from HubSpot after an event that carries no values (creation, restore,
-- merge). Queued in the transaction that applies the event, so a worker that dies before the read
-- loses nothing: another worker reads it; a failed read is retried with back-off (M7).
CREATE TABLE pending_fetches (
  object_type text NOT NULL,
  hubspot_id text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  -- When it may next be claimed; a claim moves it forward by the lease, so a dead worker's claim returns.
  available_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (object_type, hubspot_id)
);
CREATE INDEX pending_fetches_due ON pending_fetches (available_at);
