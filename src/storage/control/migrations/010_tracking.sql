-- Every click on a tracked short link (features.md F3): when, the browser family, and the client address
-- as a keyed hash (never the raw IP), so repeat clicks can be told apart without storing who.
CREATE TABLE link_clicks (
  id               bigserial PRIMARY KEY,
  code             text NOT NULL,
  workspace_id     text NOT NULL,
  idempotency_key  text NOT NULL,
  at               timestamptz NOT NULL,
  ua_family        text NOT NULL,
  ip_hash          text
);
CREATE INDEX link_clicks_key ON link_clicks (idempotency_key);

-- The first click of each message: the row is inserted with the message log's `clicked` entry in
-- one transaction, so CTR counts messages (one `clicked` per message) however often a link is hit.
CREATE TABLE message_first_clicks (
  idempotency_key  text PRIMARY KEY,
  workspace_id     text NOT NULL,
  at               timestamptz NOT NULL
);
