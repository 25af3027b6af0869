import type { ValueModelSettings } from '../../core/scores/config.ts';
import type { LineItem } from '../../core/models/orders.ts';
import type {
  ValueModelResult,
  ValueModelSummary,
  ValueScore,
  ValueWarning,
} from '../../core/models/btyd/value-model.ts';
import { eventNumber } from '../../core/scores/scoring-sql.ts';
import { randomUUID } from 'node:crypto';
import { duckdbDialect, type SqlDialect } from '../../core/sql/dialect.ts';
import { Params, type CompiledQuery } from '../../core/sql/params.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';
import {
  USER_SCORES_INSERT,
  clearUserScoresSql,
  dropStaged,
  insertCounted,
  replaceUserScoresSql,
} from './user-scores.ts';

/**
 * The value model in the warehouse: the buyers' purchase histories it is fitted on, the
 * per-user figures in `user_scores` (p_alive, expected_purchases, expected_spend, ltv) and one
 * row per run in `value_model_runs`.
 */

/**
 * The rows the value model is fitted on: the purchase and refund events up to `asOf`, in user
 * and time order, as line items for `groupOrders` (src/core/models/orders.ts). A refund is a
 * refund-event row (its amount taken off whatever its sign) or a purchase row with a negative
 * amount; a missing amount is 0; a missing order id groups the row with the user's others of
 * that UTC day.
 */
export const purchaseLinesQuery = (
  s: ValueModelSettings,
  asOf: number,
  dialect: SqlDialect = duckdbDialect,
): CompiledQuery => {
  const p = new Params(0, dialect);
  const purchase = p.add(s.purchaseEvent);
  const refund = p.add(s.refundEvent);
  const amount = `coalesce(${eventNumber(p, 'e', s.amount)}, 0)`;
  const sql =
    `SELECT e.user_id${dialect.name === 'duckdb' ? '' : ' AS user_id'}, ${dialect.msFromTime('e.ts')} AS ms, ${amount} AS amount, coalesce(e.order_id, '') AS order_id, ` +
    `(e.event = ${refund} OR ${amount} < 0) AS refund FROM events e ` +
    `WHERE e.event IN (${purchase}, ${refund}) AND e.ts <= ${p.time(asOf)} ORDER BY e.user_id, e.ts, e.message_id`;
  return { sql, params: p.values };
};

export const readPurchaseLines = async (
  w: WarehouseSql,
  s: ValueModelSettings,
  asOf: number,
): Promise<LineItem[]> => {
  const q = purchaseLinesQuery(s, asOf, w.dialect);
  const rows = await w.query<{
    user_id: string;
    ms: bigint | number;
    amount: number;
    order_id: string;
    // ClickHouse answers a condition as 0/1.
    refund: boolean | number;
  }>(q.sql, q.params);
  return rows.map((r) => ({
    userId: r.user_id,
    ts: Number(r.ms),
    amount: r.refund ? -Math.abs(Number(r.amount)) : Number(r.amount),
    orderId: r.order_id,
    refund: r.refund === true || r.refund === 1,
  }));
};

/** A run as stored in `value_model_runs` (JSON columns as parsed values). */
export interface ValueModelRunRow {
  runId: string;
  asOf: number;
  settings: ValueModelSettings;
  customers: number;
  repeatCustomers: number;
  bgnbd: ValueModelResult['bgnbd'];
  gammaGamma: ValueModelResult['gammaGamma'];
  converged: boolean;
  logLikelihood: number | null;
  warnings: readonly ValueWarning[];
  written: boolean;
  users: number;
  summary: ValueModelSummary | null;
}

const json = (v: unknown): string =>
  JSON.stringify(v ?? null, (_, x: unknown) =>
    typeof x === 'number' && !Number.isFinite(x) ? String(x) : x,
  );

/** The values of a `value_model_runs` row, in the column order both engines' INSERTs name. */
const runRowParams = (run: Parameters<typeof writeValueModelRun>[1], written: boolean, users: number) => [
  run.runId,
  run.asOf,
  json(run.settings),
  run.customers,
  run.repeatCustomers,
  json(run.bgnbd),
  json(run.gammaGamma),
  run.converged,
  run.logLikelihood,
  json(run.warnings),
  written,
  users,
  json(run.summary),
];

/**
 * Records the run and, when `scores` is given, replaces the per-user figures: buyers get theirs,
 * users who had figures but are not buyers now (their purchases refunded, say) lose them. With
 * `scores` null (the fit was not trusted) `user_scores` is left exactly as it was.
 */
export const writeValueModelRun = (
  warehouse: WarehouseSql,
  run: Omit<ValueModelRunRow, 'written' | 'users'>,
  scores: readonly ValueScore[] | null,
): Promise<{ users: number; cleared: number }> =>
  warehouse.dialect.name === 'clickhouse'
    ? writeValueModelRunClickHouse(warehouse, run, scores)
    : warehouse.transaction(async (tx) => {
        let users = 0;
        let cleared = 0;
        if (scores !== null) {
          await tx.run(
            'CREATE OR REPLACE TEMP TABLE value_next (user_id VARCHAR, p_alive DOUBLE, expected_purchases DOUBLE, expected_spend DOUBLE, ltv DOUBLE)',
          );
          await tx.append(
            'value_next',
            (row) => {
              for (const s of scores) {
                row.varchar(s.userId);
                row.double(s.pAlive);
                row.double(s.expectedPurchases);
                row.double(s.expectedSpend);
                row.double(s.ltv);
                row.end();
              }
            },
            { temp: true },
          );
          cleared = await tx.run(
            `UPDATE user_scores SET p_alive = NULL, expected_purchases = NULL, expected_spend = NULL, ltv = NULL,
           value_computed_at = NULL
         WHERE (p_alive IS NOT NULL OR ltv IS NOT NULL) AND user_id NOT IN (SELECT user_id FROM temp.value_next)`,
          );
          users = await tx.run(
            `INSERT INTO user_scores (user_id, p_alive, expected_purchases, expected_spend, ltv, value_computed_at)
         SELECT user_id, p_alive, expected_purchases, expected_spend, ltv, epoch_ms(CAST($1 AS BIGINT)) FROM temp.value_next
         ON CONFLICT (user_id) DO UPDATE SET p_alive = excluded.p_alive, expected_purchases = excluded.expected_purchases,
           expected_spend = excluded.expected_spend, ltv = excluded.ltv, value_computed_at = excluded.value_computed_at`,
            [run.asOf],
          );
          await tx.run('DROP TABLE temp.value_next');
        }
        await tx.run(
          `INSERT INTO value_model_runs (run_id, as_of, settings, customers, repeat_customers, bgnbd, gamma_gamma,
         converged, log_likelihood, warnings, written, users, summary)
       VALUES ($1, epoch_ms(CAST($2 AS BIGINT)), $3::JSON, $4, $5, $6::JSON, $7::JSON, $8, $9, $10::JSON, $11, $12, $13::JSON)`,
          runRowParams(run, scores !== null, users),
        );
        return { users, cleared };
      });

/**
 * `writeValueModelRun` on ClickHouse (no transaction): the figures staged under a key of this
 * call, the rows of users who are no buyers now cleared and the buyers' replaced (whole rows,
 * user-scores.ts), then the run row, last, so that a run cut short is not recorded as written
 * (the next run rewrites the figures).
 */
const writeValueModelRunClickHouse = async (
  w: WarehouseSql,
  run: Omit<ValueModelRunRow, 'written' | 'users'>,
  scores: readonly ValueScore[] | null,
): Promise<{ users: number; cleared: number }> => {
  const d = w.dialect;
  let users = 0;
  let cleared = 0;
  if (scores !== null) {
    const key = randomUUID();
    await w.transaction((tx) =>
      tx.append('value_staging', (row) => {
        for (const s of scores) {
          row.varchar(key);
          row.varchar(s.userId);
          row.double(s.pAlive);
          row.double(s.expectedPurchases);
          row.double(s.expectedSpend);
          row.double(s.ltv);
          row.end();
        }
      }),
    );
    const values = ['p_alive', 'expected_purchases', 'expected_spend', 'ltv', 'value_computed_at'] as const;
    cleared = await insertCounted(
      w,
      USER_SCORES_INSERT,
      clearUserScoresSql(
        values,
        '(p_alive IS NOT NULL OR ltv IS NOT NULL) AND user_id NOT IN (SELECT user_id FROM value_staging WHERE run_key = $1)',
      ),
      [key],
    );
    users = await insertCounted(
      w,
      USER_SCORES_INSERT,
      replaceUserScoresSql('value_staging n', 'n.run_key = $1', {
        p_alive: 'n.p_alive',
        expected_purchases: 'n.expected_purchases',
        expected_spend: 'n.expected_spend',
        ltv: 'n.ltv',
        value_computed_at: d.timeFromMs('$2'),
      }),
      [key, run.asOf],
    );
    await dropStaged(w, 'value_staging', key);
  }
  // A NULL travels as Nullable(String): the nullable non-text column casts it.
  await w.write(
    `INSERT INTO value_model_runs (run_id, as_of, settings, customers, repeat_customers, bgnbd, gamma_gamma,
       converged, log_likelihood, warnings, written, users, summary)
     VALUES ($1, ${d.timeFromMs('$2')}, $3, $4, $5, $6, $7, $8, CAST($9 AS Nullable(Float64)), $10, $11, $12, $13)`,
    runRowParams(run, scores !== null, users),
  );
  return { users, cleared };
};

// The JSON columns hold what writeValueModelRun wrote from these very types.
const parse = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** The latest run (by instant, then by the order written), or null before the first. */
export const readLatestValueModelRun = async (w: WarehouseSql): Promise<ValueModelRunRow | null> => {
  const rows = await w.query<Record<string, unknown>>(
    `SELECT run_id, ${w.dialect.msFromTime('as_of')} AS as_of, CAST(settings AS VARCHAR) AS settings, customers, repeat_customers,
       CAST(bgnbd AS VARCHAR) AS bgnbd, CAST(gamma_gamma AS VARCHAR) AS gamma_gamma, converged, log_likelihood,
       CAST(warnings AS VARCHAR) AS warnings, written, users, CAST(summary AS VARCHAR) AS summary
     FROM value_model_runs ORDER BY ${w.dialect.name === 'duckdb' ? 'as_of' : 'value_model_runs.as_of'} DESC, run_id DESC LIMIT 1`,
  );
  const r = rows[0];
  if (r === undefined) return null;
  return {
    runId: String(r['run_id']),
    asOf: Number(r['as_of']),
    settings: parse<ValueModelSettings>(r['settings']),
    customers: Number(r['customers']),
    repeatCustomers: Number(r['repeat_customers']),
    bgnbd: parse<ValueModelResult['bgnbd']>(r['bgnbd']),
    gammaGamma: parse<ValueModelResult['gammaGamma']>(r['gamma_gamma']),
    converged: r['converged'] === true || r['converged'] === 1,
    logLikelihood: r['log_likelihood'] === null ? null : Number(r['log_likelihood']),
    warnings: parse<ValueWarning[]>(r['warnings']),
    written: r['written'] === true || r['written'] === 1,
    users: Number(r['users']),
    summary: parse<ValueModelSummary | null>(r['summary']),
  };
};

/** The latest run that wrote per-user values: its instant, or null. */
export const lastWrittenValueRunAt = async (w: WarehouseSql): Promise<number | null> => {
  // ClickHouse's max over no row is 1970 unless the argument is Nullable.
  const v = await w.scalar<bigint | number | null>(
    w.dialect.name === 'duckdb'
      ? 'SELECT epoch_ms(max(as_of)) FROM value_model_runs WHERE written'
      : `SELECT ${w.dialect.msFromTime('max(toNullable(as_of))')} FROM value_model_runs WHERE written`,
  );
  return v === null ? null : Number(v);
};
