import { createHash, randomBytes } from 'node:crypto';
import type { SessionTimes } from '../../core/auth/session-policy.ts';
import type { SqlClient } from './sql-client.ts';
import type { UserInfo } from './users.ts';
import { toUser } from './users.ts';

/** A console session as stored: its times, and never the token itself. */
export interface SessionRecord extends SessionTimes {
  id: number;
  userId: number;
  userAgent: string | null;
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** `rks_` marks a session token (API tokens are `rkt_`, write keys `rk_`). */
export const newSessionToken = (): string => `rks_${randomBytes(32).toString('base64url')}`;

export const isSessionToken = (token: string): boolean => token.startsWith('rks_');

const ms = (v: unknown): number => new Date(v as string | Date).getTime();

const toSession = (r: Record<string, unknown>): SessionRecord => ({
  id: Number(r['id']),
  userId: Number(r['user_id']),
  createdAt: ms(r['created_at']),
  lastSeenAt: ms(r['last_seen_at']),
  expiresAt: ms(r['expires_at']),
  revokedAt: r['revoked_at'] === null || r['revoked_at'] === undefined ? null : ms(r['revoked_at']),
  userAgent: r['user_agent'] === null ? null : String(r['user_agent']),
});

/** Stores a new session for `token` (its hash only). */
export const insertSession = async (
  db: SqlClient,
  s: { token: string; userId: number; at: number; expiresAt: number; userAgent: string | null },
): Promise<SessionRecord> => {
  const rows = await db.query(
    `INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at, user_agent)
     VALUES ($1, $2, $3, $3, $4, $5) RETURNING *`,
    [s.userId, hashToken(s.token), new Date(s.at), new Date(s.expiresAt), s.userAgent],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('INSERT INTO sessions … RETURNING gave no row');
  return toSession(row);
};

/** The session a token names, with its user, whatever its state; null for a token never issued. */
export const sessionByToken = async (
  db: SqlClient,
  token: string,
): Promise<{ session: SessionRecord; user: UserInfo } | null> => {
  const rows = await db.query(
    `SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, s.user_agent,
            u.workspace_id, u.name, u.role, u.created_at AS user_created_at, u.disabled_at
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`,
    [hashToken(token)],
  );
  const r = rows[0];
  if (r === undefined) return null;
  return {
    session: toSession(r),
    user: toUser({ ...r, id: r['user_id'], created_at: r['user_created_at'] }),
  };
};

export const touchSession = async (db: SqlClient, id: number, at: number): Promise<void> => {
  await db.query('UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2', [
    id,
    new Date(at),
  ]);
};

/** Ends one session; false if it had ended already. */
export const revokeSession = async (db: SqlClient, id: number, at: number): Promise<boolean> =>
  (
    await db.query('UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id', [
      id,
      new Date(at),
    ])
  ).length === 1;

/** Ends every live session of a user, except `keep` (the session that asked); returns how many. */
export const revokeUserSessions = async (
  db: SqlClient,
  userId: number,
  at: number,
  keep: number | null = null,
): Promise<number> =>
  (
    await db.query(
      `UPDATE sessions SET revoked_at = $2
       WHERE user_id = $1 AND revoked_at IS NULL AND ($3::bigint IS NULL OR id <> $3::bigint) RETURNING id`,
      [userId, new Date(at), keep],
    )
  ).length;

/** A user's sessions, newest first (for tests and administration). */
export const listUserSessions = async (db: SqlClient, userId: number): Promise<SessionRecord[]> =>
  (await db.query('SELECT * FROM sessions WHERE user_id = $1 ORDER BY id DESC', [userId])).map(toSession);
