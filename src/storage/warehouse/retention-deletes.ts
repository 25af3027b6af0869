import type { Warehouse } from './warehouse.ts';

/** The warehouse deletes of retention (docs/retention.md). */

/** The member rows of these snapshots; returns how many went. */
export const deleteMembersOfSnapshots = (w: Warehouse, snapshotIds: readonly string[]): Promise<number> =>
  w.write(
    `DELETE FROM audience_snapshot_members WHERE snapshot_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`,
    [JSON.stringify(snapshotIds)],
  );

/**
 * Plan decisions (rows and groups) skipped before `cutoff`, except the ladder skips of the
 * campaigns `keepLadderOf` (a ladder reads them so it never retries a user the planner refused);
 * holdouts are never deleted. Returns how many rows went.
 */
export const deleteSkippedDecisionsBefore = async (
  w: Warehouse,
  cutoff: number,
  keepLadderOf: readonly string[],
): Promise<number> => {
  let n = 0;
  for (const table of ['plan_decisions', 'plan_decision_groups'])
    n += await w.write(
      `DELETE FROM ${table} WHERE slot_at < $1::TIMESTAMP AND decision = 'skipped'
         AND NOT (coalesce(detail, '') LIKE 'ladder step %'
                  AND campaign_id IN (SELECT unnest(from_json($2, '["VARCHAR"]'))))`,
      [new Date(cutoff).toISOString(), JSON.stringify(keepLadderOf)],
    );
  return n;
};
