import type { SqlClient } from './sql-client.ts';

/** One stored churn model (table `churn_models`); `model` is the model JSON text. */
export interface ChurnModelRow {
  id: string;
  workspaceId: string;
  version: number;
  createdAt: number;
  createdBy: number | null;
  params: unknown;
  metrics: unknown;
  active: boolean;
}

export interface ChurnModelRowWithModel extends ChurnModelRow {
  model: string;
}

const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

const fromRow = (r: Record<string, unknown>): ChurnModelRow => ({
  id: String(r['id']),
  workspaceId: String(r['workspace_id']),
  version: Number(r['version']),
  createdAt: new Date(r['created_at'] as string).getTime(),
  createdBy: r['created_by'] === null ? null : Number(r['created_by']),
  params: json(r['params']),
  metrics: json(r['metrics']),
  active: r['active'] === true,
});

const SUMMARY_COLUMNS = 'id, workspace_id, version, created_at, created_by, params, metrics, active';

/**
 * Stores a new model as the next version of the workspace and makes it the active one, in one
 * transaction. Returns the stored row (without the model text).
 */
export const insertChurnModel = (
  db: SqlClient,
  m: {
    id: string;
    workspaceId: string;
    at: number;
    by: number | null;
    params: unknown;
    metrics: unknown;
    model: string;
  },
): Promise<ChurnModelRow> =>
  db.transaction(async (tx) => {
    await tx.query('UPDATE churn_models SET active = false WHERE workspace_id = $1 AND active', [
      m.workspaceId,
    ]);
    const rows = await tx.query(
      `INSERT INTO churn_models (id, workspace_id, version, created_at, created_by, params, metrics, model, active)
       VALUES ($1, $2, (SELECT coalesce(max(version), 0) + 1 FROM churn_models WHERE workspace_id = $2), $3, $4,
               $5::text::jsonb, $6::text::jsonb, $7, true)
       RETURNING ${SUMMARY_COLUMNS}`,
      [
        m.id,
        m.workspaceId,
        new Date(m.at),
        m.by,
        JSON.stringify(m.params),
        JSON.stringify(m.metrics),
        m.model,
      ],
    );
    const r = rows[0];
    if (!r) throw new Error('inserting a churn model returned no row');
    return fromRow(r);
  });

/** The workspace's models, newest version first, without the model text. */
export const listChurnModelRows = async (db: SqlClient, workspaceId: string): Promise<ChurnModelRow[]> =>
  (
    await db.query(
      `SELECT ${SUMMARY_COLUMNS} FROM churn_models WHERE workspace_id = $1 ORDER BY version DESC`,
      [workspaceId],
    )
  ).map(fromRow);

/** One model with its text: by id, or the active one when `id` is undefined; null when there is none. */
export const getChurnModelRow = async (
  db: SqlClient,
  workspaceId: string,
  id?: string,
): Promise<ChurnModelRowWithModel | null> => {
  const rows =
    id === undefined
      ? await db.query(
          `SELECT ${SUMMARY_COLUMNS}, model FROM churn_models WHERE workspace_id = $1 AND active`,
          [workspaceId],
        )
      : await db.query(
          `SELECT ${SUMMARY_COLUMNS}, model FROM churn_models WHERE workspace_id = $1 AND id = $2`,
          [workspaceId, id],
        );
  const r = rows[0];
  return r ? { ...fromRow(r), model: String(r['model']) } : null;
};

/**
 * Makes a stored model the workspace's active one (e.g. back to an earlier version after a
 * worse retrain), in one transaction; null when the workspace has no model with that id.
 */
export const activateChurnModelRow = (
  db: SqlClient,
  workspaceId: string,
  id: string,
): Promise<ChurnModelRow | null> =>
  db.transaction(async (tx) => {
    const exists = await tx.query('SELECT 1 FROM churn_models WHERE workspace_id = $1 AND id = $2', [
      workspaceId,
      id,
    ]);
    if (exists.length === 0) return null;
    await tx.query('UPDATE churn_models SET active = false WHERE workspace_id = $1 AND active AND id <> $2', [
      workspaceId,
      id,
    ]);
    const rows = await tx.query(
      `UPDATE churn_models SET active = true WHERE workspace_id = $1 AND id = $2 RETURNING ${SUMMARY_COLUMNS}`,
      [workspaceId, id],
    );
    const r = rows[0];
    if (!r) throw new Error('activating a churn model returned no row');
    return fromRow(r);
  });
