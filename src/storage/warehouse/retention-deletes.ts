import type { WarehouseSql } from '../warehouse-sql.ts';
import { inList } from './id-list.ts';

/**
 * The warehouse deletes of retention (docs/retention.md). On ClickHouse a delete is a lightweight
 * delete, which reports no rows: the rows it will delete are counted first (a row that arrives
 * between the two may be deleted uncounted; the count is a report, not a contract).
 */

/** Counts the rows of `where`, then deletes them, on ClickHouse. */
const countedDelete = async (
  w: WarehouseSql,
  table: string,
  where: string,
  params: (string | number)[],
): Promise<number> => {
  const n = Number(await w.scalar(`SELECT count() FROM ${table} WHERE ${where}`, params));
  if (n > 0) await w.write(`DELETE FROM ${table} WHERE ${where}`, params);
  return n;
};

/** The member rows of these snapshots; returns how many went. */
export const deleteMembersOfSnapshots = (w: WarehouseSql, snapshotIds: readonly string[]): Promise<number> =>
  w.dialect.name === 'clickhouse'
    ? countedDelete(w, 'audience_snapshot_members', `snapshot_id IN (${inList('$1', w.dialect)})`, [
        JSON.stringify(snapshotIds),
      ])
    : w.write(
        `DELETE FROM audience_snapshot_members WHERE snapshot_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`,
        [JSON.stringify(snapshotIds)],
      );

/**
 * Plan decisions (rows and groups) skipped before `cutoff`, except the ladder skips of the
 * campaigns `keepLadderOf` (a ladder reads them so it never retries a user the planner refused);
 * holdouts are never deleted. Returns how many rows went.
 */
export const deleteSkippedDecisionsBefore = async (
  w: WarehouseSql,
  cutoff: number,
  keepLadderOf: readonly string[],
): Promise<number> => {
  let n = 0;
  if (w.dialect.name === 'clickhouse') {
    // plan_decision_groups counts its rows (groups), as DuckDB's DELETE does.
    for (const table of ['plan_decisions', 'plan_decision_groups'])
      n += await countedDelete(
        w,
        table,
        `slot_at < ${w.dialect.timeFromMs('$1')} AND decision = 'skipped'
         AND NOT (coalesce(detail, '') LIKE 'ladder step %' AND campaign_id IN (${inList('$2', w.dialect)}))`,
        [cutoff, JSON.stringify(keepLadderOf)],
      );
    return n;
  }
  for (const table of ['plan_decisions', 'plan_decision_groups'])
    n += await w.write(
      `DELETE FROM ${table} WHERE slot_at < $1::TIMESTAMP AND decision = 'skipped'
         AND NOT (coalesce(detail, '') LIKE 'ladder step %'
                  AND campaign_id IN (SELECT unnest(from_json($2, '["VARCHAR"]'))))`,
      [new Date(cutoff).toISOString(), JSON.stringify(keepLadderOf)],
    );
  return n;
};
