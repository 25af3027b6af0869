import type { CompiledQuery } from '../../core/sql/params.ts';
import type { Warehouse } from './warehouse.ts';
import { EXPORT_COLUMNS, type ExportColumn } from '../../core/export/columns.ts';

/**
 * Member lists of audience snapshots. They are written before the control plane records the
 * snapshot, so a list without a control-plane row is an aborted snapshot and is never read.
 */

/** Evaluates the compiled audience and stores its members under `snapshotId`; returns how many. */
export const writeSnapshotMembers = async (
  warehouse: Warehouse,
  snapshotId: string,
  audience: CompiledQuery,
): Promise<number> => {
  const id = `$${audience.params.length + 1}`;
  return warehouse.write(
    `INSERT INTO audience_snapshot_members SELECT ${id}, m.user_id FROM (${audience.sql}) AS m`,
    [...audience.params, snapshotId],
  );
};

export const deleteSnapshotMembers = async (warehouse: Warehouse, snapshotId: string): Promise<void> => {
  await warehouse.write('DELETE FROM audience_snapshot_members WHERE snapshot_id = $1', [snapshotId]);
};

/** A page of member ids in id order, starting after `after` (keyset paging: stable and cheap). */
export const snapshotMemberPage = async (
  warehouse: Warehouse,
  snapshotId: string,
  page: { after?: string | undefined; limit: number },
): Promise<string[]> =>
  (
    await warehouse.query<{ user_id: string }>(
      `SELECT user_id FROM audience_snapshot_members WHERE snapshot_id = $1 AND ($2::VARCHAR IS NULL OR user_id > $2::VARCHAR)
       ORDER BY user_id LIMIT $3`,
      [snapshotId, page.after ?? null, page.limit],
    )
  ).map((r) => r.user_id);

/** The members with the chosen profile columns, in user-id order, chunk by chunk. */
export const streamSnapshotRows = (
  warehouse: Warehouse,
  snapshotId: string,
  columns: readonly ExportColumn[],
): AsyncGenerator<Record<string, unknown>[]> => {
  // Column names come from the fixed list above, never from the request text.
  const known = new Set<string>(EXPORT_COLUMNS);
  for (const c of columns) if (!known.has(c)) throw new Error(`not an export column: ${c}`);
  const select = ['m.user_id', ...columns.map((c) => `p.${c}`)].join(', ');
  return warehouse.stream(
    `SELECT ${select} FROM audience_snapshot_members m LEFT JOIN profiles p ON p.user_id = m.user_id
     WHERE m.snapshot_id = $1 ORDER BY m.user_id`,
    [snapshotId],
  );
};
