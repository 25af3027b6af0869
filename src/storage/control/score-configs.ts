import type { SqlClient } from './sql-client.ts';

/** A workspace's stored scoring configuration (validated when it was written). */
export interface StoredScoreConfig {
  workspaceId: string;
  config: unknown;
  version: number;
  updatedAt: number;
  updatedBy: number | null;
}

const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

export const getScoreConfigRow = async (
  db: SqlClient,
  workspaceId: string,
): Promise<StoredScoreConfig | null> => {
  const rows = await db.query('SELECT * FROM score_configs WHERE workspace_id = $1', [workspaceId]);
  const r = rows[0];
  if (!r) return null;
  return {
    workspaceId,
    config: json(r['config']),
    version: Number(r['version']),
    updatedAt: new Date(r['updated_at'] as string).getTime(),
    updatedBy: r['updated_by'] === null ? null : Number(r['updated_by']),
  };
};

/**
 * Writes version `expectedVersion + 1` if the stored version is still `expectedVersion` (0: no
 * row yet); false if someone else wrote first.
 */
export const putScoreConfigRow = async (
  db: SqlClient,
  c: { workspaceId: string; config: unknown; expectedVersion: number; at: number; by: number | null },
): Promise<boolean> => {
  const params = [c.workspaceId, JSON.stringify(c.config), c.expectedVersion + 1, new Date(c.at), c.by];
  if (c.expectedVersion === 0) {
    const rows = await db.query(
      `INSERT INTO score_configs (workspace_id, config, version, updated_at, updated_by)
       VALUES ($1, $2::text::jsonb, $3, $4, $5) ON CONFLICT (workspace_id) DO NOTHING RETURNING version`,
      params,
    );
    return rows.length > 0;
  }
  const rows = await db.query(
    `UPDATE score_configs SET config = $2::text::jsonb, version = $3, updated_at = $4, updated_by = $5
     WHERE workspace_id = $1 AND version = $6 RETURNING version`,
    [...params, c.expectedVersion],
  );
  return rows.length > 0;
};
