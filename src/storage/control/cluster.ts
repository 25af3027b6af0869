import type { Installation } from '../../core/cluster/lock-key.ts';
import type { SqlClient } from './sql-client.ts';

/**
 * The control-plane statements of the cluster (src/cluster/): advisory locks that elect the leader
 * and mark live processes, and the `cluster_leader` row that reports the leader to operators.
 * They run on the leader election's dedicated connection as well as on the pool, hence `Queryable`.
 */

export type Queryable = Pick<SqlClient, 'query'>;

/** The database and schema the connection's tables are in (the schema from its search_path). */
export const installationOf = async (db: Queryable): Promise<Installation> => {
  const [r] = await db.query<{ database: string; schema: string }>(
    `SELECT current_database() AS database,
            coalesce(current_schema(), current_setting('search_path')) AS schema`,
  );
  return { database: r?.database ?? '', schema: r?.schema ?? '' };
};

/** Takes a session lock without waiting; true when this session holds it now. */
export const tryLock = async (db: Queryable, key: bigint): Promise<boolean> =>
  (await db.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [key.toString()]))[0]?.got ===
  true;

/** Whether some session holds `key`: tried for the length of one transaction, then let go. */
export const isLockHeld = (db: SqlClient, key: bigint): Promise<boolean> =>
  db.transaction(
    async (tx) =>
      (await tx.query<{ free: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS free', [key.toString()]))[0]
        ?.free !== true,
  );

export interface LeaderRow {
  owner: string;
  host: string;
  pid: number;
  since: number;
  heartbeatAt: number;
}

/** The leader's row, written when it takes the lead. */
export const recordLeader = async (
  db: Queryable,
  l: { owner: string; host: string; pid: number; at: number },
): Promise<void> => {
  await db.query(
    `INSERT INTO cluster_leader (id, owner, host, pid, since, heartbeat_at) VALUES (1, $1, $2, $3, $4, $4)
     ON CONFLICT (id) DO UPDATE SET owner = $1, host = $2, pid = $3, since = $4, heartbeat_at = $4`,
    [l.owner, l.host, l.pid, new Date(l.at)],
  );
};

/** The leader's heartbeat: its row touched every poll. */
export const touchLeader = async (db: Queryable, owner: string, at: number): Promise<void> => {
  await db.query('UPDATE cluster_leader SET heartbeat_at = $2 WHERE owner = $1', [owner, new Date(at)]);
};

/** The row goes when its leader steps down cleanly (a killed one leaves it, stale). */
export const clearLeader = async (db: Queryable, owner: string): Promise<void> => {
  await db.query('DELETE FROM cluster_leader WHERE owner = $1', [owner]);
};

/** Who leads, as last recorded; undefined when nobody has. */
export const currentLeader = async (db: Queryable): Promise<LeaderRow | undefined> => {
  const [r] = await db.query<{ owner: string; host: string; pid: number; since: Date; heartbeat_at: Date }>(
    'SELECT owner, host, pid, since, heartbeat_at FROM cluster_leader WHERE id = 1',
  );
  return r
    ? {
        owner: r.owner,
        host: r.host,
        pid: Number(r.pid),
        since: new Date(r.since).getTime(),
        heartbeatAt: new Date(r.heartbeat_at).getTime(),
      }
    : undefined;
};
