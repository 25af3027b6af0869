-- Delivery providers (features.md F2): one row per configured vendor account of a channel. Secrets
-- (passwords, access keys, service-account keys) are AES-256-GCM ciphertext under the master
-- key (`secrets_enc`, see src/lib/secret-box.ts); `config` holds only non-secret
-- settings. `priority` orders failover (lower first).
CREATE TABLE providers (
  id               text PRIMARY KEY,
  workspace_id     text NOT NULL REFERENCES workspaces(id),
  channel          text NOT NULL,
  kind             text NOT NULL,
  name             text NOT NULL,
  priority         integer NOT NULL DEFAULT 0,
  rate_per_second  integer NOT NULL CHECK (rate_per_second > 0),
  enabled          boolean NOT NULL DEFAULT true,
  config           jsonb NOT NULL DEFAULT '{}'::jsonb,
  secrets_enc      text NOT NULL,
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  UNIQUE (workspace_id, name)
);
CREATE INDEX providers_channel ON providers (workspace_id, channel, priority) WHERE enabled;

-- Outbound call list: call-channel messages become tasks for a call centre or a smart-call
-- robot, exported as CSV / JSON, optionally pushed to the vendor's webhook.
CREATE TABLE call_tasks (
  idempotency_key  text PRIMARY KEY,
  workspace_id     text NOT NULL,
  provider_id      text NOT NULL,
  campaign_id      text NOT NULL,
  user_id          text NOT NULL,
  phone            text NOT NULL,
  script           text NOT NULL,
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pushed')),
  created_at       timestamptz NOT NULL,
  pushed_at        timestamptz
);
CREATE INDEX call_tasks_open ON call_tasks (workspace_id, created_at);

-- In-app inbox: what the app shows at its next open; read state kept per message.
CREATE TABLE inbox_messages (
  id               bigserial PRIMARY KEY,
  workspace_id     text NOT NULL,
  user_id          text NOT NULL,
  idempotency_key  text NOT NULL UNIQUE,
  campaign_id      text NOT NULL,
  title            text NOT NULL,
  body             text NOT NULL,
  image_url        text,
  landing_url      text,
  created_at       timestamptz NOT NULL,
  read_at          timestamptz
);
CREATE INDEX inbox_messages_user ON inbox_messages (workspace_id, user_id, id DESC);
