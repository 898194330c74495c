-- Associations are outbox work of their own (src/sync/outbound/send-associations.ts): one row per
-- record whose associations must be made to match WARP's rows (`number:+15551234567`,
-- `trunk:trunk_…`, `contact:usr_…`), retried and dead-lettered on its own, so a failed association
-- after a successful upsert is never lost behind the stored HubSpot id.
ALTER TABLE outbox DROP CONSTRAINT outbox_object_type_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_object_type_check
  CHECK (object_type IN ('company', 'contact', 'trunk', 'number', 'event', 'association'));
