import type { SqlDialect } from '../../core/sql/dialect.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';
import { inList, jsonList } from './id-list.ts';

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
const TREATED = (d?: SqlDialect) => `SELECT user_id, min(ts) AS start FROM message_facts
  WHERE status = 'sent' AND campaign_id IN (${inList('$3', d)}) AND run_id IN (${inList('$4', d)})
    AND ($5 = '' OR channel = $5)
  GROUP BY user_id`;
const HELD = (
  reason: 'campaign' | 'global' | 'any',
  d?: SqlDialect,
) => `SELECT user_id, min(slot_at) AS start FROM decided_members
  WHERE decision = 'holdout' AND campaign_id IN (${inList('$3', d)}) AND run_id IN (${inList('$4', d)})
    AND ${reason === 'campaign' ? 'reason IS NULL' : reason === 'global' ? "reason = 'global_control'" : 'TRUE'}
    AND $5 = $5
  GROUP BY user_id`;

const members = (group: LiftGroup, d?: SqlDialect): string =>
  group === 'treated'
    ? TREATED(d)
    : HELD(group === 'holdout' ? 'campaign' : group === 'global' ? 'global' : 'any', d);

export interface MemberConversion {
  user_id: string;
  /** The goal event came within the window after the user's start. */
  converted: boolean;
  /** The amounts of those goal events, as the warehouse returns the sum. */
  revenue: unknown;
}

// ClickHouse: the goal event of a member within the window after the member's start ($2 ms).
const IN_WINDOW = 'e.ts >= g.start AND toUnixTimestamp64Milli(e.ts) < toUnixTimestamp64Milli(g.start) + $2';

/** Per member of the group: did the goal `event` come within `windowMs` after their start, and its revenue. */
export const goalConversions = (
  w: WarehouseSql,
  group: LiftGroup,
  scope: LiftScope,
  goal: { event: string; windowMs: number },
): Promise<MemberConversion[]> =>
  w.query<MemberConversion>(
    w.dialect.name === 'duckdb'
      ? `WITH g AS (${members(group)})
     SELECT g.user_id, count(e.user_id) > 0 AS converted, sum(coalesce(e.amount, 0)) AS revenue
     FROM g LEFT JOIN events e ON e.user_id = g.user_id AND e.event = $1
       AND e.ts >= g.start AND e.ts < g.start + to_milliseconds(CAST($2 AS BIGINT))
     GROUP BY g.user_id`
      : // ClickHouse: no inequality in a LEFT JOIN's ON (older servers), so the member's goal events
        // join on the user and the window is a condition of the aggregates; join_use_nulls keeps
        // a member without any goal event as one row of NULLs (counted as not converted).
        `WITH g AS (${members(group, w.dialect)})
     SELECT g.user_id AS user_id,
            toBool(countIf(e.user_id IS NOT NULL AND ${IN_WINDOW}) > 0) AS converted,
            sumIf(coalesce(e.amount, 0), ${IN_WINDOW}) AS revenue
     FROM g LEFT JOIN (SELECT user_id, ts, amount FROM events WHERE event = $1) AS e ON e.user_id = g.user_id
     GROUP BY g.user_id
     SETTINGS join_use_nulls = 1`,
    [goal.event, goal.windowMs, jsonList(scope.campaignIds), jsonList(scope.runIds), scope.channel],
  );
