-- `warp_tier` and `warp_service_tier` are two HubSpot properties; both used to land in
-- customers.tier, so an edit of one overwrote the other. `tier` stays the canonical tier (what
-- WARP reads, from `warp_tier`); `service_tier` keeps `warp_service_tier` as HubSpot says it
-- (docs/product-rules.md "The CRM model"). Existing rows start empty: the next import or
-- reconcile fills the column from HubSpot.
ALTER TABLE customers
  ADD COLUMN service_tier text CHECK (service_tier IN ('starter', 'growth', 'enterprise'));
