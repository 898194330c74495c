-- Reconcile walks tickets too (src/sync/reconcile): a full run marks the ticket cache rows HubSpot
-- listed and sweeps the rest in row order, like the other cache tables (0070), so the ticket cache
-- gains a row id to sweep by and the mark.
ALTER TABLE ticket_cache ADD COLUMN id bigserial;
CREATE UNIQUE INDEX ticket_cache_id ON ticket_cache (id);
ALTER TABLE ticket_cache ADD COLUMN reconcile_seen bigint;
