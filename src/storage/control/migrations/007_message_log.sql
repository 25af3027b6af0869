-- The delivery ledger's feed (features.md F1–F3, G1): one row per thing that happened to a planned
-- message — sent, delivered, failed, dead, clicked, unsubscribed — appended in the same
-- transaction as the state change it records. The warehouse's `message_facts` is filled from
-- here by the fact shipper in `seq` order, so every number on a report comes from facts in the
-- warehouse and nothing written here is lost between the two stores.
CREATE TABLE message_log (
  seq              bigserial PRIMARY KEY,
  workspace_id     text NOT NULL,
  idempotency_key  text NOT NULL,
  campaign_id      text NOT NULL,
  run_id           text NOT NULL,
  step             text NOT NULL,
  variant          text,
  user_id          text NOT NULL,
  channel          text NOT NULL,
  kind             text NOT NULL,
  at               timestamptz NOT NULL,
  cost_cents       bigint NOT NULL DEFAULT 0,
  revenue_cents    bigint NOT NULL DEFAULT 0,
  properties       jsonb NOT NULL DEFAULT '{}'::jsonb
);
-- Alert rules read recent entries by time; a BRIN index costs next to nothing per append.
CREATE INDEX message_log_at ON message_log USING brin (at);

-- Tracked short links (features.md F3): `/l/<code>` redirects to `url`, which was written in the
-- message's content at send time (never taken from the request, so there is no open redirect).
CREATE TABLE short_links (
  code             text PRIMARY KEY,
  workspace_id     text NOT NULL,
  idempotency_key  text NOT NULL,
  url              text NOT NULL,
  created_at       timestamptz NOT NULL
);
CREATE INDEX short_links_key ON short_links (idempotency_key);
