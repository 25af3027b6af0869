-- People who use the console and the API. Issue-5 work adds passwords and sessions; API
-- tokens are the machine credential and the first one a deployment gets.
CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  workspace_id  text NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'reviewer', 'operator', 'viewer')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz,
  UNIQUE (workspace_id, name)
);

-- Only a SHA-256 hash of each token is stored; the token is shown once, when it is issued.
CREATE TABLE api_tokens (
  id            bigserial PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users(id),
  token_hash    text NOT NULL UNIQUE,
  token_prefix  text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);

-- Every change, approval, run and export, with who did it.
CREATE TABLE audit_log (
  id            bigserial PRIMARY KEY,
  workspace_id  text NOT NULL REFERENCES workspaces(id),
  at            timestamptz NOT NULL,
  actor_id      bigint REFERENCES users(id),
  action        text NOT NULL,
  object_type   text NOT NULL,
  object_id     text NOT NULL,
  details       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_object ON audit_log (workspace_id, object_type, object_id, id);

-- Saved audiences: a validated audience tree with a name and an owner. Deletion is soft so
-- snapshots (and the campaigns that used them) keep pointing at a row.
CREATE TABLE audiences (
  id            text PRIMARY KEY,
  workspace_id  text NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL,
  description   text NOT NULL DEFAULT '',
  definition    jsonb NOT NULL,
  owner_id      bigint NOT NULL REFERENCES users(id),
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  deleted_at    timestamptz
);
CREATE UNIQUE INDEX audiences_live_name ON audiences (workspace_id, lower(name)) WHERE deleted_at IS NULL;

-- A frozen member list. The members themselves live in the warehouse
-- (audience_snapshot_members); this row is written after them, so a snapshot that is listed
-- here is always complete.
CREATE TABLE audience_snapshots (
  id                text PRIMARY KEY,
  workspace_id      text NOT NULL REFERENCES workspaces(id),
  audience_id       text NOT NULL REFERENCES audiences(id),
  audience_version  integer NOT NULL,
  definition        jsonb NOT NULL,
  as_of             timestamptz NOT NULL,
  taken_at          timestamptz NOT NULL,
  member_count      bigint NOT NULL,
  taken_by          bigint REFERENCES users(id),
  purpose           text NOT NULL DEFAULT 'manual'
);
CREATE INDEX audience_snapshots_by_audience ON audience_snapshots (audience_id, taken_at DESC);
