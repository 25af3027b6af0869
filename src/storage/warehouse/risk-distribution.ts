import { numberOrZero } from '../row-values.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';

/** A bin number as an integer (the floor is a DOUBLE). */
const binOf = (w: WarehouseSql, v: string): string =>
  w.dialect.name === 'duckdb' ? `${v}::INTEGER` : `toInt32(${v})`;

/** Scored users per bin of ten churn-risk points (bin 9 holds 90–100), from the last scoring run. */
export const usersPerRiskBin = async (w: WarehouseSql): Promise<Map<number, number>> =>
  new Map(
    (
      await w.query(
        `SELECT ${binOf(w, 'least(floor(churn_risk_score / 10), 9)')} AS b, count(*) AS users
     FROM user_scores WHERE churn_risk_score IS NOT NULL GROUP BY b ORDER BY b`,
      )
    ).map((r) => [numberOrZero(r['b']), numberOrZero(r['users'])]),
  );

/** Scored users per churn-risk level, by level name. */
export const usersPerRiskLevel = async (w: WarehouseSql): Promise<{ level: string; users: number }[]> =>
  (
    await w.query(
      `SELECT churn_risk_level AS level, count(*) AS users
     FROM user_scores WHERE churn_risk_level IS NOT NULL GROUP BY level ORDER BY level`,
    )
  ).map((r) => ({ level: String(r['level']), users: numberOrZero(r['users']) }));
