-- Notification API (features.md H1): one row per client request, keyed by the client's idempotency key,
-- written in the same transaction as the outbox rows it planned. A repeated key returns this row;
-- `request_hash` tells a genuine retry from a different request reusing a key.
CREATE TABLE notifications (
  workspace_id   text NOT NULL,
  request_key    text NOT NULL,
  request_hash   text NOT NULL,
  campaign_id    text NOT NULL,
  user_id        text NOT NULL,
  status         text NOT NULL CHECK (status IN ('queued', 'skipped')),
  reason         text,
  detail         text,
  message_keys   jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, request_key)
);

-- Item catalog (features.md H2) for "best item" recommendations. Money in cents; a sale price applies
-- inside its window (NULL bounds: open).
CREATE TABLE catalog_items (
  workspace_id      text NOT NULL,
  id                text NOT NULL,
  name              text NOT NULL,
  category          text NOT NULL,
  price_cents       bigint NOT NULL CHECK (price_cents >= 0),
  sale_price_cents  bigint CHECK (sale_price_cents >= 0),
  sale_starts_at    timestamptz,
  sale_ends_at      timestamptz,
  in_stock          boolean NOT NULL DEFAULT true,
  image_url         text,
  landing_url       text NOT NULL,
  updated_at        timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX catalog_items_category ON catalog_items (workspace_id, category);

-- Operator alerts (features.md H3). A destination's URL (it embeds the robot key or a token) and its
-- signing secret are stored encrypted with a workspace secret and never returned or logged.
CREATE TABLE alert_destinations (
  id            text PRIMARY KEY,
  workspace_id  text NOT NULL,
  name          text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('webhook', 'wecom_robot')),
  url_enc       text NOT NULL,
  url_hint      text NOT NULL,
  secret_enc    text,
  created_at    timestamptz NOT NULL,
  UNIQUE (workspace_id, name)
);

CREATE TABLE alert_rules (
  id                text PRIMARY KEY,
  workspace_id      text NOT NULL,
  name              text NOT NULL,
  kind              text NOT NULL,
  params            jsonb NOT NULL,
  destination_ids   jsonb NOT NULL DEFAULT '[]'::jsonb,
  cooldown_minutes  integer NOT NULL CHECK (cooldown_minutes >= 0),
  enabled           boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL,
  UNIQUE (workspace_id, name)
);

-- Every alert that fired, with where it went and whether each destination took it. The cooldown
-- reads it back: one (rule, condition) alerts at most once per cooldown period.
CREATE TABLE alert_history (
  id            bigserial PRIMARY KEY,
  workspace_id  text NOT NULL,
  rule_id       text NOT NULL,
  rule_kind     text NOT NULL,
  condition_key text NOT NULL,
  fired_at      timestamptz NOT NULL,
  title         text NOT NULL,
  text          text NOT NULL,
  details       jsonb NOT NULL DEFAULT '{}'::jsonb,
  deliveries    jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX alert_history_rule ON alert_history (rule_id, condition_key, fired_at);
CREATE INDEX alert_history_time ON alert_history (workspace_id, fired_at);
