import { createHash, randomBytes } from 'node:crypto';
import type { SqlClient } from './sql-client.ts';

export interface WriteKeyInfo {
  id: number;
  workspaceId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  /** When ingest last accepted it (noted at most once per cache period); null: never. */
  lastUsedAt: Date | null;
}

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** A new random key; `rk_` marks it as Rekindle's so it is recognisable in config files. */
export const newWriteKey = (): string => `rk_${randomBytes(24).toString('base64url')}`;

const toInfo = (r: Record<string, unknown>): WriteKeyInfo => ({
  id: Number(r['id']),
  workspaceId: String(r['workspace_id']),
  name: String(r['name']),
  prefix: String(r['key_prefix']),
  createdAt: new Date(r['created_at'] as string),
  revokedAt: r['revoked_at'] ? new Date(r['revoked_at'] as string) : null,
  lastUsedAt: r['last_used_at'] ? new Date(r['last_used_at'] as string) : null,
});

/** Stores a key (its hash only). Adding a key that exists already is a no-op. */
export const addWriteKey = async (
  db: SqlClient,
  key: string,
  name: string,
  workspaceId = 'default',
  createdAt: Date | null = null,
): Promise<WriteKeyInfo> => {
  const rows = await db.query(
    `INSERT INTO write_keys (workspace_id, name, key_hash, key_prefix, created_at)
     VALUES ($1, $2, $3, $4, coalesce($5::timestamptz, now()))
     ON CONFLICT (key_hash) DO UPDATE SET key_hash = excluded.key_hash RETURNING *`,
    [workspaceId, name, hashKey(key), key.slice(0, 6), createdAt],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('INSERT ... RETURNING gave no row');
  return toInfo(row);
};

export const listWriteKeys = async (db: SqlClient, workspaceId = 'default'): Promise<WriteKeyInfo[]> =>
  (await db.query('SELECT * FROM write_keys WHERE workspace_id = $1 ORDER BY id', [workspaceId])).map(toInfo);

/** Revokes an active key (at `at`, else now); false when it is unknown or revoked already. */
export const revokeWriteKey = async (db: SqlClient, id: number, at: Date | null = null): Promise<boolean> =>
  (
    await db.query(
      `UPDATE write_keys SET revoked_at = coalesce($2::timestamptz, now())
        WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
      [id, at],
    )
  ).length > 0;

/** The workspace a key writes to, or null for an unknown or revoked key. */
export const workspaceForWriteKey = async (db: SqlClient, key: string): Promise<string | null> => {
  const rows = await db.query<{ workspace_id: string }>(
    'SELECT workspace_id FROM write_keys WHERE key_hash = $1 AND revoked_at IS NULL',
    [hashKey(key)],
  );
  return rows[0]?.workspace_id ?? null;
};

/** One key of the workspace by id, or null (another workspace's key is not found). */
export const findWriteKey = async (
  db: SqlClient,
  id: number,
  workspaceId = 'default',
): Promise<WriteKeyInfo | null> => {
  const rows = await db.query('SELECT * FROM write_keys WHERE id = $1 AND workspace_id = $2', [
    id,
    workspaceId,
  ]);
  return rows[0] === undefined ? null : toInfo(rows[0]);
};

/** Notes that ingest accepted the key at `at` (a later note never moves it back). */
export const noteWriteKeyUse = async (db: SqlClient, key: string, at: Date): Promise<void> => {
  await db.query(
    `UPDATE write_keys SET last_used_at = $2
      WHERE key_hash = $1 AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < $2)`,
    [hashKey(key), at],
  );
};
