-- Delivery state of the outbox (features.md F1/F2). The planner's COPY writes only its own columns, so
-- every column here has a default: a new row is 'pending', never tried, due at `send_at`.
--   pending -> sending (claimed under a lease) -> sent (a provider accepted it)
--           -> delivered / failed (the provider's receipt) ; dead (given up, `dead_reason`).
-- A worker that dies while holding rows leaves them 'sending' with an expired `lease_until`:
-- the next claim takes them back. `next_attempt_at` (NULL: `send_at`) is when a retry is due.
-- `provider_pinned`: a provider may already hold the message (it timed out or answered 5xx),
-- so only that provider, with the same idempotency key, may be tried again.
ALTER TABLE outbox ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at timestamptz;
ALTER TABLE outbox ADD COLUMN lease_until timestamptz;
ALTER TABLE outbox ADD COLUMN provider_id text;
ALTER TABLE outbox ADD COLUMN provider_pinned boolean NOT NULL DEFAULT false;
ALTER TABLE outbox ADD COLUMN provider_message_id text;
ALTER TABLE outbox ADD COLUMN last_error text;
ALTER TABLE outbox ADD COLUMN dead_reason text;
ALTER TABLE outbox ADD COLUMN sent_at timestamptz;
ALTER TABLE outbox ADD COLUMN final_at timestamptz;
-- Extra template data for this one message (the notification API fills it); templates see `data`.
ALTER TABLE outbox ADD COLUMN payload jsonb;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
  CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'dead'));

-- The claim: due pending rows in due order, and expired leases. The planner's old pending index
-- is superseded (every index costs each of a message's state changes an index insert).
DROP INDEX outbox_pending;
CREATE INDEX outbox_due ON outbox ((coalesce(next_attempt_at, send_at))) WHERE status = 'pending';
CREATE INDEX outbox_leased ON outbox (lease_until) WHERE status = 'sending';
-- Receipts find a message by the provider's id.
CREATE INDEX outbox_provider_message ON outbox (provider_id, provider_message_id)
  WHERE provider_message_id IS NOT NULL;

-- The composer finds each message's issued offer by its key.
CREATE INDEX offers_issued_key ON offers_issued (idempotency_key);
