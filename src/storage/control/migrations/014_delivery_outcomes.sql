-- Never send twice (issue 13). A claim is a reservation, not a send:
--   `claim_token`  the claim that holds a 'sending' row; recording, renewing the lease and starting
--                  a send all check it, so a worker whose lease was taken over cannot touch the row;
--   `started_at`   set, with `provider_id`, in the statement that lets a wave of messages go to a
--                  provider, just before the calls. A row found 'sending' after its lease expired
--                  with `started_at` NULL was never handed to a provider: it is sent normally. With
--                  `started_at` set the provider may have it: it is sent again only to that same
--                  provider, with the same idempotency key, and only if that provider de-duplicates
--                  by key; otherwise it becomes 'unknown' (reported, never re-sent). A recorded
--                  retry clears `started_at` (the provider answered, so nothing is in doubt).
ALTER TABLE outbox ADD COLUMN claim_token text;
ALTER TABLE outbox ADD COLUMN started_at timestamptz;
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
  CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'dead', 'unknown'));

-- A campaign whose last slot is planned stays 'running' until its last message has an outcome
-- (pause and cancel keep working meanwhile); the delivery workers then finish it.
ALTER TABLE campaigns ADD COLUMN awaiting_delivery boolean NOT NULL DEFAULT false;
