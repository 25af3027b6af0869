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

export interface TeamMemberDetail {
  id: number;
  name: string;
  role: string;
  createdAt: Date | null;
  disabledAt: Date | null;
  hasPassword: boolean;
  /** The start of the member's latest console session, null when they never logged in. */
  lastLoginAt: Date | null;
}

/** The team page of the console (admins): members, whether they may log in, their last login. */
export const teamMemberDetails = async (db: SqlClient, workspaceId: string): Promise<TeamMemberDetail[]> =>
  (
    await db.query(
      `SELECT u.id, u.name, u.role, u.created_at, u.disabled_at, u.password_hash IS NOT NULL AS has_password,
              (SELECT max(s.created_at) FROM sessions s WHERE s.user_id = u.id) AS last_login_at
         FROM users u WHERE u.workspace_id = $1 ORDER BY u.id`,
      [workspaceId],
    )
  ).map((r) => ({
    id: numberOrZero(r['id']),
    name: String(r['name']),
    role: String(r['role']),
    createdAt: dateOrNull(r['created_at']),
    disabledAt: dateOrNull(r['disabled_at']),
    hasPassword: r['has_password'] === true,
    lastLoginAt: dateOrNull(r['last_login_at']),
  }));

/** Lets a disabled member log in again (the caller audits it); false when they are not disabled. */
export const enableUserRow = async (db: SqlClient, userId: number): Promise<boolean> =>
  (
    await db.query(
      'UPDATE users SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL RETURNING id',
      [userId],
    )
  ).length === 1;
