-- A large slot's messages are committed compactly (features.md E5, the 1 M-recipient slot): one row per
-- run, step, channel, variant, send instant and cost, holding up to a few thousand users, written
-- in the planner's transaction instead of one outbox row per message (whose four index inserts
-- each are most of a big slot's time). Delivery expands a batch into outbox rows, in one
-- transaction that also deletes the batch, shortly before it is due (src/outbox/batches.ts).
-- Between the two a message is in exactly one of the tables; `planned_messages` is their union,
-- for everything that asks what was planned (caps history, spend, ladders, reports).
CREATE TABLE outbox_batches (
  id            bigserial PRIMARY KEY,
  workspace_id  text NOT NULL,
  campaign_id   text NOT NULL,
  run_id        text NOT NULL,
  step          text NOT NULL,
  channel       text NOT NULL,
  class         text NOT NULL,
  variant       text,
  send_at       timestamptz NOT NULL,
  cost_cents    integer NOT NULL,
  created_at    timestamptz NOT NULL,
  user_ids      text[] NOT NULL
);
-- A batch's users are written once and read once: stored out of line without compressing them
-- (compression was a third of a large slot's batch write).
ALTER TABLE outbox_batches ALTER COLUMN user_ids SET STORAGE EXTERNAL;
CREATE INDEX outbox_batches_send_at ON outbox_batches (send_at);
CREATE INDEX outbox_batches_campaign ON outbox_batches (workspace_id, campaign_id);

-- The idempotency key is the planner's: campaign:run:step:user.
CREATE VIEW planned_messages AS
  SELECT idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class, variant,
         send_at, cost_cents, status
  FROM outbox
  UNION ALL
  SELECT b.campaign_id || ':' || b.run_id || ':' || b.step || ':' || u.user_id, b.workspace_id,
         b.campaign_id, b.run_id, b.step, u.user_id, b.channel, b.class, b.variant, b.send_at,
         b.cost_cents, 'pending'
  FROM outbox_batches b CROSS JOIN LATERAL unnest(b.user_ids) AS u(user_id);
