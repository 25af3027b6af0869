import { skipGroupsOf } from '../core/planner/skip-log.ts';
import type { PlanResult } from '../core/planner/types.ts';
import { insertDecisionGroups } from '../storage/warehouse/plan-decisions.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * The holdout and skip decisions of a slot into the warehouse (`plan_decision_groups`; reports
 * read them one row per member from the view `decided_members`), before the control-plane
 * commit (see run-slot.ts). A 1 M-member slot decides about a million users but says only a few
 * dozen different things (campaign × decision × reason × detail), so each of those is one row
 * whose users travel as one JSON parameter: DuckDB parses and stores them on its own threads
 * instead of the event loop appending row by row.
 */

export interface DecisionGroup {
  campaignId: string;
  decision: 'holdout' | 'skipped';
  reason: string | null;
  detail: string | null;
  userIds: string[];
}

/** Holdouts and skips grouped by what is recorded about them, in the order first seen. */
export const groupDecisions = (
  result: Pick<PlanResult, 'holdout' | 'skipped'>,
  extraSkips: readonly { campaignId: string; userId: string; reason: string }[] = [],
): DecisionGroup[] => {
  const out: DecisionGroup[] = [];
  // campaign → decision + reason → detail → group; Map keys, not concatenated strings, per row.
  const index = new Map<string, Map<string, Map<string | null, DecisionGroup>>>();
  const groupOf = (
    campaignId: string,
    decision: DecisionGroup['decision'],
    reason: string | null,
    detail: string | null,
  ): DecisionGroup => {
    let byReason = index.get(campaignId);
    if (!byReason) index.set(campaignId, (byReason = new Map()));
    const rk = decision === 'holdout' ? `h:${reason ?? ''}` : (reason ?? '');
    let byDetail = byReason.get(rk);
    if (!byDetail) byReason.set(rk, (byDetail = new Map()));
    let g = byDetail.get(detail);
    if (!g) {
      g = { campaignId, decision, reason, detail, userIds: [] };
      byDetail.set(detail, g);
      out.push(g);
    }
    return g;
  };
  const add = (
    campaignId: string,
    decision: DecisionGroup['decision'],
    reason: string | null,
    detail: string | null,
    userId: string,
  ) => groupOf(campaignId, decision, reason, detail).userIds.push(userId);
  for (const h of result.holdout) add(h.campaignId, 'holdout', h.reason ?? null, null, h.userId);
  // A planner result groups its own skips without making an object per skip (skip-log.ts).
  const logged = skipGroupsOf(result);
  if (logged)
    for (const l of logged) {
      const g = groupOf(l.campaignId, 'skipped', l.reason, l.detail);
      if (g.userIds.length === 0) g.userIds = l.userIds;
      else for (const id of l.userIds) g.userIds.push(id);
    }
  else for (const s of result.skipped) add(s.campaignId, 'skipped', s.reason, s.detail, s.userId);
  for (const s of extraSkips) add(s.campaignId, 'skipped', s.reason, null, s.userId);
  return out;
};

/**
 * The groups into `plan_decision_groups`, in one warehouse transaction; `replaceRuns` for runs not
 * yet committed (a scheduled slot): a dead attempt's rows under the same run ids go first.
 */
export const writeDecisions = (
  warehouse: WarehouseSql,
  groups: readonly DecisionGroup[],
  runIds: ReadonlyMap<string, string>,
  slotAt: number,
  o: { replaceRuns?: boolean } = {},
): Promise<void> => insertDecisionGroups(warehouse, groups, runIds, slotAt, o);
