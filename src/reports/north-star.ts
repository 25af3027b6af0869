import type { Actor } from '../core/auth/roles.ts';
import { ok, type Result } from '../core/result.ts';
import { EVENT_INSERT_COLUMNS, systemEventSelect } from '../storage/warehouse/user-scores.ts';
import {
  committedRuns,
  goalOf,
  readableCampaign,
  type Goal,
  type ReportFailure,
  type ReportsContext,
} from './context.ts';
import { inList, jsonList, num, ratio, yuan } from './sql.ts';

/**
 * North star (SPEC G5, G7): recalled users — treated users whose goal event came within the
 * window after their first message — against the holdout users who converted in the same window
 * after their slot. From each user's conversion: repurchases (further goal events) within 90
 * days, average order value of the goal events in those 90 days (the conversion included), and
 * the retention curve: the share of the cohort with any event in week 1…12 after the conversion.
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

// $1 event, $2 window ms, $3 campaign ids, $4 run ids.
const CONVERTED = (group: 'treated' | 'holdout') => `
  WITH g AS (${
    group === 'treated'
      ? `SELECT user_id, min(ts) AS start FROM message_facts WHERE status = 'sent'
           AND campaign_id IN (${inList('$3')}) AND run_id IN (${inList('$4')}) GROUP BY user_id`
      : `SELECT user_id, min(slot_at) AS start FROM decided_members WHERE decision = 'holdout' AND reason IS NULL
           AND campaign_id IN (${inList('$3')}) AND run_id IN (${inList('$4')}) GROUP BY user_id`
  })
  SELECT g.user_id, min(e.ts) AS converted_at FROM g JOIN events e ON e.user_id = g.user_id AND e.event = $1
    AND e.ts >= g.start AND e.ts < g.start + to_milliseconds(CAST($2 AS BIGINT))
  GROUP BY g.user_id`;

const cohort = async (
  ctx: ReportsContext,
  converted: string,
  params: (string | number)[],
): Promise<Cohort> => {
  const [s] = await ctx.warehouse.query<Record<string, unknown>>(
    `WITH c AS (${converted}),
     o AS (SELECT c.user_id, e.ts, e.amount, e.ts > c.converted_at AS repeat FROM c JOIN events e
           ON e.user_id = c.user_id AND e.event = $1 AND e.ts >= c.converted_at
           AND e.ts <= c.converted_at + INTERVAL ${REPURCHASE_DAYS} DAY)
     SELECT (SELECT count(*) FROM c) AS users,
       (SELECT count(DISTINCT user_id) FROM o WHERE repeat) AS repurchasers,
       (SELECT count(*) FROM o WHERE repeat) AS repurchases,
       (SELECT avg(amount) FROM o WHERE amount IS NOT NULL) AS aov`,
    params,
  );
  const weeks = await ctx.warehouse.query<{ w: unknown; n: unknown }>(
    `WITH c AS (${converted})
     SELECT CAST(floor(epoch_ms(e.ts - c.converted_at) / 604800000) AS INTEGER) + 1 AS w, count(DISTINCT c.user_id) AS n
     FROM c JOIN events e ON e.user_id = c.user_id AND e.ts > c.converted_at
       AND e.ts < c.converted_at + INTERVAL ${RETENTION_WEEKS * 7} DAY
     GROUP BY 1 ORDER BY 1`,
    params,
  );
  const users = num(s?.['users']);
  const active = new Map(weeks.map((r) => [num(r.w), num(r.n)]));
  const aov = s?.['aov'];
  return {
    users,
    repurchasers: num(s?.['repurchasers']),
    repurchaseRate: ratio(num(s?.['repurchasers']), users),
    repurchasesPerUser: ratio(num(s?.['repurchases']), users),
    averageOrderValue: aov === null || aov === undefined ? null : yuan(num(aov)),
    retention: Array.from({ length: RETENTION_WEEKS }, (_, i) =>
      users > 0 ? (active.get(i + 1) ?? 0) / users : 0,
    ),
  };
};

export const northStar = async (
  ctx: ReportsContext,
  actor: Actor,
  campaignId: string,
): Promise<Result<NorthStarReport, ReportFailure>> => {
  const c = await readableCampaign(ctx, actor, campaignId);
  if (!c.ok) return c;
  const goal = goalOf(c.value);
  const runs = await committedRuns(ctx, [campaignId]);
  const p = [goal.event, Math.round(goal.withinDays * 86_400_000), jsonList([campaignId]), jsonList(runs)];
  return ok({
    campaignId,
    goal,
    recalled: await cohort(ctx, CONVERTED('treated'), p),
    holdoutConverted: await cohort(ctx, CONVERTED('holdout'), p),
  });
};

export const RELAPSE_EVENT = 'recall_relapsed';
export const REPORTS_SOURCE = 'reports';

/**
 * Relapse (SPEC G7): a recalled user with no event at all in the `silentDays` after their
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
  const runs = await committedRuns(ctx, [campaignId]);
  const silentMs = Math.round(options.silentDays * 86_400_000);
  return ctx.warehouse.transaction((tx) =>
    tx.run(
      `WITH c AS (${CONVERTED('treated')}),
       r AS (SELECT c.user_id, epoch_ms(c.converted_at) + $5 AS relapsed_ms, c.converted_at FROM c
             WHERE epoch_ms(c.converted_at) + $5 <= $6
               AND NOT EXISTS (SELECT 1 FROM events e WHERE e.user_id = c.user_id AND e.ts > c.converted_at
                               AND e.ts <= c.converted_at + to_milliseconds(CAST($5 AS BIGINT))))
       INSERT INTO events (${EVENT_INSERT_COLUMNS}) SELECT ${systemEventSelect(
         'r.user_id',
         `json_object('campaignId', $3::JSON->>0, 'convertedAt', strftime(r.converted_at, '%Y-%m-%dT%H:%M:%S.%gZ'), 'silentDays', $7)`,
         { prefix: '$8', event: '$9', time: 'r.relapsed_ms', source: '$10' },
       )} FROM r
       WHERE NOT EXISTS (SELECT 1 FROM events x WHERE x.message_id = $8 || ':' || r.user_id)`,
      [
        goal.event,
        Math.round(goal.withinDays * 86_400_000),
        jsonList([campaignId]),
        jsonList(runs),
        silentMs,
        options.now,
        options.silentDays,
        `relapse:${campaignId}`,
        RELAPSE_EVENT,
        REPORTS_SOURCE,
      ],
    ),
  );
};
