import {
  bootstrapMeanDifference,
  newcombeDifference,
  relativeLift,
  twoProportionTest,
  wilson,
} from '../core/stats/index.ts';
import type { Interval } from '../core/stats/index.ts';
import { goalConversions, type LiftGroup, type LiftScope } from '../storage/warehouse/goal-conversions.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import type { Goal } from './context.ts';
import { num, ratio, yuan } from './sql.ts';

/**
 * Outcome of a group of users from a start instant each: converted when the goal event comes
 * within the goal's window after the start (message sent, or the run's slot for a held-out
 * user), revenue = the amounts of those goal events. Every group is measured the same way, so
 * treated, held-out and global-control users compare like for like (features.md G3).
 */

export interface GroupOutcome {
  users: number;
  converted: number;
  rate: number | null;
  ci: Interval;
  revenue: number;
  revenuePerUser: number | null;
  /** Revenue of each converted user (for the bootstrap). */
  spend: number[];
}

/** The outcome of one group of a lift report (see `goalConversions`). */
export const groupOutcome = async (
  warehouse: WarehouseSql,
  group: LiftGroup,
  scope: LiftScope,
  goal: Goal,
): Promise<GroupOutcome> => {
  const rows = await goalConversions(warehouse, group, scope, {
    event: goal.event,
    windowMs: Math.round(goal.withinDays * 86_400_000),
  });
  const converters = rows.filter((r) => r.converted);
  const spend = converters.map((r) => num(r.revenue)).filter((x) => x > 0);
  const revenue = spend.reduce((a, b) => a + b, 0);
  return {
    users: rows.length,
    converted: converters.length,
    rate: ratio(converters.length, rows.length),
    ci: wilson(converters.length, rows.length),
    revenue: yuan(revenue),
    revenuePerUser: ratio(revenue, rows.length),
    spend,
  };
};

export interface Comparison {
  absoluteLift: number;
  absoluteCi: Interval;
  relativeLift: number | null;
  relativeCi: Interval | null;
  pValue: number;
  revenuePerUserLift: number;
  revenuePerUserCi: Interval;
}

/** Treatment vs a control group; null when either is empty. */
export const compare = (t: GroupOutcome, c: GroupOutcome, seed = 20_261_202): Comparison | null => {
  if (t.users === 0 || c.users === 0) return null;
  const test = twoProportionTest(t.converted, t.users, c.converted, c.users);
  const rel = relativeLift(t.converted, t.users, c.converted, c.users);
  const boot = bootstrapMeanDifference(
    { users: t.users, spend: t.spend },
    { users: c.users, spend: c.spend },
    { seed, resamples: 2000 },
  );
  return {
    absoluteLift: test.difference,
    absoluteCi: newcombeDifference(t.converted, t.users, c.converted, c.users),
    relativeLift: rel?.lift ?? null,
    relativeCi: rel?.ci ?? null,
    pValue: test.pValue,
    revenuePerUserLift: boot.difference,
    revenuePerUserCi: boot.ci,
  };
};

/** The outcome without the per-user spend (what the API returns). */
export const publicOutcome = ({ spend: _spend, ...o }: GroupOutcome): Omit<GroupOutcome, 'spend'> => o;
