import { numberOrZero } from '../row-values.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';

export interface FunnelCounts {
  statuses: { status: string; messages: number }[];
  recipients: number;
  cost: number;
  conversions: number;
  revenue: number;
}

/**
 * Messages by status (most first), recipients, cost, conversions and revenue in [from, to) (epoch
 * ms, all campaigns).
 */
export const funnelBetween = async (w: WarehouseSql, from: number, to: number): Promise<FunnelCounts> => {
  const d = w.dialect;
  const within =
    d.name === 'duckdb'
      ? `ts >= make_timestamp($1::BIGINT * 1000) AND ts < make_timestamp($2::BIGINT * 1000)`
      : `ts >= ${d.timeFromMs('$1')} AND ts < ${d.timeFromMs('$2')}`;
  const statuses = await w.query(
    `SELECT status, count(DISTINCT message_id) AS messages FROM message_facts
     WHERE ${within} GROUP BY status ORDER BY messages DESC`,
    [from, to],
  );
  const [totals] = await w.query(
    `SELECT count(DISTINCT user_id) AS recipients, coalesce(sum(cost), 0) AS cost FROM message_facts
     WHERE ${within}`,
    [from, to],
  );
  const [conv] = await w.query(
    `SELECT count(*) AS conversions, coalesce(sum(revenue), 0) AS revenue FROM conversions
     WHERE ${within}`,
    [from, to],
  );
  return {
    statuses: statuses.map((r) => ({ status: String(r['status']), messages: numberOrZero(r['messages']) })),
    recipients: numberOrZero(totals?.['recipients']),
    cost: numberOrZero(totals?.['cost']),
    conversions: numberOrZero(conv?.['conversions']),
    revenue: numberOrZero(conv?.['revenue']),
  };
};
