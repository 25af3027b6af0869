import type { SqlClient } from './sql-client.ts';

/**
 * The statements of the `jobs` table (jobs/job-registry.ts says what they mean: one running job of
 * a kind per workspace, owners, heartbeats, recovery). Rows come back with every column and the
 * JSON ones as text too (`result_json`, `params_json`): a driver hands back a jsonb string already
 * parsed, indistinguishable from JSON text, so the registry parses those and only those.
 */

const COLUMNS = '*, result::text AS result_json, params::text AS params_json';

export type JobRow = Record<string, unknown>;

/** A new running job; undefined when one of its kind already runs in the workspace. */
export const insertRunningJob = async (
  db: SqlClient,
  j: {
    id: string;
    workspaceId: string;
    kind: string;
    startedBy: number;
    paramsJson: string;
    at: number;
    owner: string;
  },
): Promise<JobRow | undefined> =>
  (
    await db.query(
      `INSERT INTO jobs (id, workspace_id, kind, started_by, status, phase, done, total, params,
                           started_at, owner, heartbeat_at)
         VALUES ($1, $2, $3, $4, 'running', 'starting', 0, 1, $5::text::jsonb, $6, $7, $6)
         ON CONFLICT (workspace_id, kind) WHERE status = 'running' DO NOTHING
         RETURNING ${COLUMNS}`,
      [j.id, j.workspaceId, j.kind, j.startedBy, j.paramsJson, new Date(j.at), j.owner],
    )
  )[0];

export const runningJobOfKind = async (
  db: SqlClient,
  workspaceId: string,
  kind: string,
): Promise<JobRow | undefined> =>
  (
    await db.query(
      `SELECT ${COLUMNS} FROM jobs WHERE workspace_id = $1 AND kind = $2 AND status = 'running'`,
      [workspaceId, kind],
    )
  )[0];

export const jobById = async (db: SqlClient, workspaceId: string, id: string): Promise<JobRow | undefined> =>
  (await db.query(`SELECT ${COLUMNS} FROM jobs WHERE workspace_id = $1 AND id = $2`, [workspaceId, id]))[0];

/** The workspace's latest jobs, newest first. */
export const latestJobs = (db: SqlClient, workspaceId: string, limit: number): Promise<JobRow[]> =>
  db.query(`SELECT ${COLUMNS} FROM jobs WHERE workspace_id = $1 ORDER BY started_at DESC, id LIMIT $2`, [
    workspaceId,
    limit,
  ]);

/**
 * Claims for `owner` the running jobs of other owners: every one (`all`) or those whose
 * heartbeat is older than `staleBefore`. One conditional update: of several claimers, one wins each.
 */
export const claimOrphanedJobs = (
  db: SqlClient,
  owner: string,
  at: number,
  all: boolean,
  staleBefore: number,
  /** Owners known to be alive (src/cluster/members.ts): their jobs are left alone, stale or not. */
  alive: readonly string[] = [],
): Promise<JobRow[]> =>
  db.query(
    `UPDATE jobs SET owner = $1, heartbeat_at = $2
         WHERE status = 'running' AND owner <> $1 AND ($3 OR heartbeat_at < $4)
           AND NOT (owner = ANY($5::text[]))
         RETURNING ${COLUMNS}`,
    [owner, new Date(at), all, new Date(staleBefore), alive],
  );

/** The other owners of running jobs whose heartbeat is older than `staleBefore` (or of all, `all`). */
export const staleJobOwners = async (
  db: SqlClient,
  owner: string,
  all: boolean,
  staleBefore: number,
): Promise<string[]> =>
  (
    await db.query<{ owner: string }>(
      `SELECT DISTINCT owner FROM jobs
         WHERE status = 'running' AND owner <> $1 AND ($2 OR heartbeat_at < $3)`,
      [owner, all, new Date(staleBefore)],
    )
  ).map((r) => r.owner);

/** Counts a resume of the owner's running job and resets its progress. */
export const markJobResuming = async (
  db: SqlClient,
  id: string,
  owner: string,
): Promise<JobRow | undefined> =>
  (
    await db.query(
      `UPDATE jobs SET attempts = attempts + 1, phase = 'resuming', done = 0, total = 1
           WHERE id = $1 AND owner = $2 AND status = 'running' RETURNING ${COLUMNS}`,
      [id, owner],
    )
  )[0];

/** Fails the owner's running job with `error` (recovery decided not to resume it). */
export const failRecoveredJob = async (
  db: SqlClient,
  id: string,
  owner: string,
  error: string,
  at: number,
): Promise<void> => {
  await db.query(
    `UPDATE jobs SET status = 'failed', error = $3, finished_at = $4
           WHERE id = $1 AND owner = $2 AND status = 'running'`,
    [id, owner, error, new Date(at)],
  );
};

/** The owner's running job finished: its status, result (JSON text or null), error and last progress. */
export const finishJob = async (
  db: SqlClient,
  id: string,
  owner: string,
  f: {
    status: string;
    resultJson: string | null;
    error: string | null;
    at: number;
    phase: string;
    done: number;
    total: number;
  },
): Promise<void> => {
  await db.query(
    `UPDATE jobs SET status = $3, result = $4::text::jsonb, error = $5, finished_at = $6,
                           phase = $7, done = $8, total = $9, heartbeat_at = $6
           WHERE id = $1 AND owner = $2 AND status = 'running'`,
    [id, owner, f.status, f.resultJson, f.error, new Date(f.at), f.phase, f.done, f.total],
  );
};

/** The owner's running job's progress, and its heartbeat. */
export const writeJobProgress = async (
  db: SqlClient,
  id: string,
  owner: string,
  p: { phase: string; done: number; total: number; at: number },
): Promise<void> => {
  await db.query(
    `UPDATE jobs SET phase = $3, done = $4, total = $5, heartbeat_at = $6
         WHERE id = $1 AND owner = $2 AND status = 'running'`,
    [id, owner, p.phase, p.done, p.total, new Date(p.at)],
  );
};
