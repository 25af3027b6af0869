-- The scoring configuration of a workspace (churn definition, lifecycle rules, RFM bins and
-- tiers, churn-profile metrics, churn-reason codes): one validated JSON document with a version
-- for optimistic concurrency. No row means the built-in defaults (src/core/scores/config.ts).
CREATE TABLE score_configs (
  workspace_id  text PRIMARY KEY REFERENCES workspaces(id),
  config        jsonb NOT NULL,
  version       integer NOT NULL,
  updated_at    timestamptz NOT NULL,
  updated_by    bigint REFERENCES users(id)
);

-- Early-warning rules: an audience tree with a level. Evaluation appends a `warning_raised`
-- event per newly warned user; who is warned now is kept in the warehouse (warning_state).
CREATE TABLE warning_rules (
  id            text PRIMARY KEY,
  workspace_id  text NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL,
  description   text NOT NULL DEFAULT '',
  level         text NOT NULL CHECK (level IN ('info', 'warning', 'critical')),
  definition    jsonb NOT NULL,
  enabled       boolean NOT NULL DEFAULT true,
  owner_id      bigint NOT NULL REFERENCES users(id),
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  deleted_at    timestamptz
);
CREATE UNIQUE INDEX warning_rules_live_name ON warning_rules (workspace_id, lower(name)) WHERE deleted_at IS NULL;
