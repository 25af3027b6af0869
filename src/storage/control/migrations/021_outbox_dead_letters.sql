-- Issue 17: the dead letters are listed for people (GET /v1/outbox/dead-letters), newest first.
-- A partial index: only rows that end dead enter it, so sending pays nothing for it.
CREATE INDEX outbox_dead ON outbox (workspace_id, final_at DESC) WHERE status = 'dead';
