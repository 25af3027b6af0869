import { ownEventSql } from '../../core/events/system-events.ts';
import { dateOrNull, numberOrZero } from '../row-values.ts';
import type { SqlDialect } from '../../core/sql/dialect.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';

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
  w: WarehouseSql,
  p: { end: number; start: number; weeks: number; activeDays: number; churnDays: number },
): Promise<ActivityRow[]> =>
  (
    await w.query(w.dialect.name === 'duckdb' ? DUCK_ACTIVITY : chActivity(w.dialect), [
      p.end,
      p.start,
      p.weeks,
      p.activeDays,
      p.churnDays,
    ])
  ).map((r) => ({
    at: dateOrNull(r['w']),
    active: numberOrZero(r['active']),
    silent: numberOrZero(r['silent']),
    churned: numberOrZero(r['churned']),
  }));

const DUCK_ACTIVITY = `WITH days AS (
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
     GROUP BY w ORDER BY w`;

/**
 * The same on ClickHouse, in epoch ms: the next active day by leadInFrame over the whole
 * partition (NULL after the last, then far in the future); the week ends from `range`; the span
 * test in WHERE over a cross join, since older servers join only on equalities.
 */
const chActivity = (d: SqlDialect): string => `WITH days AS (
       SELECT DISTINCT user_id, toInt64(toUnixTimestamp(toStartOfDay(ts))) * 1000 AS d FROM events e
       WHERE ts < ${d.timeFromMs('$1')} AND ${ownEventSql('e')}
     ),
     spans AS (
       SELECT d, coalesce(leadInFrame(toNullable(d), 1, NULL) OVER (PARTITION BY user_id ORDER BY d
         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), toInt64(9e15)) AS n FROM days
     ),
     weeks AS (
       SELECT toInt64($2 + toInt64(i) * 604800000) AS wm FROM (SELECT arrayJoin(range(toUInt64(greatest($3, 0)))) AS i)
     )
     SELECT ${d.timeFromMs('wm')} AS w,
       countIf(wm - d < $4 * 86400000) AS active,
       countIf(wm - d >= $4 * 86400000 AND wm - d < $5 * 86400000) AS silent,
       countIf(wm - d >= $5 * 86400000) AS churned
     FROM weeks CROSS JOIN spans WHERE d <= wm AND wm < n
     GROUP BY wm ORDER BY wm`;
