-- Hardening (security audit): errors shown to API clients as a stable code plus a short scrubbed
-- message, never raw database or HubSpot text; and the counts behind /metrics and the sync status
-- read from partial indexes instead of scanning the whole inbox, which only grows.

ALTER TABLE sync_jobs ADD COLUMN error_code text;
ALTER TABLE webhook_inbox ADD COLUMN last_error_code text;

-- Oldest unfinished event (lag), the most recent applied one, and the most recent errors.
CREATE INDEX webhook_inbox_open_received ON webhook_inbox (received_at) WHERE status IN ('pending', 'processing');
CREATE INDEX webhook_inbox_applied ON webhook_inbox (processed_at) WHERE status = 'applied';
CREATE INDEX webhook_inbox_errors ON webhook_inbox (id) WHERE last_error IS NOT NULL;
