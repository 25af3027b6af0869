import type { SqlDialect } from '../sql/dialect.ts';
import { DAY_MS } from '../time/units.ts';

/**
 * Conversion attribution (features.md D5, G1), the pure part: which campaigns have which goal, the
 * DuckDB statement that attributes goal events, and a reference model of the same rule that the
 * tests compare the statement with.
 *
 * Rule (last touch across campaigns): a goal event of user U at time T is attributed to the
 * message M that was sent to U latest before T (strictly earlier) among the messages whose
 * campaign's goal is that event and whose window covers T (T ≤ sent + withinDays). Ties on the
 * send time go to the larger idempotency key, so a recomputation always picks the same message.
 * A message's send time is its first `sent` fact. Events with no such message are not conversions.
 */

export const DEFAULT_GOAL_DAYS = 3;
export interface AttributionGoal {
  campaignId: string;
  event: string;
  withinMs: number;
}

/** Goals of the campaigns that have one; `withinDays` defaults to 3 days. */
export const goalsOf = (campaigns: readonly { id: string; definition: unknown }[]): AttributionGoal[] => {
  const out: AttributionGoal[] = [];
  for (const c of campaigns) {
    if (typeof c.definition !== 'object' || c.definition === null) continue;
    const goal = (c.definition as Record<string, unknown>)['goal'];
    if (typeof goal !== 'object' || goal === null) continue;
    const { event, withinDays } = goal as Record<string, unknown>;
    if (typeof event !== 'string' || event === '') continue;
    const days = typeof withinDays === 'number' && withinDays > 0 ? withinDays : DEFAULT_GOAL_DAYS;
    out.push({ campaignId: c.id, event, withinMs: Math.round(days * DAY_MS) });
  }
  return out;
};

/**
 * How far back a periodic run recomputes: the longest window plus a week, so a `sent` fact or an
 * event that reached the warehouse late (a slow shipper, a batch import) still counts.
 */
export const defaultSince = (now: number, goals: readonly AttributionGoal[]): number =>
  now - Math.max(DEFAULT_GOAL_DAYS * DAY_MS, ...goals.map((g) => g.withinMs)) - 7 * DAY_MS;

export type SqlValue = string | number;

/**
 * The statement of the attribution of the goal events in (since, until], one row per goal event
 * (columns in the order of the `conversions` table). Goals travel as bound parameters.
 *
 * DuckDB: it fills the temp table `attribution_new`. ClickHouse: it is the SELECT itself (no
 * session temp tables there), which conversion-rewrite.ts reads as a subquery; see
 * `clickhouseAttributionSelect`.
 */
export const attributionQuery = (
  goals: readonly AttributionGoal[],
  range: { since: number; until: number; attributedAt: number },
  dialect?: Pick<SqlDialect, 'name'>,
): { sql: string; params: SqlValue[] } => {
  if (goals.length === 0) throw new Error('attributionQuery needs at least one goal');
  if (dialect?.name === 'clickhouse') return clickhouseAttributionSelect(goals, range);
  const params: SqlValue[] = [];
  const values = goals.map((g) => {
    params.push(g.campaignId, g.event, g.withinMs);
    return '(?::VARCHAR, ?::VARCHAR, ?::BIGINT)';
  });
  params.push(range.attributedAt, range.since, range.until);
  const sql = `CREATE OR REPLACE TEMP TABLE attribution_new AS
WITH goals(campaign_id, event, within_ms) AS (VALUES ${values.join(', ')}),
touches AS (
  SELECT f.message_id AS idempotency_key, arg_min(f.campaign_id, f.ts) AS campaign_id,
         arg_min(f.run_id, f.ts) AS run_id, arg_min(f.variant, f.ts) AS variant,
         arg_min(f.channel, f.ts) AS channel, arg_min(f.user_id, f.ts) AS user_id, min(f.ts) AS ts
    FROM message_facts f
   WHERE f.status = 'sent' AND f.campaign_id IN (SELECT campaign_id FROM goals)
   GROUP BY f.message_id
),
goal_touches AS (SELECT t.*, g.event, g.within_ms FROM touches t JOIN goals g USING (campaign_id))
SELECT e.message_id AS event_message_id, e.user_id, e.event, e.ts, e.amount AS revenue,
       t.idempotency_key, t.campaign_id, t.run_id, t.variant, t.channel, t.ts AS message_ts,
       epoch_ms(?::BIGINT) AS attributed_at
  FROM events e
  JOIN goal_touches t ON t.user_id = e.user_id AND t.event = e.event AND t.ts < e.ts
   AND epoch_ms(e.ts) <= epoch_ms(t.ts) + t.within_ms
 WHERE e.ts > epoch_ms(?::BIGINT) AND e.ts <= epoch_ms(?::BIGINT)
   AND e.event IN (SELECT event FROM goals)
QUALIFY row_number() OVER (PARTITION BY e.message_id ORDER BY t.ts DESC, t.idempotency_key DESC) = 1`;
  return { sql, params };
};

/**
 * The same rule as a ClickHouse SELECT: ClickHouse has no QUALIFY on older servers, no
 * inequality in a JOIN's ON, and its argMin/argMax skip NULL values. So the touches' columns are
 * taken as one tuple (NULLs kept), the window conditions are a WHERE after the equi-join, and the
 * latest touch per goal event is argMax over (send time, idempotency key), the same order as
 * DuckDB's row_number. Text columns that are NOT NULL in `conversions` but nullable in
 * `message_facts` become '' rather than failing the insert.
 */
const clickhouseAttributionSelect = (
  goals: readonly AttributionGoal[],
  range: { since: number; until: number; attributedAt: number },
): { sql: string; params: SqlValue[] } => {
  const params: SqlValue[] = [];
  const add = (v: SqlValue): string => {
    params.push(v);
    return `$${params.length}`;
  };
  const values = goals
    .map(
      (g) =>
        `SELECT ${add(g.campaignId)} AS campaign_id, ${add(g.event)} AS event, ${add(g.withinMs)} AS within_ms`,
    )
    .join(' UNION ALL ');
  const at = add(range.attributedAt);
  const since = add(range.since);
  const until = add(range.until);
  const sql = `WITH goals AS (${values}),
touches AS (
  SELECT f.message_id AS t_key, argMin(tuple(f.campaign_id, f.run_id, f.variant, f.channel, f.user_id), f.ts) AS first_touch,
         min(f.ts) AS t_ts
    FROM message_facts f
   WHERE f.status = 'sent' AND f.campaign_id IN (SELECT campaign_id FROM goals)
   GROUP BY f.message_id
),
goal_touches AS (
  SELECT t.t_key, first_touch.1 AS t_campaign, first_touch.2 AS t_run, first_touch.3 AS t_variant,
         first_touch.4 AS t_channel, first_touch.5 AS t_user, t.t_ts, g.event AS t_event, g.within_ms AS t_within
    FROM touches t JOIN goals g ON g.campaign_id = first_touch.1
),
best AS (
  SELECT e.message_id AS b_id, e.user_id AS b_user, e.event AS b_event, e.ts AS b_ts, e.amount AS b_amount,
         argMax(tuple(gt.t_key, gt.t_campaign, gt.t_run, gt.t_variant, gt.t_channel, gt.t_ts), (gt.t_ts, gt.t_key)) AS b_touch
    FROM events e JOIN goal_touches gt ON gt.t_user = e.user_id AND gt.t_event = e.event
   WHERE gt.t_ts < e.ts AND toUnixTimestamp64Milli(e.ts) <= toUnixTimestamp64Milli(gt.t_ts) + gt.t_within
     AND e.ts > fromUnixTimestamp64Milli(${since}, 'UTC') AND e.ts <= fromUnixTimestamp64Milli(${until}, 'UTC')
     AND e.event IN (SELECT event FROM goals)
   GROUP BY e.message_id, e.user_id, e.event, e.ts, e.amount
)
SELECT b_id AS event_message_id, b_user AS user_id, b_event AS event, b_ts AS ts, b_amount AS revenue,
       b_touch.1 AS idempotency_key, ifNull(b_touch.2, '') AS campaign_id, ifNull(b_touch.3, '') AS run_id,
       b_touch.4 AS variant, b_touch.5 AS channel, b_touch.6 AS message_ts,
       fromUnixTimestamp64Milli(${at}, 'UTC') AS attributed_at
  FROM best`;
  return { sql, params };
};

export interface GoalEvent {
  messageId: string;
  userId: string;
  event: string;
  ts: number;
}

export interface SentTouch {
  idempotencyKey: string;
  campaignId: string;
  userId: string;
  ts: number;
}

/** The same rule in plain code: goal event id → the attributed message's key. */
export const attributeInMemory = (
  goals: readonly AttributionGoal[],
  events: readonly GoalEvent[],
  sent: readonly SentTouch[],
  range: { since: number; until: number },
): Map<string, string> => {
  const goalsByCampaign = new Map<string, AttributionGoal[]>();
  for (const g of goals) goalsByCampaign.set(g.campaignId, [...(goalsByCampaign.get(g.campaignId) ?? []), g]);
  const firstSent = new Map<string, SentTouch>();
  for (const s of sent) {
    const had = firstSent.get(s.idempotencyKey);
    if (!had || s.ts < had.ts) firstSent.set(s.idempotencyKey, s);
  }
  const out = new Map<string, string>();
  for (const e of events) {
    if (!(e.ts > range.since && e.ts <= range.until)) continue;
    let best: SentTouch | null = null;
    for (const s of firstSent.values()) {
      if (s.userId !== e.userId || !(s.ts < e.ts)) continue;
      const covers = (goalsByCampaign.get(s.campaignId) ?? []).some(
        (g) => g.event === e.event && e.ts <= s.ts + g.withinMs,
      );
      if (!covers) continue;
      if (best === null || s.ts > best.ts || (s.ts === best.ts && s.idempotencyKey > best.idempotencyKey))
        best = s;
    }
    if (best !== null) out.set(e.messageId, best.idempotencyKey);
  }
  return out;
};
