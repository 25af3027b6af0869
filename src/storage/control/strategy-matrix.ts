import { EMPTY_MATRIX, type CampaignFacts, type StrategyMatrix } from '../../core/strategies/matrix.ts';
import type { SqlClient } from './sql-client.ts';

/** The workspace's strategy matrix; version 0 = never saved (the empty matrix). */
export const getMatrix = async (
  db: SqlClient,
  workspaceId: string,
): Promise<{ version: number; matrix: StrategyMatrix; updatedAt: number | null }> => {
  const rows = await db.query(
    'SELECT version, matrix, updated_at FROM strategy_matrices WHERE workspace_id = $1',
    [workspaceId],
  );
  const r = rows[0];
  if (!r) return { version: 0, matrix: EMPTY_MATRIX, updatedAt: null };
  const matrix = typeof r['matrix'] === 'string' ? JSON.parse(r['matrix']) : r['matrix'];
  return {
    version: Number(r['version']),
    matrix: matrix as StrategyMatrix,
    updatedAt: new Date(r['updated_at'] as string).getTime(),
  };
};

/**
 * Writes the next version if the stored one is `expectedVersion` (false when it moved on), and
 * keeps that version in `strategy_matrix_versions`. Call inside the caller's transaction.
 */
export const putMatrix = async (
  db: SqlClient,
  p: { workspaceId: string; matrix: StrategyMatrix; expectedVersion: number; by: number | null; at: number },
): Promise<boolean> => {
  const json = JSON.stringify(p.matrix);
  const rows =
    p.expectedVersion === 0
      ? await db.query(
          `INSERT INTO strategy_matrices (workspace_id, version, matrix, updated_at, updated_by)
           VALUES ($1, 1, $2::text::jsonb, $3, $4) ON CONFLICT (workspace_id) DO NOTHING RETURNING version`,
          [p.workspaceId, json, new Date(p.at), p.by],
        )
      : await db.query(
          `UPDATE strategy_matrices SET version = version + 1, matrix = $2::text::jsonb, updated_at = $3, updated_by = $4
           WHERE workspace_id = $1 AND version = $5 RETURNING version`,
          [p.workspaceId, json, new Date(p.at), p.by, p.expectedVersion],
        );
  const r = rows[0];
  if (!r) return false;
  await db.query(
    `INSERT INTO strategy_matrix_versions (workspace_id, version, matrix, saved_at, saved_by)
     VALUES ($1, $2, $3::text::jsonb, $4, $5)`,
    [p.workspaceId, Number(r['version']), json, new Date(p.at), p.by],
  );
  return true;
};

/** Saved versions, newest first (who and when; the matrix of each). */
export const listMatrixVersions = async (
  db: SqlClient,
  workspaceId: string,
  limit: number,
): Promise<{ version: number; matrix: StrategyMatrix; savedAt: number; savedBy: string | null }[]> =>
  (
    await db.query(
      `SELECT v.version, v.matrix, v.saved_at, u.name FROM strategy_matrix_versions v
       LEFT JOIN users u ON u.id = v.saved_by
       WHERE v.workspace_id = $1 ORDER BY v.version DESC LIMIT $2`,
      [workspaceId, limit],
    )
  ).map((r) => ({
    version: Number(r['version']),
    matrix: (typeof r['matrix'] === 'string' ? JSON.parse(r['matrix']) : r['matrix']) as StrategyMatrix,
    savedAt: new Date(r['saved_at'] as string).getTime(),
    savedBy: r['name'] === null || r['name'] === undefined ? null : String(r['name']),
  }));

/** The workspace's campaigns as the matrix's checks and the planner's details see them. */
export const matrixCampaignFacts = async (
  db: SqlClient,
  workspaceId: string,
  ids: readonly string[] | null,
): Promise<(CampaignFacts & { definition: Record<string, unknown> })[]> =>
  (
    await db.query(
      `SELECT id, name, status, definition FROM campaigns
       WHERE workspace_id = $1 AND ($2::text IS NULL OR id IN (SELECT jsonb_array_elements_text($2::text::jsonb)))`,
      [workspaceId, ids === null ? null : JSON.stringify(ids)],
    )
  ).map((r) => {
    const definition = (
      typeof r['definition'] === 'string' ? JSON.parse(r['definition']) : r['definition']
    ) as Record<string, unknown>;
    return {
      id: String(r['id']),
      name: String(r['name']),
      status: String(r['status']),
      marketing: definition['class'] !== 'transactional',
      hasLadder: definition['ladder'] !== undefined && definition['ladder'] !== null,
      definition,
    };
  });
