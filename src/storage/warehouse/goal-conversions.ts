import { inList, jsonList } from './id-list.ts';
import type { Warehouse } from './warehouse.ts';

/**
 * The groups a lift report compares (features.md G3), each user from a start instant: treated
 * (a message sent in a committed run; start = their first send), held out by the campaign
 * (decided_members 'holdout' without a reason), by the global control group (reason
 * 'global_control'), or either (start = the run's slot).
 */
export type LiftGroup = 'treated' | 'holdout' | 'global' | 'any_held';

export interface LiftScope {
  campaignIds: readonly string[];
  /** Their committed runs (decisions of other run ids are orphans). */
  runIds: readonly string[];
  /** Only messages of this channel count as treatment; '' = any. */
  channel: string;
}

// $3: campaign ids (JSON), $4: committed run ids (JSON), $5: channel ('' = any).
const TREATED = `SELECT user_id, min(ts) AS start FROM message_facts
  WHERE status = 'sent' AND campaign_id IN (${inList('$3')}) AND run_id IN (${inList('$4')})
    AND ($5 = '' OR channel = $5)
  GROUP BY user_id`;
const HELD = (
  reason: 'campaign' | 'global' | 'any',
) => `SELECT user_id, min(slot_at) AS start FROM decided_members
  WHERE decision = 'holdout' AND campaign_id IN (${inList('$3')}) AND run_id IN (${inList('$4')})
    AND ${reason === 'campaign' ? 'reason IS NULL' : reason === 'global' ? "reason = 'global_control'" : 'TRUE'}
    AND $5 = $5
  GROUP BY user_id`;

const MEMBERS: Record<LiftGroup, string> = {
  treated: TREATED,
  holdout: HELD('campaign'),
  global: HELD('global'),
  any_held: HELD('any'),
};

export interface MemberConversion {
  user_id: string;
  /** The goal event came within the window after the user's start. */
  converted: boolean;
  /** The amounts of those goal events, as the warehouse returns the sum. */
  revenue: unknown;
}

/** Per member of the group: did the goal `event` come within `windowMs` after their start, and its revenue. */
export const goalConversions = (
  w: Warehouse,
  group: LiftGroup,
  scope: LiftScope,
  goal: { event: string; windowMs: number },
): Promise<MemberConversion[]> =>
  w.query<MemberConversion>(
    `WITH g AS (${MEMBERS[group]})
     SELECT g.user_id, count(e.user_id) > 0 AS converted, sum(coalesce(e.amount, 0)) AS revenue
     FROM g LEFT JOIN events e ON e.user_id = g.user_id AND e.event = $1
       AND e.ts >= g.start AND e.ts < g.start + to_milliseconds(CAST($2 AS BIGINT))
     GROUP BY g.user_id`,
    [goal.event, goal.windowMs, jsonList(scope.campaignIds), jsonList(scope.runIds), scope.channel],
  );
