import { clickhouseDialect, duckdbDialect, type SqlDialect } from '../../core/sql/dialect.ts';
import type { CompiledQuery } from '../../core/sql/params.ts';
import { leftJoinNullsTail } from '../../core/scores/scoring-sql.ts';
import type { SqlParam, WarehouseSql, WarehouseTx } from '../warehouse-sql.ts';

/**
 * Writing computed stages and tiers into `user_scores`, and the transitions between two
 * computations into `events` (source `scores`), in one warehouse transaction: either the new
 * scores and their transition events are both there, or neither.
 */

export const SCORES_SOURCE = 'scores';

/** The column list of `events` in the order `INSERT … SELECT` fills it. */
export const EVENT_INSERT_COLUMNS =
  'message_id, user_id, anonymous_id, event, ts, received_at, amount, currency, product_id, category, order_id, platform, properties, source';

/**
 * `SELECT` list of an appended system event: message id `<prefix>:<user_id>`, the event name,
 * the time `$time`, the properties (a JSON expression) and source `scores`. `$prefix`, `$event`,
 * `$time` and `$source` name placeholders of the statement.
 */
export const systemEventSelect = (
  userId: string,
  properties: string,
  p: { prefix: string; event: string; time: string; source: string },
  dialect: SqlDialect = duckdbDialect,
): string =>
  `${p.prefix} || ':' || ${userId}, ${userId}, NULL, ${p.event}, ${dialect.timeFromMs(p.time)}, ` +
  `${dialect.timeFromMs(p.time)}, NULL, NULL, NULL, NULL, NULL, NULL, ${properties}, ${p.source}`;

/** A value of `jsonObjectSql`: an SQL value, or SQL that is already JSON text (a nested object). */
export type JsonValueSql = string | { json: string };

/**
 * A JSON object of constant keys and SQL values as text: DuckDB's json_object; on ClickHouse the
 * values through toJSONString (text quoted and escaped, NULL as null, numbers as numbers). A
 * ClickHouse comparison is a UInt8: wrap a boolean value in toBool() to get true/false.
 */
export const jsonObjectSql = (d: SqlDialect, pairs: readonly (readonly [string, JsonValueSql])[]): string => {
  const sqlOf = (v: JsonValueSql) => (typeof v === 'string' ? v : v.json);
  if (d.name === 'duckdb') return `json_object(${pairs.map(([k, v]) => `'${k}', ${sqlOf(v)}`).join(', ')})`;
  const parts = pairs.map(
    ([k, v], i) =>
      `'${i === 0 ? '{' : ','}${JSON.stringify(k)}:', ${typeof v === 'string' ? `toJSONString(${v})` : v.json}`,
  );
  return `concat(${[...parts, "'}'"].join(', ')})`;
};

/** Every column of `user_scores` on ClickHouse (ddl.ts and ddl-scores.ts), the key first. */
const USER_SCORE_COLUMNS = [
  'user_id',
  'lifecycle_stage',
  'rfm_tier',
  'rfm_r',
  'rfm_f',
  'rfm_m',
  'churn_risk_score',
  'churn_risk_level',
  'ltv',
  'computed_at',
  'p_alive',
  'expected_purchases',
  'expected_spend',
  'value_computed_at',
] as const;
export type UserScoreColumn = (typeof USER_SCORE_COLUMNS)[number];

/**
 * ClickHouse's `INSERT … ON CONFLICT DO UPDATE SET <some columns>` of `user_scores`: whole rows
 * (a ReplacingMergeTree keeps the last one inserted per user), the `set` columns from `source`
 * (aliased `n`, with a `user_id`), every other column as stored (`o`, NULL for a new user).
 */
export const replaceUserScoresSql = (
  source: string,
  where: string,
  set: Partial<Record<UserScoreColumn, string>>,
): string =>
  `SELECT n.user_id, ` +
  `${USER_SCORE_COLUMNS.slice(1)
    .map((c) => set[c] ?? `o.${c}`)
    .join(', ')} ` +
  `FROM ${source} LEFT JOIN ${STORED_USER_SCORES} o ON o.user_id = n.user_id WHERE ${where}${leftJoinNullsTail(clickhouseDialect)}`;

/** ClickHouse's `UPDATE user_scores SET <columns> = NULL WHERE …`: the stored rows rewritten. */
export const clearUserScoresSql = (columns: readonly UserScoreColumn[], where: string): string =>
  `SELECT ` +
  `${USER_SCORE_COLUMNS.map((c) => (columns.includes(c) ? `NULL` : c)).join(', ')} FROM ${STORED_USER_SCORES} WHERE ${where}`;

/**
 * `user_scores` as stored now, to read inside a ClickHouse write: the `final` setting (client.ts)
 * is set on queries only, not on `INSERT … SELECT`, which would otherwise see a replaced row
 * next to its replacement.
 */
export const STORED_USER_SCORES = '(SELECT * FROM user_scores FINAL)';

/** The INSERT that `replaceUserScoresSql` and `clearUserScoresSql` rows go into. */
export const USER_SCORES_INSERT = `INSERT INTO user_scores (${USER_SCORE_COLUMNS.join(', ')})`;

/**
 * `insert` + `select` on ClickHouse, answering how many rows it wrote: counted by a query of
 * its own first, as chDB reports no written rows (the rows are the same: nothing else writes
 * them between the two statements within one run).
 */
export const insertCounted = async (
  w: WarehouseSql,
  insert: string,
  select: string,
  params: SqlParam[],
): Promise<number> => {
  const n = Number(await w.scalar(`SELECT count() FROM (${select})`, params));
  if (n > 0) await w.write(`${insert} ${select}`, params);
  return n;
};

/**
 * The end of a ClickHouse run's staging: its own rows, and any a run cut short left a day ago or
 * earlier (no run lasts that long). Deletes are mutations: only issued when there are rows.
 */
export const dropStaged = async (
  w: WarehouseSql,
  table: 'score_staging' | 'churn_risk_staging' | 'value_staging' | 'warning_staging',
  key: string,
): Promise<void> => {
  const which = `run_key = $1 OR staged_at < now() - toIntervalDay(1)`;
  if (Number(await w.scalar(`SELECT count() FROM ${table} WHERE ${which}`, [key])) > 0)
    await w.write(`DELETE FROM ${table} WHERE ${which}`, [key]);
};

/** The first placeholder after a compiled query's own (`{pN:Type}` on ClickHouse). */
export const nextPlaceholder = (d: SqlDialect, q: CompiledQuery, value: SqlParam): string =>
  d.placeholder(q.params.length + 1, typeof value === 'bigint' ? Number(value) : value);

export interface ScoreWriteResult {
  users: number;
  stages: Record<string, number>;
  tiers: Record<string, number>;
  tierChanged: number;
  lifecycleChanged: number;
}

const counts = async (tx: WarehouseTx, column: 'lifecycle_stage' | 'rfm_tier') => {
  const rows = await tx.query<{ k: string | null; n: bigint }>(
    `SELECT ${column} AS k, count(*) AS n FROM temp.score_next GROUP BY 1 ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.k ?? '(none)', Number(r.n)]));
};

/**
 * Runs the scores query into a staging table, appends `tier_changed` / `lifecycle_changed`
 * for users whose stored tier / stage differs (a user without a stored one — the first
 * computation — gets none), then upserts the new values. Recomputing on unchanged data changes
 * nothing and appends nothing.
 */
export const writeScores = (
  warehouse: WarehouseSql,
  scores: CompiledQuery,
  run: { id: string; now: number },
): Promise<ScoreWriteResult> =>
  warehouse.dialect.name === 'clickhouse'
    ? writeScoresClickHouse(warehouse, scores, run)
    : warehouse.transaction(async (tx) => {
        await tx.run(`CREATE OR REPLACE TEMP TABLE score_next AS ${scores.sql}`, scores.params);
        const users = Number(
          (await tx.query<{ n: bigint }>('SELECT count(*) AS n FROM temp.score_next'))[0]?.n ?? 0,
        );
        const transition = (event: string, column: 'rfm_tier' | 'lifecycle_stage', extra: string) =>
          tx.run(
            `INSERT INTO events (${EVENT_INSERT_COLUMNS}) SELECT ${systemEventSelect(
              'n.user_id',
              `json_object('from', o.${column}, 'to', n.${column}${extra}, 'runId', $1)`,
              { prefix: '$2', event: '$3', time: '$4', source: '$5' },
            )} FROM temp.score_next n JOIN user_scores o ON o.user_id = n.user_id ` +
              `WHERE o.${column} IS NOT NULL AND n.${column} IS NOT NULL AND o.${column} <> n.${column}`,
            [run.id, `scores:${run.id}:${event}`, event, run.now, SCORES_SOURCE],
          );
        const tierChanged = await transition(
          'tier_changed',
          'rfm_tier',
          `, 'scores', json_object('r', n.rfm_r, 'f', n.rfm_f, 'm', n.rfm_m), ` +
            `'previousScores', json_object('r', o.rfm_r, 'f', o.rfm_f, 'm', o.rfm_m)`,
        );
        const lifecycleChanged = await transition('lifecycle_changed', 'lifecycle_stage', '');
        await tx.run(
          `INSERT INTO user_scores (user_id, lifecycle_stage, rfm_tier, rfm_r, rfm_f, rfm_m, computed_at)
       SELECT user_id, lifecycle_stage, rfm_tier, rfm_r, rfm_f, rfm_m, epoch_ms(CAST($1 AS BIGINT)) FROM temp.score_next
       ON CONFLICT (user_id) DO UPDATE SET lifecycle_stage = excluded.lifecycle_stage, rfm_tier = excluded.rfm_tier,
         rfm_r = excluded.rfm_r, rfm_f = excluded.rfm_f, rfm_m = excluded.rfm_m, computed_at = excluded.computed_at`,
          [run.now],
        );
        const result = {
          users,
          stages: await counts(tx, 'lifecycle_stage'),
          tiers: await counts(tx, 'rfm_tier'),
          tierChanged,
          lifecycleChanged,
        };
        await tx.run('DROP TABLE temp.score_next');
        return result;
      });

/**
 * `writeScores` on ClickHouse (no transaction): the run's scores are staged under its id, the
 * transitions appended, then the rows replaced (`replaceUserScoresSql`), then the staging deleted.
 * A run cut before the rows were replaced leaves the stored scores as they were; the next run
 * appends the transitions again (under its own id) and replaces them.
 */
const writeScoresClickHouse = async (
  w: WarehouseSql,
  scores: CompiledQuery,
  run: { id: string; now: number },
): Promise<ScoreWriteResult> => {
  const d = w.dialect;
  const key = nextPlaceholder(d, scores, run.id);
  // The scores query ends with its own SETTINGS (join_use_nulls), allowed in a subquery.
  await w.write(
    `INSERT INTO score_staging (run_key, user_id, lifecycle_stage, rfm_r, rfm_f, rfm_m, rfm_tier) ` +
      `SELECT ${key}, user_id, lifecycle_stage, rfm_r, rfm_f, rfm_m, rfm_tier FROM (${scores.sql})`,
    [...scores.params, run.id],
  );
  const staged = 'score_staging n';
  const users = Number(await w.scalar('SELECT count() FROM score_staging WHERE run_key = $1', [run.id]));
  const rfm = (alias: string) => ({
    json: jsonObjectSql(d, [
      ['r', `${alias}.rfm_r`],
      ['f', `${alias}.rfm_f`],
      ['m', `${alias}.rfm_m`],
    ]),
  });
  const transition = (
    event: string,
    column: 'rfm_tier' | 'lifecycle_stage',
    extra: readonly (readonly [string, JsonValueSql])[],
  ) =>
    insertCounted(
      w,
      `INSERT INTO events (${EVENT_INSERT_COLUMNS})`,
      `SELECT ${systemEventSelect(
        'n.user_id',
        jsonObjectSql(d, [['from', `o.${column}`], ['to', `n.${column}`], ...extra, ['runId', '$1']]),
        { prefix: '$2', event: '$3', time: '$4', source: '$5' },
        d,
      )} FROM ${staged} JOIN ${STORED_USER_SCORES} o ON o.user_id = n.user_id ` +
        `WHERE n.run_key = $1 AND o.${column} IS NOT NULL AND n.${column} IS NOT NULL AND o.${column} <> n.${column}`,
      [run.id, `scores:${run.id}:${event}`, event, run.now, SCORES_SOURCE],
    );
  const tierChanged = await transition('tier_changed', 'rfm_tier', [
    ['scores', rfm('n')],
    ['previousScores', rfm('o')],
  ]);
  const lifecycleChanged = await transition('lifecycle_changed', 'lifecycle_stage', []);
  await w.write(
    `${USER_SCORES_INSERT} ` +
      replaceUserScoresSql(staged, 'n.run_key = $1', {
        lifecycle_stage: 'n.lifecycle_stage',
        rfm_tier: 'n.rfm_tier',
        rfm_r: 'n.rfm_r',
        rfm_f: 'n.rfm_f',
        rfm_m: 'n.rfm_m',
        computed_at: d.timeFromMs('$2'),
      }),
    [run.id, run.now],
  );
  const group = async (column: 'lifecycle_stage' | 'rfm_tier') =>
    Object.fromEntries(
      (
        await w.query<{ k: string | null; n: number }>(
          `SELECT ${column} AS k, count() AS n FROM score_staging WHERE run_key = $1 GROUP BY k ORDER BY k`,
          [run.id],
        )
      ).map((r) => [r.k ?? '(none)', Number(r.n)]),
    );
  const result = {
    users,
    stages: await group('lifecycle_stage'),
    tiers: await group('rfm_tier'),
    tierChanged,
    lifecycleChanged,
  };
  await dropStaged(w, 'score_staging', run.id);
  return result;
};

export interface ScoreSummary {
  users: number;
  computedAt: number | null;
  stages: Record<string, number>;
  tiers: Record<string, number>;
}

/** What `user_scores` holds now: counts per stage and tier, and the latest computation time. */
export const readScoreSummary = async (warehouse: WarehouseSql): Promise<ScoreSummary> => {
  const head = await warehouse.query<{ n: bigint; at: Date | null }>(
    'SELECT count(*) AS n, max(computed_at) AS at FROM user_scores WHERE lifecycle_stage IS NOT NULL',
  );
  const group = async (column: 'lifecycle_stage' | 'rfm_tier') =>
    Object.fromEntries(
      (
        await warehouse.query<{ k: string; n: bigint }>(
          `SELECT ${column} AS k, count(*) AS n FROM user_scores WHERE ${column} IS NOT NULL GROUP BY 1 ORDER BY 1`,
        )
      ).map((r) => [r.k, Number(r.n)]),
    );
  const at = head[0]?.at ?? null;
  return {
    users: Number(head[0]?.n ?? 0),
    computedAt: at === null ? null : new Date(at).getTime(),
    stages: await group('lifecycle_stage'),
    tiers: await group('rfm_tier'),
  };
};

/** The instant of the latest lifecycle computation, or null before the first. */
export const lastComputedAt = async (warehouse: WarehouseSql): Promise<number | null> => {
  const at = await warehouse.scalar<Date | null>(
    'SELECT max(computed_at) FROM user_scores WHERE lifecycle_stage IS NOT NULL',
  );
  return at === null ? null : new Date(at).getTime();
};
