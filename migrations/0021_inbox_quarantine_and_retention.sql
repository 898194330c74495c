-- Inbox hardening: a stored webhook batch that cannot be expanded is set aside (quarantined) instead
-- of blocking every later batch; bodies are blanked once expanded (they hold personal data); inbox
-- leases get an owner (fencing); retention indexes.

ALTER TABLE webhook_batches ALTER COLUMN body DROP NOT NULL;
ALTER TABLE webhook_batches ADD COLUMN quarantined_at timestamptz, ADD COLUMN error text;
UPDATE webhook_batches SET body = NULL WHERE expanded_at IS NOT NULL;
DROP INDEX webhook_batches_unexpanded;
CREATE INDEX webhook_batches_unexpanded ON webhook_batches (id) WHERE expanded_at IS NULL AND quarantined_at IS NULL;
-- Retention finds finished batches by age; unexpanded ones (every insert) are not in it.
CREATE INDEX webhook_batches_finished ON webhook_batches (received_at) WHERE expanded_at IS NOT NULL OR quarantined_at IS NOT NULL;
CREATE INDEX webhook_batches_quarantined ON webhook_batches (id) WHERE quarantined_at IS NOT NULL AND expanded_at IS NULL;

-- Which worker holds an event's lease: completing or failing it is refused to any other worker.
ALTER TABLE webhook_inbox ADD COLUMN lease_owner text;
CREATE INDEX webhook_inbox_finished ON webhook_inbox (processed_at) WHERE status IN ('applied', 'ignored', 'failed');
