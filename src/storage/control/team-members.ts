import { dateOrNull, numberOrZero } from '../row-values.ts';
import type { SqlClient } from './sql-client.ts';

export interface TeamMemberRow {
  id: number;
  name: string;
  role: string;
  createdAt: Date | null;
  disabled: boolean;
}

/** Console users of the workspace and their roles, by id (never password hashes or tokens). */
export const teamMemberRows = async (db: SqlClient, workspaceId: string): Promise<TeamMemberRow[]> =>
  (
    await db.query(
      `SELECT id, name, role, created_at, disabled_at FROM users WHERE workspace_id = $1 ORDER BY id`,
      [workspaceId],
    )
  ).map((r) => ({
    id: numberOrZero(r['id']),
    name: String(r['name']),
    role: String(r['role']),
    createdAt: dateOrNull(r['created_at']),
    disabled: r['disabled_at'] !== null && r['disabled_at'] !== undefined,
  }));
