-- Support (Service Hub): auto-tickets keyed by alert key, their notes, storms, and the ticket cache
-- fed by ticket webhooks. See docs/support.md and src/warp/support.ts.

-- One row per incident WARP raised a ticket for. At most one open row per alert key (the partial
-- unique index): recurrences add notes to it; a closed row keeps its history and frees the key.
CREATE TABLE support_tickets (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_key text NOT NULL,
  trigger text NOT NULL,
  -- null for a platform (storm) ticket, which belongs to no customer
  customer_id bigint REFERENCES customers (id),
  trunk_id text,
  is_storm boolean NOT NULL DEFAULT false,
  severity text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  -- the priority WARP last asked for (raised one step by an escalation)
  priority text NOT NULL,
  issue_type text NOT NULL,
  issue_category text NOT NULL,
  subject text NOT NULL,
  content text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  hubspot_id text UNIQUE,
  recurrences integer NOT NULL DEFAULT 0,
  -- consecutive healthy hours measured by the rule evaluation; 2 close the ticket
  healthy_hours integer NOT NULL DEFAULT 0,
  -- the last hour the rule evaluation counted for this ticket (a re-run of that slot counts nothing)
  rule_hour timestamptz,
  opened_at timestamptz NOT NULL DEFAULT now(),
  last_alert_at timestamptz NOT NULL DEFAULT now(),
  sla_breach_at timestamptz NOT NULL,
  escalated_at timestamptz,
  closed_at timestamptz
);
CREATE UNIQUE INDEX support_tickets_open_key ON support_tickets (alert_key) WHERE status = 'open';
CREATE INDEX support_tickets_sla ON support_tickets (sla_breach_at) WHERE status = 'open' AND escalated_at IS NULL;
CREATE INDEX support_tickets_customer ON support_tickets (customer_id, opened_at);

-- Notes on WARP's tickets (recurrence, cleared, escalation), each written to HubSpot once.
CREATE TABLE support_ticket_notes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ticket_id bigint NOT NULL REFERENCES support_tickets (id),
  kind text NOT NULL CHECK (kind IN ('recurrence', 'cleared', 'escalation')),
  body text NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  -- set before the first HubSpot call: a retry first looks for the note's marker
  dispatched_at timestamptz,
  hubspot_id text,
  sent_at timestamptz
);
CREATE INDEX support_ticket_notes_ticket ON support_ticket_notes (ticket_id, id);

-- Every alert received (API and WARP's own rules), for storm detection: distinct customers per
-- trigger within the storm window.
CREATE TABLE support_alerts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  trigger text NOT NULL,
  customer_id bigint NOT NULL REFERENCES customers (id),
  alert_key text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('created', 'recurrence', 'suppressed')),
  ticket_id bigint REFERENCES support_tickets (id),
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_alerts_window ON support_alerts (trigger, received_at);
CREATE INDEX support_alerts_ticket ON support_alerts (ticket_id, customer_id) WHERE outcome = 'suppressed';

-- The ticket cache: every HubSpot ticket we heard of (webhooks, WARP's own writes, fetches), so
-- WARP knows each customer's open tickets. Properties apply in time order per property.
CREATE TABLE ticket_cache (
  hubspot_id text PRIMARY KEY,
  customer_id bigint REFERENCES customers (id),
  subject text,
  pipeline text,
  stage text,
  priority text,
  alert_key text,
  severity text,
  trunk_id text,
  issue_type text,
  issue_category text,
  -- HubSpot time of the last applied change of each property (and of the lifecycle: 'lifecycle')
  versions jsonb NOT NULL DEFAULT '{}',
  -- a creation, restore or merge: the full record must be read
  needs_fetch boolean NOT NULL DEFAULT false,
  deleted_at timestamptz,
  merged_into text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_cache_customer ON ticket_cache (customer_id) WHERE deleted_at IS NULL;
CREATE INDEX ticket_cache_fetch ON ticket_cache (hubspot_id) WHERE needs_fetch;

-- Ticket pipeline stages and their ticketState, as read from HubSpot (stage ids are portal-specific).
CREATE TABLE ticket_stages (
  pipeline text NOT NULL,
  stage text NOT NULL,
  label text NOT NULL,
  display_order integer NOT NULL,
  ticket_state text NOT NULL CHECK (ticket_state IN ('OPEN', 'CLOSED')),
  read_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, stage)
);

ALTER TABLE outbox DROP CONSTRAINT outbox_object_type_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_object_type_check
  CHECK (object_type IN ('company', 'contact', 'trunk', 'number', 'event', 'ticket', 'ticket_note'));

ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check
  CHECK (scopes <@ ARRAY['read', 'write', 'admin', 'usage:write', 'support:write']::text[] AND cardinality(scopes) > 0);

-- What the last check of the HubSpot portal found missing for tickets (properties WARP needs):
-- while anything is missing, auto-ticket requests are refused with `not_provisioned`.
CREATE TABLE support_portal_check (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  missing text[] NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT now()
);
