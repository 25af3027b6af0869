import { REASON_TRAIT } from '../../core/scores/churn-reasons.ts';
import type { UserSegment } from '../../core/strategies/matrix.ts';
import type { Who } from './planner-inputs.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';
import { readColumns } from './planner-sql.ts';

/**
 * What the strategy matrix reads per user (core/strategies/matrix.ts): the RFM value tier, the
 * churn-risk level and the lifecycle stage from `user_scores`, the latest call-back survey answer
 * from the trait `churn_reason`. Users come grouped by segment — a few dozen distinct segments
 * however many users — so the matrix decides once per segment.
 */

export interface SegmentGroup extends UserSegment {
  users: number;
  /** The users' ids (all of them, or up to `sampleSize` in user-id order). */
  ids: string[];
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const splitIds = (v: unknown): string[] => (typeof v === 'string' && v !== '' ? v.split('\u0000') : []);

/**
 * The selected users (`who`, SQL with its parameters; null: every user with a profile) grouped by
 * segment. `sampleSize`: keep only that many ids per group (a preview); absent: all.
 */
export const segmentGroups = async (
  warehouse: WarehouseSql,
  who: Who | null,
  sampleSize?: number,
): Promise<SegmentGroup[]> => {
  const c =
    warehouse.dialect.name === 'duckdb'
      ? await duckSegmentColumns(warehouse, who, sampleSize)
      : await chSegmentColumns(warehouse, who, sampleSize);
  const tiers = c['tier'] ?? [];
  return tiers.map((_, i) => ({
    tier: text(tiers[i]),
    risk: text((c['risk'] ?? [])[i]),
    stage: text((c['stage'] ?? [])[i]),
    reason: text((c['reason'] ?? [])[i]),
    users: Number((c['users'] ?? [])[i] ?? 0),
    ids: splitIds((c['ids'] ?? [])[i]),
  }));
};

const sampleOf = (sampleSize: number): number => Math.max(0, Math.floor(sampleSize));

const duckSegmentColumns = async (
  warehouse: WarehouseSql,
  who: Who | null,
  sampleSize: number | undefined,
): Promise<Record<string, unknown[]>> => {
  const params = who === null ? [] : [...who.params];
  const path = `$${params.length + 1}`;
  params.push(`$.${REASON_TRAIT}`);
  const from = who === null ? 'SELECT user_id FROM profiles' : who.who;
  // The ids of a group come back as one text joined by NUL (ingestion refuses NUL in ids): a
  // million separate strings from DuckDB cost the event loop seconds, one split a fraction of it.
  const list =
    sampleSize === undefined
      ? `string_agg(user_id, chr(0))`
      : `array_to_string(list(user_id ORDER BY user_id)[1:${sampleOf(sampleSize)}], chr(0))`;
  return readColumns(
    warehouse,
    `WITH ids AS (SELECT DISTINCT user_id FROM (${from}) AS w(user_id)),
          seg AS (SELECT ids.user_id, s.rfm_tier AS tier, s.churn_risk_level AS risk, s.lifecycle_stage AS stage,
                         TRY(json_extract_string(p.traits, ${path})) AS reason
                  FROM ids LEFT JOIN user_scores s ON s.user_id = ids.user_id
                  LEFT JOIN profiles p ON p.user_id = ids.user_id)
     SELECT tier, risk, stage, reason, count(*) AS users, ${list} AS ids
     FROM seg GROUP BY tier, risk, stage, reason ORDER BY users DESC`,
    params,
  );
};

/**
 * The same groups on ClickHouse: `who` names its column user_id (no column list on a subquery's
 * alias), groupArray for list/string_agg, and the joins fill a user without scores or profile
 * with NULLs (join_use_nulls) so that they group with DuckDB's NULL segment.
 */
const chSegmentColumns = async (
  warehouse: WarehouseSql,
  who: Who | null,
  sampleSize: number | undefined,
): Promise<Record<string, unknown[]>> => {
  const params = who === null ? [] : [...who.params];
  const key = `$${params.length + 1}`;
  params.push(REASON_TRAIT);
  const from = who === null ? 'SELECT user_id FROM profiles' : who.who;
  const list =
    sampleSize === undefined
      ? `arrayStringConcat(groupArray(user_id), '\\0')`
      : `arrayStringConcat(arraySlice(arraySort(groupArray(user_id)), 1, ${sampleOf(sampleSize)}), '\\0')`;
  return readColumns(
    warehouse,
    `WITH ids AS (SELECT DISTINCT user_id FROM (${from})),
          seg AS (SELECT ids.user_id AS user_id, s.rfm_tier AS tier, s.churn_risk_level AS risk,
                         s.lifecycle_stage AS stage, JSONExtract(p.traits, ${key}, 'Nullable(String)') AS reason
                  FROM ids LEFT JOIN user_scores AS s ON s.user_id = ids.user_id
                  LEFT JOIN profiles AS p ON p.user_id = ids.user_id)
     SELECT tier, risk, stage, reason, count() AS users, ${list} AS ids
     FROM seg GROUP BY tier, risk, stage, reason ORDER BY users DESC
     SETTINGS join_use_nulls = 1`,
    params,
  );
};
