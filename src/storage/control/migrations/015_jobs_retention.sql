-- Background jobs (features.md I1: imports, scoring, training, planning), kept in the control plane so
-- a restart does not forget them: `GET /v1/jobs/{id}` answers after a restart, and a job that was
-- running when its process died is resumed or failed by the next process (src/jobs/job-kinds.ts).
-- `owner` is the process running it and `heartbeat_at` its last sign of life: a running job whose
-- heartbeat is older than the stale limit belongs to a dead process.
CREATE TABLE jobs (
  id            text PRIMARY KEY,
  workspace_id  text NOT NULL,
  kind          text NOT NULL,
  started_by    bigint NOT NULL,
  status        text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  phase         text NOT NULL,
  done          double precision NOT NULL DEFAULT 0,
  total         double precision NOT NULL DEFAULT 1,
  -- What a new process needs to run the job again (who asked; for an import, the uploaded file).
  params        jsonb NOT NULL DEFAULT '{}'::jsonb,
  result        jsonb,
  error         text,
  -- 1 for the first run; each resume after a restart adds one.
  attempts      integer NOT NULL DEFAULT 1,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz,
  owner         text NOT NULL,
  heartbeat_at  timestamptz NOT NULL
);
-- One running job of a kind per workspace, across every process sharing this control plane.
CREATE UNIQUE INDEX jobs_one_running ON jobs (workspace_id, kind) WHERE status = 'running';
CREATE INDEX jobs_by_workspace ON jobs (workspace_id, started_at DESC);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status <> 'running';

-- Retention (docs/retention.md) deletes the members of old audience snapshots from the warehouse;
-- the snapshot row stays (who took it, when, how many) and says when its members went.
ALTER TABLE audience_snapshots ADD COLUMN members_purged_at timestamptz;

-- Retention reads these tables by time.
CREATE INDEX link_clicks_at ON link_clicks USING brin (at);
CREATE INDEX early_receipts_received ON early_receipts (received_at);
