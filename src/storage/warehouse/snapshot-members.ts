import type { CompiledQuery } from '../../core/sql/params.ts';
import type { Warehouse } from './warehouse.ts';
import { PROFILE_EXPORT_COLUMNS, SCORE_EXPORT_COLUMNS } from '../../core/export/columns.ts';
import type { ExportNeeds, StoredExportRow } from '../../core/export/export-rows.ts';
import { REASON_TRAIT } from '../../core/scores/churn-reasons.ts';
import { Params, safeJson } from '../../core/sql/params.ts';

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

/** Which of the score columns exist: the value model's are added by its DDL, maybe not yet run. */
const presentScoreColumns = async (warehouse: Warehouse): Promise<Set<string>> =>
  new Set(
    (
      await warehouse.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'user_scores'`,
      )
    ).map((r) => r.column_name),
  );

/**
 * The members with what the export needs, in user-id order, chunk by chunk: profile columns by
 * name, score columns by name (NULL where the column does not exist yet), `churn_reason` (the
 * latest survey answer, kept as that trait), the first churn-model reason's `reason_feature`,
 * `reason_value` and `reason_contribution`, and `traits.<key>` as text.
 */
export async function* streamSnapshotRows(
  warehouse: Warehouse,
  snapshotId: string,
  needs: ExportNeeds,
): AsyncGenerator<StoredExportRow[]> {
  // Column names come from the fixed lists in core, never from the request text; trait keys
  // are bound as JSON paths.
  for (const c of needs.profile)
    if (!(PROFILE_EXPORT_COLUMNS as readonly string[]).includes(c))
      throw new Error(`not a profile column: ${c}`);
  for (const c of needs.scores)
    if (!(SCORE_EXPORT_COLUMNS as readonly string[]).includes(c)) throw new Error(`not a score column: ${c}`);
  const p = new Params(1);
  const select = ['m.user_id', ...needs.profile.map((c) => `p.${c}`)];
  const joins = ['LEFT JOIN profiles p ON p.user_id = m.user_id'];
  if (needs.scores.length > 0) {
    const present = await presentScoreColumns(warehouse);
    select.push(...needs.scores.map((c) => (present.has(c) ? `s.${c}` : `NULL AS ${c}`)));
    joins.push('LEFT JOIN user_scores s ON s.user_id = m.user_id');
  }
  if (needs.churnReason)
    select.push(`${safeJson('json_extract_string', 'p.traits', p.add(`$.${REASON_TRAIT}`))} AS churn_reason`);
  if (needs.topReason) {
    select.push(
      'r.feature AS reason_feature',
      'r.value AS reason_value',
      'r.contribution AS reason_contribution',
    );
    joins.push('LEFT JOIN churn_risk_reasons r ON r.user_id = m.user_id AND r.rank = 1');
  }
  needs.traits.forEach((key, i) =>
    select.push(`${safeJson('json_extract_string', 'p.traits', p.add(`$.${key}`))} AS t${i}`),
  );
  const sql =
    `SELECT ${select.join(', ')} FROM audience_snapshot_members m ${joins.join(' ')} ` +
    `WHERE m.snapshot_id = $1 ORDER BY m.user_id`;
  for await (const rows of warehouse.stream(sql, [snapshotId, ...p.values]))
    yield rows.map((r) => {
      const out: StoredExportRow = { ...r, user_id: r['user_id'] };
      needs.traits.forEach((key, i) => {
        out[`traits.${key}`] = r[`t${i}`];
      });
      return out;
    });
}
