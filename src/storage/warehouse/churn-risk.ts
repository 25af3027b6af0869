import { randomUUID } from 'node:crypto';
import type { WarehouseSql } from '../warehouse-sql.ts';
import {
  EVENT_INSERT_COLUMNS,
  SCORES_SOURCE,
  STORED_USER_SCORES,
  USER_SCORES_INSERT,
  clearUserScoresSql,
  dropStaged,
  insertCounted,
  jsonObjectSql,
  replaceUserScoresSql,
  systemEventSelect,
} from './user-scores.ts';

/**
 * Churn risk in the warehouse: `user_scores.churn_risk_score` / `churn_risk_level` (the other
 * score columns are left alone) and the top reasons per user in `churn_risk_reasons`, written
 * in one transaction so scores and reasons always come from the same run.
 */

export interface ChurnRiskRow {
  userId: string;
  /** 0–100. */
  score: number;
  level: string;
}

export interface ChurnReasonRow {
  userId: string;
  rank: number;
  feature: string;
  contribution: number;
  /** null: the feature was missing for the user. */
  value: number | null;
}

/** Which model scored, as of when; stored in `churn_risk_runs` with the level counts. */
export interface ChurnRiskRunInfo {
  modelId: string;
  modelVersion: number;
  asOf: number;
  scoredAt: number;
  levels: Record<'high' | 'medium' | 'low', number>;
}

/**
 * Replaces every user's churn risk: the scored users get their score and level, users scored
 * before but not now (no longer eligible) lose theirs, and `churn_risk_reasons` is replaced.
 * Rows go through the appender (no SQL text is built from values).
 */
export const writeChurnRisk = (
  warehouse: WarehouseSql,
  scores: readonly ChurnRiskRow[],
  reasons: readonly ChurnReasonRow[],
  run: ChurnRiskRunInfo,
): Promise<{ users: number; cleared: number; reasons: number }> =>
  warehouse.dialect.name === 'clickhouse'
    ? writeChurnRiskClickHouse(warehouse, scores, reasons, run)
    : warehouse.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO churn_risk_runs (model_id, model_version, as_of, scored_at, users, high, medium, low)
       VALUES ($1, $2, $3::TIMESTAMP, $4::TIMESTAMP, $5, $6, $7, $8)`,
          [
            run.modelId,
            run.modelVersion,
            new Date(run.asOf).toISOString(),
            new Date(run.scoredAt).toISOString(),
            scores.length,
            run.levels.high,
            run.levels.medium,
            run.levels.low,
          ],
        );
        await tx.run(
          'CREATE OR REPLACE TEMP TABLE churn_risk_next (user_id VARCHAR, score DOUBLE, level VARCHAR)',
        );
        await tx.append(
          'churn_risk_next',
          (row) => {
            for (const r of scores) {
              row.varchar(r.userId);
              row.double(r.score);
              row.varchar(r.level);
              row.end();
            }
          },
          { temp: true },
        );
        // A level change is an event too (features.md D2: campaigns trigger on a churn-risk rise).
        const rank = (col: string) => `CASE ${col} WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END`;
        await tx.run(
          `INSERT INTO events (${EVENT_INSERT_COLUMNS}) SELECT ${systemEventSelect(
            'n.user_id',
            `json_object('from', o.churn_risk_level, 'to', n.level, 'score', n.score, 'previousScore', o.churn_risk_score,
                     'rise', ${rank('n.level')} > ${rank('o.churn_risk_level')}, 'modelVersion', $1)`,
            { prefix: '$2', event: '$3', time: '$4', source: '$5' },
          )} FROM temp.churn_risk_next n JOIN user_scores o ON o.user_id = n.user_id
       WHERE o.churn_risk_level IS NOT NULL AND o.churn_risk_level <> n.level`,
          [
            run.modelVersion,
            `churn:${run.modelId}:${run.asOf}`,
            'churn_risk_changed',
            run.scoredAt,
            SCORES_SOURCE,
          ],
        );
        const cleared = await tx.run(
          `UPDATE user_scores SET churn_risk_score = NULL, churn_risk_level = NULL
       WHERE churn_risk_score IS NOT NULL AND user_id NOT IN (SELECT user_id FROM temp.churn_risk_next)`,
        );
        const users = await tx.run(
          `INSERT INTO user_scores (user_id, churn_risk_score, churn_risk_level)
       SELECT user_id, score, level FROM temp.churn_risk_next
       ON CONFLICT (user_id) DO UPDATE SET churn_risk_score = excluded.churn_risk_score,
         churn_risk_level = excluded.churn_risk_level`,
        );
        await tx.run('DROP TABLE temp.churn_risk_next');
        await tx.run('DELETE FROM churn_risk_reasons');
        await tx.append('churn_risk_reasons', (row) => {
          for (const r of reasons) {
            row.varchar(r.userId);
            row.integer(r.rank);
            row.varchar(r.feature);
            row.double(r.contribution);
            row.double(r.value);
            row.end();
          }
        });
        const written = reasons.length;
        return { users, cleared, reasons: written };
      });

const churnRank = (col: string) => `CASE ${col} WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END`;

/**
 * `writeChurnRisk` on ClickHouse (no transaction): the run row, the scores staged under a key of
 * this call, the level-change events, the rows of users no longer scored cleared and the scored
 * ones replaced (whole rows, user-scores.ts), then the reasons replaced. A call cut short is
 * repaired by the next run, which rewrites all of it (a cut before the rows were replaced
 * appends the level changes again).
 */
const writeChurnRiskClickHouse = async (
  w: WarehouseSql,
  scores: readonly ChurnRiskRow[],
  reasons: readonly ChurnReasonRow[],
  run: ChurnRiskRunInfo,
): Promise<{ users: number; cleared: number; reasons: number }> => {
  const d = w.dialect;
  await w.write(
    `INSERT INTO churn_risk_runs (model_id, model_version, as_of, scored_at, users, high, medium, low)
     VALUES ($1, $2, ${d.timeFromMs('$3')}, ${d.timeFromMs('$4')}, $5, $6, $7, $8)`,
    [
      run.modelId,
      run.modelVersion,
      run.asOf,
      run.scoredAt,
      scores.length,
      run.levels.high,
      run.levels.medium,
      run.levels.low,
    ],
  );
  const key = randomUUID();
  await w.transaction((tx) =>
    tx.append('churn_risk_staging', (row) => {
      for (const r of scores) {
        row.varchar(key);
        row.varchar(r.userId);
        row.double(r.score);
        row.varchar(r.level);
        row.end();
      }
    }),
  );
  const staged = 'churn_risk_staging n';
  await insertCounted(
    w,
    `INSERT INTO events (${EVENT_INSERT_COLUMNS})`,
    `SELECT ${systemEventSelect(
      'n.user_id',
      jsonObjectSql(d, [
        ['from', 'o.churn_risk_level'],
        ['to', 'n.level'],
        ['score', 'n.score'],
        ['previousScore', 'o.churn_risk_score'],
        ['rise', `toBool(${churnRank('n.level')} > ${churnRank('o.churn_risk_level')})`],
        ['modelVersion', '$1'],
      ]),
      { prefix: '$2', event: '$3', time: '$4', source: '$5' },
      d,
    )} FROM ${staged} JOIN ${STORED_USER_SCORES} o ON o.user_id = n.user_id
     WHERE n.run_key = $6 AND o.churn_risk_level IS NOT NULL AND o.churn_risk_level <> n.level`,
    [
      run.modelVersion,
      `churn:${run.modelId}:${run.asOf}`,
      'churn_risk_changed',
      run.scoredAt,
      SCORES_SOURCE,
      key,
    ],
  );
  const cleared = await insertCounted(
    w,
    USER_SCORES_INSERT,
    clearUserScoresSql(
      ['churn_risk_score', 'churn_risk_level'],
      'churn_risk_score IS NOT NULL AND user_id NOT IN (SELECT user_id FROM churn_risk_staging WHERE run_key = $1)',
    ),
    [key],
  );
  const users = await insertCounted(
    w,
    USER_SCORES_INSERT,
    replaceUserScoresSql(staged, 'n.run_key = $1', {
      churn_risk_score: 'n.score',
      churn_risk_level: 'n.level',
    }),
    [key],
  );
  await dropStaged(w, 'churn_risk_staging', key);
  await w.write('TRUNCATE TABLE churn_risk_reasons');
  await w.transaction((tx) =>
    tx.append('churn_risk_reasons', (row) => {
      for (const r of reasons) {
        row.varchar(r.userId);
        row.integer(r.rank);
        row.varchar(r.feature);
        row.double(r.contribution);
        row.double(r.value);
        row.end();
      }
    }),
  );
  return { users, cleared, reasons: reasons.length };
};

export interface UserChurnRisk {
  userId: string;
  score: number | null;
  level: string | null;
  /** The scoring run the score comes from; null when the user was not scored. */
  model: { id: string; version: number; asOf: number } | null;
  reasons: { rank: number; feature: string; contribution: number; value: number | null }[];
}

/** A user's churn risk and reasons; null when the user has no profile. */
export const readUserChurnRisk = async (
  warehouse: WarehouseSql,
  userId: string,
): Promise<UserChurnRisk | null> => {
  const head = await warehouse.query<{ score: number | null; level: string | null }>(
    `SELECT s.churn_risk_score AS score, s.churn_risk_level AS level
     FROM profiles p LEFT JOIN ${warehouse.dialect.name === 'duckdb' ? 'user_scores' : STORED_USER_SCORES} s
     ON s.user_id = p.user_id WHERE p.user_id = $1${warehouse.dialect.name === 'duckdb' ? '' : ' SETTINGS join_use_nulls = 1'}`,
    [userId],
  );
  const first = head[0];
  if (!first) return null;
  const reasons = await warehouse.query<{
    rank: number;
    feature: string;
    contribution: number;
    value: number | null;
  }>('SELECT rank, feature, contribution, value FROM churn_risk_reasons WHERE user_id = $1 ORDER BY rank', [
    userId,
  ]);
  const latest =
    first.score === null
      ? []
      : await warehouse.query<{ model_id: string; model_version: number; as_of: Date }>(
          'SELECT model_id, model_version, as_of FROM churn_risk_runs ORDER BY scored_at DESC, as_of DESC LIMIT 1',
        );
  const m = latest[0];
  return {
    userId,
    score: first.score === null ? null : Number(first.score),
    level: first.level,
    model: m ? { id: m.model_id, version: Number(m.model_version), asOf: m.as_of.getTime() } : null,
    reasons: reasons.map((r) => ({
      rank: Number(r.rank),
      feature: r.feature,
      contribution: Number(r.contribution),
      value: r.value === null ? null : Number(r.value),
    })),
  };
};

/** The model id of the latest churn scoring run, if any. */
export const latestChurnRiskRunModel = async (warehouse: WarehouseSql): Promise<string | null> => {
  const rows = await warehouse.query<{ model_id: string }>(
    'SELECT model_id FROM churn_risk_runs ORDER BY scored_at DESC, as_of DESC LIMIT 1',
  );
  return rows[0]?.model_id ?? null;
};
