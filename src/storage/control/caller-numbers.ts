import type { CallerNumberStatus } from '../../core/planner/channel-reach.ts';
import type { SqlClient } from './sql-client.ts';

/** A caller number of the call channel with its health (migration 020). */
export interface CallerNumber {
  number: string;
  status: CallerNumberStatus;
  /** 'harassment' (标记为骚扰) or the admin's words; null while healthy. */
  flag: string | null;
  note: string | null;
  addedAt: number;
  updatedAt: number;
}

interface Row {
  number: string;
  status: string;
  flag: string | null;
  note: string | null;
  added_at: Date | string;
  updated_at: Date | string;
}

const toNumber = (r: Row): CallerNumber => ({
  number: r.number,
  status: r.status as CallerNumberStatus,
  flag: r.flag,
  note: r.note,
  addedAt: new Date(r.added_at).getTime(),
  updatedAt: new Date(r.updated_at).getTime(),
});

export const listCallerNumbers = async (db: SqlClient, workspaceId: string): Promise<CallerNumber[]> =>
  (
    await db.query<Row>(
      `SELECT number, status, flag, note, added_at, updated_at FROM caller_numbers
       WHERE workspace_id = $1 ORDER BY number`,
      [workspaceId],
    )
  ).map(toNumber);

export const getCallerNumber = async (
  db: SqlClient,
  workspaceId: string,
  number: string,
): Promise<CallerNumber | undefined> => {
  const rows = await db.query<Row>(
    `SELECT number, status, flag, note, added_at, updated_at FROM caller_numbers
     WHERE workspace_id = $1 AND number = $2`,
    [workspaceId, number],
  );
  return rows[0] && toNumber(rows[0]);
};

/** Adds a healthy number; false when the workspace has it already. */
export const insertCallerNumber = async (
  db: SqlClient,
  workspaceId: string,
  n: { number: string; note: string | null; at: number },
): Promise<boolean> =>
  (
    await db.query(
      `INSERT INTO caller_numbers (workspace_id, number, status, note, added_at, updated_at)
       VALUES ($1, $2, 'healthy', $3, $4, $4) ON CONFLICT DO NOTHING RETURNING number`,
      [workspaceId, n.number, n.note, new Date(n.at)],
    )
  ).length === 1;

export const setCallerNumberStatus = async (
  db: SqlClient,
  workspaceId: string,
  n: { number: string; status: CallerNumberStatus; flag: string | null; note: string | null; at: number },
): Promise<void> => {
  await db.query(
    `UPDATE caller_numbers SET status = $3, flag = $4, note = coalesce($5, note), updated_at = $6
     WHERE workspace_id = $1 AND number = $2`,
    [workspaceId, n.number, n.status, n.flag, n.note, new Date(n.at)],
  );
};
