import { ownEventSql } from '../../core/events/system-events.ts';
import { dateOrNull, numberOrZero } from '../row-values.ts';
import type { Warehouse } from './warehouse.ts';

export interface ActivityRow {
  /** The week's end; null where the warehouse holds no usable time. */
  at: Date | null;
  active: number;
  silent: number;
  churned: number;
}

/**
 * Users by recency at each week's end (`weeks` ends from `start`, seven days apart, the last at
 * `end`): active (an event in the last `activeDays`), silent (the last event earlier, but within
 * `churnDays`), churned (longer ago). Only the users' own events count (not the `tier_changed`,
 * `recall_relapsed`, … Rekindle writes). A user counts from their first event on. Each user's active
 * days become spans [day, next active day), so every week end falls in exactly one span per user:
 * one range join, not a scan per week.
 */
export const activityByWeek = async (
  w: Warehouse,
  p: { end: number; start: number; weeks: number; activeDays: number; churnDays: number },
): Promise<ActivityRow[]> =>
  (
    await w.query(
      `WITH days AS (
       SELECT DISTINCT user_id, date_trunc('day', ts) AS d FROM events e WHERE ts < make_timestamp($1::BIGINT * 1000)
         AND ${ownEventSql('e')}
     ),
     spans AS (
       SELECT d, coalesce(lead(d) OVER (PARTITION BY user_id ORDER BY d), TIMESTAMP '9999-12-31') AS n FROM days
     ),
     weeks AS (
       SELECT make_timestamp(($2::BIGINT + i * 7 * 86400000) * 1000) AS w FROM range(0, $3::BIGINT) t(i)
     )
     SELECT w,
       count(*) FILTER (WHERE w - d < to_days($4::INTEGER)) AS active,
       count(*) FILTER (WHERE w - d >= to_days($4::INTEGER) AND w - d < to_days($5::INTEGER)) AS silent,
       count(*) FILTER (WHERE w - d >= to_days($5::INTEGER)) AS churned
     FROM weeks JOIN spans ON d <= w AND w < n
     GROUP BY w ORDER BY w`,
      [p.end, p.start, p.weeks, p.activeDays, p.churnDays],
    )
  ).map((r) => ({
    at: dateOrNull(r['w']),
    active: numberOrZero(r['active']),
    silent: numberOrZero(r['silent']),
    churned: numberOrZero(r['churned']),
  }));
