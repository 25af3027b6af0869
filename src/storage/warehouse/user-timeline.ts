import { dateOrNull, numberOrNull, textOrNull } from '../row-values.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';

/**
 * What the console shows of one user, read straight from the warehouse (contacts unmasked: the
 * caller masks). The statements read the same on both engines (ClickHouse binds LIMIT too).
 */

/** The profile's columns as stored, without the push token; undefined when there is no profile. */
export const profileColumns = async (
  w: WarehouseSql,
  userId: string,
): Promise<Record<string, unknown> | undefined> =>
  (
    await w.query(
      `SELECT user_id, register_time, acquisition_channel, city, timezone, balance, membership, phone, email,
            consent_push, consent_sms, consent_email, consent_wecom, consent_call, ${
              // ClickHouse's profiles view types first_seen SimpleAggregateFunction(min, DateTime64),
              // which the client does not read as a time: cast, so that it comes back a Date.
              w.dialect.name === 'duckdb'
                ? 'first_seen'
                : "CAST(first_seen AS DateTime64(3, 'UTC')) AS first_seen"
            }, updated_at
     FROM profiles WHERE user_id = $1`,
      [userId],
    )
  )[0];

export interface TimelineEvent {
  event: string;
  ts: Date | null;
  amount: number | null;
  category: string | null;
  platform: string | null;
}

/** The user's latest `limit` events, newest first. */
export const latestEvents = async (
  w: WarehouseSql,
  userId: string,
  limit: number,
): Promise<TimelineEvent[]> =>
  (
    await w.query(
      `SELECT event, ts, amount, category, platform FROM events WHERE user_id = $1 ORDER BY ts DESC LIMIT $2`,
      [userId, limit],
    )
  ).map((e) => ({
    event: String(e['event']),
    ts: dateOrNull(e['ts']),
    amount: numberOrNull(e['amount']),
    category: textOrNull(e['category']),
    platform: textOrNull(e['platform']),
  }));

export interface TimelineScores {
  lifecycleStage: string | null;
  rfmTier: string | null;
  rfmR: number | null;
  rfmF: number | null;
  rfmM: number | null;
  churnRiskScore: number | null;
  churnRiskLevel: string | null;
  ltv: number | null;
  /** The value model's (features.md B7); null until a trusted fit wrote them. */
  pAlive: number | null;
  expectedPurchases: number | null;
  expectedSpend: number | null;
  computedAt: Date | null;
}

/** The user's scores from the last scoring run; null when they were never scored. */
export const scoresOf = async (w: WarehouseSql, userId: string): Promise<TimelineScores | null> => {
  const [s] = await w.query(
    `SELECT lifecycle_stage, rfm_tier, rfm_r, rfm_f, rfm_m, churn_risk_score, churn_risk_level, ltv,
            p_alive, expected_purchases, expected_spend, computed_at
     FROM user_scores WHERE user_id = $1`,
    [userId],
  );
  return s === undefined
    ? null
    : {
        lifecycleStage: textOrNull(s['lifecycle_stage']),
        rfmTier: textOrNull(s['rfm_tier']),
        rfmR: numberOrNull(s['rfm_r']),
        rfmF: numberOrNull(s['rfm_f']),
        rfmM: numberOrNull(s['rfm_m']),
        churnRiskScore: numberOrNull(s['churn_risk_score']),
        churnRiskLevel: textOrNull(s['churn_risk_level']),
        ltv: numberOrNull(s['ltv']),
        pAlive: numberOrNull(s['p_alive']),
        expectedPurchases: numberOrNull(s['expected_purchases']),
        expectedSpend: numberOrNull(s['expected_spend']),
        computedAt: dateOrNull(s['computed_at']),
      };
};

export interface TimelineMessage {
  campaignId: string | null;
  channel: string;
  status: string;
  step: string | null;
  variant: string | null;
  ts: Date | null;
}

/** The user's latest `limit` message facts, newest first. */
export const latestMessages = async (
  w: WarehouseSql,
  userId: string,
  limit: number,
): Promise<TimelineMessage[]> =>
  (
    await w.query(
      `SELECT campaign_id, channel, status, step, variant, ts FROM message_facts
     WHERE user_id = $1 ORDER BY ts DESC LIMIT $2`,
      [userId, limit],
    )
  ).map((m) => ({
    campaignId: textOrNull(m['campaign_id']),
    channel: String(m['channel']),
    status: String(m['status']),
    step: textOrNull(m['step']),
    variant: textOrNull(m['variant']),
    ts: dateOrNull(m['ts']),
  }));
