-- Passwords for people (the console). The hash string carries its own scrypt parameters
-- (`scrypt$N$r$p$salt$hash`, src/auth/password-hash.ts), so they can be raised without a
-- migration. NULL: the user has no password and logs in only with API tokens.
ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE users ADD COLUMN password_set_at timestamptz;

-- Console sessions. Only a SHA-256 hash of the token (`rks_…`) is stored; the token is shown
-- once, at login. `expires_at` is the absolute limit fixed at login; the idle limit is measured
-- from `last_seen_at` with the configured idle time, so changing it applies to live sessions.
CREATE TABLE sessions (
  id            bigserial PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users(id),
  token_hash    text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  user_agent    text
);
CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Failed logins per (workspace, name), for throttling. Names that do not exist are throttled
-- too (so the answer does not reveal which names exist), hence no reference to users; rows
-- older than the throttling window are pruned as new failures arrive.
CREATE TABLE login_failures (
  id            bigserial PRIMARY KEY,
  workspace_id  text NOT NULL,
  name          text NOT NULL,
  at            timestamptz NOT NULL
);
CREATE INDEX login_failures_by_name ON login_failures (workspace_id, name, at);
CREATE INDEX login_failures_by_time ON login_failures (at);
