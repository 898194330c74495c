-- One email, one WARP user (docs/warp-domain.md, "One email, one WARP user"). HubSpot keeps one
-- contact per email address, compared without letter case, so two live WARP users with the same
-- email end on one contact and fight over its warp_user_id; linking them broke the outbound sync
-- and every later import. The API now refuses a second user (409 email_taken); this repairs what
-- was stored before. In each group of live WARP users whose emails match without case, the one
-- already linked to a HubSpot contact (else the oldest) stays; the others are soft-deleted with an
-- audit entry naming the one kept, which is queued for HubSpot again so its contact gets linked.
--
-- There is deliberately no unique index: email is HubSpot's field, and a HubSpot edit must never
-- be refused by the cache (it would hold back every later event of that contact). The rule is
-- kept where WARP creates users. Running this file again is harmless.

WITH ranked AS (
  SELECT id,
         first_value(user_id) OVER same_email AS kept,
         row_number() OVER same_email AS rank
  FROM users
  WHERE user_id IS NOT NULL AND deleted_at IS NULL AND email IS NOT NULL
  WINDOW same_email AS (PARTITION BY lower(email) ORDER BY hubspot_contact_id IS NULL, id)
),
removed AS (
  UPDATE users u SET deleted_at = now(), version = u.version + 1, updated_at = now()
  FROM ranked r
  WHERE u.id = r.id AND r.rank > 1
  RETURNING u.user_id, u.hubspot_contact_id, r.kept
),
audited AS (
  INSERT INTO audit_log (entity_type, entity_id, source, event, changes)
  SELECT 'user', coalesce(hubspot_contact_id, user_id), 'warp', 'duplicate_email_removed',
         jsonb_build_object('deleted', jsonb_build_object('before', 'false', 'after', 'true'),
                            'kept_user_id', jsonb_build_object('before', NULL, 'after', kept))
  FROM removed
)
INSERT INTO outbox (object_type, record_key)
SELECT DISTINCT 'contact', kept FROM removed
ON CONFLICT (object_type, record_key) DO UPDATE SET seq = nextval('outbox_seq'), changes = outbox.changes + 1;
