-- Trained churn models (features.md B6), versioned per workspace: the training parameters (cutoff,
-- horizon, churn definition, the feature plan), the evaluation metrics, and the model itself as
-- the versioned JSON of src/core/models/churn/model-json.ts (text, so doubles read back exactly).
-- At most one model per workspace is active: the one scoring uses unless told otherwise.
CREATE TABLE churn_models (
  id            text PRIMARY KEY,
  workspace_id  text NOT NULL REFERENCES workspaces(id),
  version       integer NOT NULL,
  created_at    timestamptz NOT NULL,
  created_by    bigint REFERENCES users(id),
  params        jsonb NOT NULL,
  metrics       jsonb NOT NULL,
  model         text NOT NULL,
  active        boolean NOT NULL DEFAULT false,
  UNIQUE (workspace_id, version)
);
CREATE UNIQUE INDEX churn_models_one_active ON churn_models (workspace_id) WHERE active;
