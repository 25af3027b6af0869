import type { Actor } from '../core/auth/roles.ts';
import { ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import {
  convertedCohort,
  insertRelapseEvents,
  type CohortScope,
} from '../storage/warehouse/recall-cohorts.ts';
import { committedRuns, goalOf, readableCampaign, type Goal, type ReportsContext } from './context.ts';
import { ratio, yuan } from './sql.ts';

/**
 * North star (features.md G5, G7): recalled users — treated users whose goal event came within the
 * window after their first message — against the holdout users who converted in the same window
 * after their slot. From each user's conversion: repurchases (further goal events) within 90
 * days, average order value of the goal events in those 90 days (the conversion included), and
 * the retention curve: the share of the cohort with any event of their own in week 1…12 after the
 * conversion — events Rekindle writes itself (`recall_relapsed`, `tier_changed`, …: see
 * core/events/system-events.ts) are not activity, or a relapsed user would count as retained.
 */

export const REPURCHASE_DAYS = 90;
export const RETENTION_WEEKS = 12;

export interface Cohort {
  users: number;
  repurchasers: number;
  repurchaseRate: number | null;
  repurchasesPerUser: number | null;
  averageOrderValue: number | null;
  /** Share active in week 1…12 after conversion (index 0 = week 1). */
  retention: number[];
}

export interface NorthStarReport {
  campaignId: string;
  goal: Goal;
  recalled: Cohort;
  holdoutConverted: Cohort;
}

const cohort = async (
  ctx: ReportsContext,
  group: 'treated' | 'holdout',
  scope: CohortScope,
): Promise<Cohort> => {
  const c = await convertedCohort(ctx.warehouse, group, scope, {
    repurchaseDays: REPURCHASE_DAYS,
    retentionWeeks: RETENTION_WEEKS,
  });
  return {
    users: c.users,
    repurchasers: c.repurchasers,
    repurchaseRate: ratio(c.repurchasers, c.users),
    repurchasesPerUser: ratio(c.repurchases, c.users),
    averageOrderValue: c.averageAmount === null ? null : yuan(c.averageAmount),
    retention: Array.from({ length: RETENTION_WEEKS }, (_, i) =>
      c.users > 0 ? (c.activeByWeek.get(i + 1) ?? 0) / c.users : 0,
    ),
  };
};

/** The goal, its window and the committed runs: which conversions of the campaign count. */
export const scopeOf = async (ctx: ReportsContext, campaignId: string, goal: Goal): Promise<CohortScope> => ({
  event: goal.event,
  windowMs: Math.round(goal.withinDays * 86_400_000),
  campaignId,
  runIds: await committedRuns(ctx, [campaignId]),
});

export const northStar = async (
  ctx: ReportsContext,
  actor: Actor,
  campaignId: string,
): Outcome<NorthStarReport> => {
  const c = await readableCampaign(ctx, actor, campaignId);
  if (!c.ok) return c;
  const goal = goalOf(c.value);
  const scope = await scopeOf(ctx, campaignId, goal);
  return ok({
    campaignId,
    goal,
    recalled: await cohort(ctx, 'treated', scope),
    holdoutConverted: await cohort(ctx, 'holdout', scope),
  });
};

export const RELAPSE_EVENT = 'recall_relapsed';
export const REPORTS_SOURCE = 'reports';

/**
 * Relapse (features.md G7): a recalled user with no event of their own in the `silentDays` after their
 * conversion gets one system event `recall_relapsed` (source 'reports', at conversion +
 * silentDays, message id `relapse:<campaign id>:<user id>`, so it is written once) that alert
 * rules and triggers can use. Only spells that have fully elapsed by `now` count.
 */
export const recordRelapses = async (
  ctx: ReportsContext,
  campaignId: string,
  goal: Goal,
  options: { silentDays: number; now: number },
): Promise<number> => {
  const silentMs = Math.round(options.silentDays * 86_400_000);
  return insertRelapseEvents(ctx.warehouse, await scopeOf(ctx, campaignId, goal), {
    silentMs,
    now: options.now,
    silentDays: options.silentDays,
    messagePrefix: `relapse:${campaignId}`,
    event: RELAPSE_EVENT,
    source: REPORTS_SOURCE,
  });
};
