-- Issue 17: the strategy matrix (features.md D6, src/core/strategies/matrix.ts): one per workspace,
-- ordered cells (value tier × churn-risk level × churn reason × lifecycle stage) → a recall flow
-- (a campaign) or do-not-disturb; the planner enforces it. Versioned like the planner policy
-- (a write names the version it edited; version 0 = never saved, the empty matrix), and every
-- saved version is kept in strategy_matrix_versions so an earlier matrix can be read back.
CREATE TABLE strategy_matrices (
  workspace_id  text PRIMARY KEY REFERENCES workspaces(id),
  version       integer NOT NULL,
  matrix        jsonb NOT NULL,
  updated_at    timestamptz NOT NULL,
  updated_by    bigint REFERENCES users(id)
);

CREATE TABLE strategy_matrix_versions (
  workspace_id  text NOT NULL REFERENCES workspaces(id),
  version       integer NOT NULL,
  matrix        jsonb NOT NULL,
  saved_at      timestamptz NOT NULL,
  saved_by      bigint REFERENCES users(id),
  PRIMARY KEY (workspace_id, version)
);
