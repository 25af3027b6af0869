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
 * The statement that fills `temp.attribution_new` with one row per goal event in (since, until]
 * (columns in the order of the `conversions` table). Goals travel as bound parameters.
 */
export const attributionQuery = (
  goals: readonly AttributionGoal[],
  range: { since: number; until: number; attributedAt: number },
): { sql: string; params: SqlValue[] } => {
  if (goals.length === 0) throw new Error('attributionQuery needs at least one goal');
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
