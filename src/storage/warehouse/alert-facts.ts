import type { WarehouseSql } from '../warehouse-sql.ts';

/** The warehouse facts the alert rules look at (features.md H2), decoded to numbers. */

/** The two latest churn-risk scoring runs, newest first: when each scored and how many users it rated high. */
export const latestChurnRiskRuns = async (w: WarehouseSql): Promise<{ scoredAt: number; high: number }[]> =>
  (
    await w.query<{ scored_at: Date; high: number }>(
      'SELECT scored_at, high FROM churn_risk_runs ORDER BY scored_at DESC, as_of DESC LIMIT 2',
    )
  ).map((r) => ({ scoredAt: r.scored_at.getTime(), high: Number(r.high) }));

/** How many `recall_relapsed` events happened between `from` and `to` (epoch ms, `from` excluded). */
export const recallRelapsesBetween = async (w: WarehouseSql, from: number, to: number): Promise<number> => {
  const d = w.dialect;
  const [row] = await w.query<{ n: bigint | number }>(
    d.name === 'duckdb'
      ? `SELECT count(*) AS n FROM events WHERE event = 'recall_relapsed' AND ts > $1::TIMESTAMP AND ts <= $2::TIMESTAMP`
      : `SELECT count(*) AS n FROM events WHERE event = 'recall_relapsed' AND ts > ${d.timeFromMs('$1')} AND ts <= ${d.timeFromMs('$2')}`,
    d.name === 'duckdb' ? [new Date(from).toISOString(), new Date(to).toISOString()] : [from, to],
  );
  return Number(row?.n ?? 0);
};
