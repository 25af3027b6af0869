-- Caller numbers of the call channel with their health (issue 17): a number the carriers or
-- users flag as harassment (标记为骚扰) is retired and no new call task uses it; when the
-- workspace keeps numbers and none is healthy, the planner skips call steps with that reason.
CREATE TABLE caller_numbers (
  workspace_id text NOT NULL,
  number       text NOT NULL,
  status       text NOT NULL DEFAULT 'healthy' CHECK (status IN ('healthy', 'flagged', 'retired')),
  -- Why it is not healthy: 'harassment' (标记为骚扰), or the admin's own words.
  flag         text,
  note         text,
  added_at     timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, number)
);

-- The number a call task was given to call from (null: the call centre's own choice).
ALTER TABLE call_tasks ADD COLUMN caller_number text;
