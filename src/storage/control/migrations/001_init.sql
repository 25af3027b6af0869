-- Workspaces: one Rekindle instance may serve several products (apps).
CREATE TABLE workspaces (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Segment write keys. Only a SHA-256 hash is stored; the key itself is shown once at creation.
CREATE TABLE write_keys (
  id            bigserial PRIMARY KEY,
  workspace_id  text NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL,
  key_hash      text NOT NULL UNIQUE,
  key_prefix    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);

INSERT INTO workspaces (id, name) VALUES ('default', 'Default workspace');
