-- Campaigns (reach tasks, features.md D1–D7): the definition as validated JSON (audience, timing,
-- channels and content, offer, goal, A/B, holdout, budget), a lifecycle status, and an
-- optimistic-concurrency version. `approved_version` is the version a reviewer approved: an edit
-- after approval bumps `version` and sends the campaign back to review.
CREATE TABLE campaigns (
  id                text PRIMARY KEY,
  workspace_id      text NOT NULL REFERENCES workspaces(id),
  name              text NOT NULL,
  status            text NOT NULL CHECK (status IN ('draft', 'pending_review', 'approved', 'scheduled',
                      'running', 'paused', 'finished', 'cancelled')),
  version           integer NOT NULL DEFAULT 1,
  definition        jsonb NOT NULL,
  priority          integer NOT NULL DEFAULT 0,
  category          text NOT NULL DEFAULT 'recall',
  department        text,
  budget_cents      bigint,
  owner_id          bigint NOT NULL REFERENCES users(id),
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  submitted_by      bigint REFERENCES users(id),
  submitted_at      timestamptz,
  approved_by       bigint REFERENCES users(id),
  approved_at       timestamptz,
  approved_version  integer,
  -- The next slot the scheduler owes this campaign (NULL: none, e.g. finished or triggered).
  next_slot_at      timestamptz,
  UNIQUE (workspace_id, name)
);
CREATE INDEX campaigns_due ON campaigns (workspace_id, next_slot_at) WHERE next_slot_at IS NOT NULL;

-- Every review decision, kept (who, which version, approve or reject, why).
CREATE TABLE campaign_reviews (
  id            bigserial PRIMARY KEY,
  campaign_id   text NOT NULL REFERENCES campaigns(id),
  version       integer NOT NULL,
  decision      text NOT NULL CHECK (decision IN ('approve', 'reject')),
  reviewer_id   bigint NOT NULL REFERENCES users(id),
  at            timestamptz NOT NULL,
  note          text
);

-- One planner run of one campaign in one slot; a slot is planned once per campaign.
CREATE TABLE campaign_runs (
  id            text PRIMARY KEY,
  campaign_id   text NOT NULL REFERENCES campaigns(id),
  slot_at       timestamptz NOT NULL,
  snapshot_id   text,
  planned_at    timestamptz NOT NULL,
  members       integer NOT NULL,
  messages      integer NOT NULL,
  holdout       integer NOT NULL,
  skipped       integer NOT NULL,
  spend_cents   bigint NOT NULL,
  skip_reasons  jsonb NOT NULL DEFAULT '{}'::jsonb,
  UNIQUE (campaign_id, slot_at)
);

-- Money and quotas: a campaign's budget is on the campaign; departments and channel quotas
-- (e.g. an SMS package) live here. `reserved_cents` grows when the planner writes messages, so
-- two planner runs can never both spend the same cents.
CREATE TABLE department_budgets (
  workspace_id    text NOT NULL REFERENCES workspaces(id),
  department      text NOT NULL,
  limit_cents     bigint NOT NULL CHECK (limit_cents >= 0),
  reserved_cents  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace_id, department)
);
CREATE TABLE channel_quotas (
  workspace_id    text NOT NULL REFERENCES workspaces(id),
  channel         text NOT NULL,
  quota           bigint NOT NULL CHECK (quota >= 0),
  used            bigint NOT NULL DEFAULT 0,
  cost_cents      integer NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace_id, channel)
);

-- Anti-disturbance policy per workspace (caps, quiet hours, send windows), as validated JSON.
CREATE TABLE planner_policies (
  workspace_id  text PRIMARY KEY REFERENCES workspaces(id),
  version       integer NOT NULL,
  policy        jsonb NOT NULL,
  updated_at    timestamptz NOT NULL,
  updated_by    bigint REFERENCES users(id)
);

-- Per-channel opt-outs (unsubscribe links, replies such as 'TD', operator action). 'all' = every channel.
CREATE TABLE unsubscribes (
  workspace_id  text NOT NULL REFERENCES workspaces(id),
  user_id       text NOT NULL,
  channel       text NOT NULL,
  at            timestamptz NOT NULL,
  source        text NOT NULL,
  PRIMARY KEY (workspace_id, user_id, channel)
);

-- The outbox: every message the planner decided to send, written in the same transaction as the
-- budget reservation. The idempotency key (campaign:run:step:user) makes a re-planned slot a
-- no-op and travels with every provider call (exactly once to the user).
CREATE TABLE outbox (
  idempotency_key  text PRIMARY KEY,
  workspace_id     text NOT NULL,
  campaign_id      text NOT NULL,
  run_id           text NOT NULL,
  step             text NOT NULL,
  user_id          text NOT NULL,
  channel          text NOT NULL,
  class            text NOT NULL,
  variant          text,
  send_at          timestamptz NOT NULL,
  cost_cents       integer NOT NULL,
  status           text NOT NULL DEFAULT 'pending',
  created_at       timestamptz NOT NULL
);
CREATE INDEX outbox_user_time ON outbox (workspace_id, user_id, send_at);
CREATE INDEX outbox_send_at ON outbox (workspace_id, send_at);
CREATE INDEX outbox_pending ON outbox (status, send_at) WHERE status = 'pending';

-- Triggered campaigns (features.md D2): one row per (campaign, triggering event), durable from the
-- moment the trigger matched until it is planned (sent, held out or skipped, with the reason).
-- `due_at` = the event's arrival + the campaign's delay.
CREATE TABLE trigger_queue (
  campaign_id   text NOT NULL REFERENCES campaigns(id),
  message_id    text NOT NULL,
  workspace_id  text NOT NULL,
  user_id       text NOT NULL,
  event_ts      timestamptz NOT NULL,
  received_at   timestamptz NOT NULL,
  due_at        timestamptz NOT NULL,
  order_id      text,
  status        text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'sent', 'holdout', 'skipped')),
  reason        text,
  planned_at    timestamptz,
  PRIMARY KEY (campaign_id, message_id)
);
CREATE INDEX trigger_queue_due ON trigger_queue (workspace_id, due_at) WHERE status = 'waiting';

-- How far the trigger matcher has read the warehouse's events (by arrival time), per workspace.
CREATE TABLE trigger_cursors (
  workspace_id  text PRIMARY KEY REFERENCES workspaces(id),
  received_at   timestamptz NOT NULL
);

-- Offers issued per recipient (features.md D4) with the planner's message, and their cost: booked at
-- issue or at redemption, as the offer says. The code is derived from a workspace secret.
CREATE TABLE offers_issued (
  code               text NOT NULL,
  workspace_id       text NOT NULL,
  campaign_id        text NOT NULL,
  user_id            text NOT NULL,
  idempotency_key    text NOT NULL,
  kind               text NOT NULL,
  amount             bigint NOT NULL,
  value_cents        bigint NOT NULL,
  cost_recognition   text NOT NULL,
  issued_at          timestamptz NOT NULL,
  expires_at         timestamptz NOT NULL,
  details            jsonb NOT NULL,
  cost_at_issue      bigint NOT NULL,
  redeemed_at        timestamptz,
  cost_at_redemption bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace_id, code)
);
CREATE INDEX offers_issued_campaign ON offers_issued (campaign_id);

-- Per-workspace secrets (offer codes; later signed links), generated on first use, never logged.
CREATE TABLE workspace_secrets (
  workspace_id  text NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL,
  secret        text NOT NULL,
  PRIMARY KEY (workspace_id, name)
);
