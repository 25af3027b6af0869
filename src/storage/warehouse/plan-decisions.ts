import type { WarehouseSql } from '../warehouse-sql.ts';

/**
 * The planner's holdout and skip decisions into `plan_decision_groups` (see
 * planner/plan-decisions.ts): one row per group of users about whom the same thing is recorded.
 */

export interface DecisionGroupRow {
  campaignId: string;
  decision: 'holdout' | 'skipped';
  reason: string | null;
  detail: string | null;
  userIds: readonly string[];
}

/** Users per statement: bounds the JSON text held at once. */
const CHUNK = 200_000;

export const insertDecisionGroups = async (
  warehouse: WarehouseSql,
  groups: readonly DecisionGroupRow[],
  runIds: ReadonlyMap<string, string>,
  slotAt: number,
  /**
   * The runs are not committed yet (a scheduled slot's, under the planner lock): rows already
   * under their ids are a dead attempt's (a process killed between this write and its control-plane
   * commit) and are replaced, so the run that commits counts its decisions once.
   */
  o: { replaceRuns?: boolean } = {},
): Promise<void> => {
  if (warehouse.dialect.name !== 'duckdb')
    return chInsertDecisionGroups(warehouse, groups, runIds, slotAt, o);
  await warehouse.transaction(async (tx) => {
    if (o.replaceRuns === true && runIds.size > 0)
      await tx.run(
        `DELETE FROM plan_decision_groups WHERE run_id IN (${[...runIds.values()].map((_, i) => `$${i + 1}`).join(', ')})`,
        [...runIds.values()],
      );
    for (const g of groups)
      for (let i = 0; i < g.userIds.length; i += CHUNK) {
        const ids = g.userIds.slice(i, i + CHUNK);
        // Ids joined by newlines split several times faster than JSON parses; an id that holds a
        // newline itself sends its chunk as JSON. (VALUES, not SELECT: with SELECT and several
        // parameters DuckDB took five times as long for the same row.)
        const plain = !ids.some((id) => id.includes('\n'));
        await tx.run(
          `INSERT INTO plan_decision_groups (run_id, campaign_id, slot_at, decision, reason, detail, user_ids)
           VALUES ($1, $2, make_timestamp($3::BIGINT * 1000), $4, $5, $6,
                   ${plain ? 'string_split($7, chr(10))' : `from_json($7, '["VARCHAR"]')`})`,
          [
            runIds.get(g.campaignId) ?? '',
            g.campaignId,
            slotAt,
            g.decision,
            g.reason,
            g.detail,
            plain ? ids.join('\n') : JSON.stringify(ids),
          ],
        );
      }
  });
};

/**
 * insertDecisionGroups on ClickHouse, where the statements are not one transaction: the delete of
 * the runs' rows, then the inserts. A re-plan of the slot (same deterministic run ids, replaceRuns)
 * deletes whatever an attempt cut anywhere in this sequence left and writes the groups again, so
 * the run that commits finds its decisions once. A delete-then-insert rather than a replacing
 * key: a re-plan may group and chunk its users differently, and a replacing key per group would
 * keep the first attempt's groups that the second does not write.
 *
 * Each insert turns deduplication off: a re-plan writes the same blocks again after the delete,
 * and a table that remembers insert blocks (a Replicated one does by default) would drop them.
 */
const chInsertDecisionGroups = async (
  warehouse: WarehouseSql,
  groups: readonly DecisionGroupRow[],
  runIds: ReadonlyMap<string, string>,
  slotAt: number,
  o: { replaceRuns?: boolean },
): Promise<void> => {
  const d = warehouse.dialect;
  if (o.replaceRuns === true && runIds.size > 0)
    await warehouse.write(
      `DELETE FROM plan_decision_groups WHERE run_id IN (${[...runIds.values()].map((_, i) => `$${i + 1}`).join(', ')})`,
      [...runIds.values()],
    );
  for (const g of groups)
    for (let i = 0; i < g.userIds.length; i += CHUNK)
      await warehouse.write(
        `INSERT INTO plan_decision_groups (run_id, campaign_id, slot_at, decision, reason, detail, user_ids)
         SETTINGS insert_deduplicate = 0
         SELECT $1, $2, ${d.timeFromMs('$3')}, $4, $5, $6, JSONExtract($7, 'Array(String)')`,
        [
          runIds.get(g.campaignId) ?? '',
          g.campaignId,
          slotAt,
          g.decision,
          g.reason,
          g.detail,
          JSON.stringify(g.userIds.slice(i, i + CHUNK)),
        ],
      );
};
