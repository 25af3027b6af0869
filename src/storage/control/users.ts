import { apiTokensChanged } from './api-token-changes.ts';
import { createHash, randomBytes } from 'node:crypto';
import type { Actor, Role } from '../../core/auth/roles.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type { SqlClient } from './sql-client.ts';

export interface UserInfo {
  id: number;
  workspaceId: string;
  name: string;
  role: Role;
  createdAt: Date;
  disabledAt: Date | null;
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** `rkt_` marks an API token (write keys are `rk_`), so a leaked one is recognisable. */
export const newApiToken = (): string => `rkt_${randomBytes(24).toString('base64url')}`;

export const toUser = (r: Record<string, unknown>): UserInfo => ({
  id: Number(r['id']),
  workspaceId: String(r['workspace_id']),
  name: String(r['name']),
  role: r['role'] as Role,
  createdAt: new Date(r['created_at'] as string),
  disabledAt: r['disabled_at'] ? new Date(r['disabled_at'] as string) : null,
});

export const createUser = async (
  db: SqlClient,
  input: { name: string; role: Role; workspaceId?: string },
): Promise<Result<UserInfo, { type: 'name_taken' }>> => {
  const rows = await db.query(
    `INSERT INTO users (workspace_id, name, role) VALUES ($1, $2, $3)
     ON CONFLICT (workspace_id, name) DO NOTHING RETURNING *`,
    [input.workspaceId ?? 'default', input.name, input.role],
  );
  const row = rows[0];
  return row === undefined ? err({ type: 'name_taken' }) : ok(toUser(row));
};

export const findUserByName = async (
  db: SqlClient,
  name: string,
  workspaceId = 'default',
): Promise<UserInfo | null> => {
  const rows = await db.query('SELECT * FROM users WHERE workspace_id = $1 AND name = $2', [
    workspaceId,
    name,
  ]);
  return rows[0] ? toUser(rows[0]) : null;
};

export const listUsers = async (db: SqlClient, workspaceId = 'default'): Promise<UserInfo[]> =>
  (await db.query('SELECT * FROM users WHERE workspace_id = $1 ORDER BY id', [workspaceId])).map(toUser);

/** Issues a new token for the user and returns it; only its hash is stored. */
export const issueApiToken = async (db: SqlClient, userId: number): Promise<string> => {
  const token = newApiToken();
  await db.query('INSERT INTO api_tokens (user_id, token_hash, token_prefix) VALUES ($1, $2, $3)', [
    userId,
    hashToken(token),
    token.slice(0, 8),
  ]);
  return token;
};

/** The acting user for a token, or null if the token is unknown, revoked or its user disabled. */
export const actorForApiToken = async (db: SqlClient, token: string): Promise<Actor | null> => {
  const rows = await db.query<{ id: string; workspace_id: string; name: string; role: Role }>(
    `SELECT u.id, u.workspace_id, u.name, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL`,
    [hashToken(token)],
  );
  const r = rows[0];
  return r ? { userId: Number(r.id), workspaceId: r.workspace_id, name: r.name, role: r.role } : null;
};

export const revokeApiTokens = async (db: SqlClient, userId: number): Promise<number> => {
  const revoked = await db.query(
    'UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id',
    [userId],
  );
  apiTokensChanged();
  return revoked.length;
};

export const findUserById = async (db: SqlClient, id: number): Promise<UserInfo | null> => {
  const rows = await db.query('SELECT * FROM users WHERE id = $1', [id]);
  return rows[0] ? toUser(rows[0]) : null;
};

/** A user with the stored password hash (null: no password set), for checking a login. */
export const findUserForLogin = async (
  db: SqlClient,
  workspaceId: string,
  name: string,
): Promise<(UserInfo & { passwordHash: string | null }) | null> => {
  const rows = await db.query('SELECT * FROM users WHERE workspace_id = $1 AND name = $2', [
    workspaceId,
    name,
  ]);
  const r = rows[0];
  if (r === undefined) return null;
  return { ...toUser(r), passwordHash: typeof r['password_hash'] === 'string' ? r['password_hash'] : null };
};

export const setPasswordHash = async (
  db: SqlClient,
  userId: number,
  hash: string,
  at: number,
): Promise<void> => {
  await db.query('UPDATE users SET password_hash = $2, password_set_at = $3 WHERE id = $1', [
    userId,
    hash,
    new Date(at),
  ]);
};

/**
 * Replaces a hash by a stronger one of the same password, unless it changed meanwhile (a
 * rehash must never undo a password change that raced with the login).
 */
export const rehashPassword = async (
  db: SqlClient,
  userId: number,
  oldHash: string,
  newHash: string,
): Promise<boolean> =>
  (
    await db.query('UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2 RETURNING id', [
      userId,
      oldHash,
      newHash,
    ])
  ).length === 1;

/** Disables a user (API tokens and sessions stop working); false if already disabled. */
export const disableUserRow = async (db: SqlClient, userId: number, at: number): Promise<boolean> => {
  const done = await db.query(
    'UPDATE users SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING id',
    [userId, new Date(at)],
  );
  apiTokensChanged();
  return done.length === 1;
};

/** Sets a user's role (the caller audits it: auth/team.ts). */
export const setUserRoleRow = async (db: SqlClient, userId: number, role: Role): Promise<void> => {
  await db.query('UPDATE users SET role = $2 WHERE id = $1', [userId, role]);
  apiTokensChanged();
};

export const workspaceExists = async (db: SqlClient, workspaceId: string): Promise<boolean> =>
  (await db.query('SELECT 1 FROM workspaces WHERE id = $1', [workspaceId])).length === 1;
