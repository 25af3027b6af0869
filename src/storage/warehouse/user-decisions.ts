import { dateOrNull, textOrNull } from '../row-values.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';
import { chTextArray } from './planner-sql.ts';

/** The planner's recorded decisions (skips, holdouts) about one user in one campaign, earliest first. */
export interface UserDecisionRow {
  runId: string;
  slotAt: Date | null;
  decision: string;
  reason: string | null;
  detail: string | null;
}

/**
 * Both decision tables directly (the view `decided_members` would unnest every group of the
 * campaign to find one user; `list_contains` looks inside each group's list instead).
 */
export const userDecisionRows = async (
  w: WarehouseSql,
  campaignId: string,
  userId: string,
): Promise<UserDecisionRow[]> =>
  (
    await w.query(
      w.dialect.name === 'duckdb'
        ? `SELECT run_id, slot_at, decision, reason, detail FROM plan_decision_groups
       WHERE campaign_id = $1 AND list_contains(user_ids, $2)
       UNION ALL
       SELECT run_id, slot_at, decision, reason, detail FROM plan_decisions
       WHERE campaign_id = $1 AND user_id = $2
       ORDER BY slot_at, run_id`
        : w.dialect.orderedUnionAll(
            [
              `SELECT run_id, slot_at, decision, reason, detail FROM plan_decision_groups
               WHERE campaign_id = $1 AND has(user_ids, $2)`,
              `SELECT run_id, slot_at, decision, reason, detail FROM plan_decisions
               WHERE campaign_id = $1 AND user_id = $2`,
            ],
            'slot_at, run_id',
          ),
      [campaignId, userId],
    )
  ).map((r) => ({
    runId: String(r['run_id']),
    slotAt: dateOrNull(r['slot_at']),
    decision: String(r['decision']),
    reason: textOrNull(r['reason']),
    detail: textOrNull(r['detail']),
  }));

/** Which of these snapshots hold the user. */
export const snapshotsHolding = async (
  w: WarehouseSql,
  snapshotIds: readonly string[],
  userId: string,
): Promise<Set<string>> => {
  if (snapshotIds.length === 0) return new Set();
  const rows = await w.query(
    `SELECT DISTINCT snapshot_id FROM audience_snapshot_members
     WHERE user_id = $1 AND ${
       w.dialect.name === 'duckdb'
         ? `list_contains(from_json($2, '["VARCHAR"]'), snapshot_id)`
         : `has(${chTextArray('$2')}, snapshot_id)`
     }`,
    [userId, JSON.stringify(snapshotIds)],
  );
  return new Set(rows.map((r) => String(r['snapshot_id'])));
};

/** Whether the warehouse knows the user at all: a profile or an event. */
export const userKnown = async (w: WarehouseSql, userId: string): Promise<boolean> =>
  (
    await w.query(
      `SELECT 1 FROM profiles WHERE user_id = $1 UNION ALL SELECT 1 FROM events WHERE user_id = $1 LIMIT 1`,
      [userId],
    )
  ).length > 0;
