-- Receipts that arrive before their message is recorded as sent (features.md F3). A fast vendor can
-- call back while the worker's record transaction is still open, or a receipt can name a message
-- this process does not know yet; the vendor has been answered 200 and will not send it again,
-- so it is kept here and applied when the worker records the message (recordOutcomes).
CREATE TABLE early_receipts (
  id                  bigserial PRIMARY KEY,
  workspace_id        text NOT NULL,
  provider_id         text NOT NULL,
  provider_message_id text,
  idempotency_key     text,
  status              text NOT NULL CHECK (status IN ('delivered', 'failed')),
  code                text,
  at                  timestamptz NOT NULL,
  received_at         timestamptz NOT NULL
);
CREATE INDEX early_receipts_message ON early_receipts (provider_id, provider_message_id);
CREATE INDEX early_receipts_key ON early_receipts (provider_id, idempotency_key);
