import type { SqlClient } from './sql-client.ts';

/** Failed logins per (workspace, name): the state behind login throttling. */

export const recordLoginFailure = async (
  db: SqlClient,
  f: { workspaceId: string; name: string; at: number },
): Promise<void> => {
  await db.query('INSERT INTO login_failures (workspace_id, name, at) VALUES ($1, $2, $3)', [
    f.workspaceId,
    f.name,
    new Date(f.at),
  ]);
};

/**
 * Serialises login attempts for one (workspace, name) until the surrounding transaction ends, so
 * "count the failures, then reserve one" cannot interleave with a parallel attempt (PostgreSQL;
 * PGlite runs one transaction at a time anyway, and takes the lock as cheaply).
 */
export const lockLoginName = async (tx: SqlClient, workspaceId: string, name: string): Promise<void> => {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(1) || $2, 7))', [
    workspaceId,
    name,
  ]);
};

/** The times of a name's failures after `since`, oldest first. */
export const loginFailureTimes = async (
  db: SqlClient,
  workspaceId: string,
  name: string,
  since: number,
): Promise<number[]> =>
  (
    await db.query<{ at: Date | string }>(
      'SELECT at FROM login_failures WHERE workspace_id = $1 AND name = $2 AND at > $3 ORDER BY at',
      [workspaceId, name, new Date(since)],
    )
  ).map((r) => new Date(r.at).getTime());

/** Forgets a name's failures (after a successful login). */
export const clearLoginFailures = async (db: SqlClient, workspaceId: string, name: string): Promise<void> => {
  await db.query('DELETE FROM login_failures WHERE workspace_id = $1 AND name = $2', [workspaceId, name]);
};

/** Drops failures at or before `before`: they no longer count for anyone. */
export const pruneLoginFailures = async (db: SqlClient, before: number): Promise<number> =>
  (await db.query('DELETE FROM login_failures WHERE at <= $1 RETURNING id', [new Date(before)])).length;
