import { numberOrZero } from '../row-values.ts';
import type { Warehouse } from './warehouse.ts';

export interface FunnelCounts {
  statuses: { status: string; messages: number }[];
  recipients: number;
  cost: number;
  conversions: number;
  revenue: number;
}

/** Messages by status (most first), recipients, cost, conversions and revenue since `since` (all campaigns). */
export const funnelSince = async (w: Warehouse, since: number): Promise<FunnelCounts> => {
  const statuses = await w.query(
    `SELECT status, count(DISTINCT message_id) AS messages FROM message_facts
     WHERE ts >= make_timestamp($1::BIGINT * 1000) GROUP BY status ORDER BY messages DESC`,
    [since],
  );
  const [totals] = await w.query(
    `SELECT count(DISTINCT user_id) AS recipients, coalesce(sum(cost), 0) AS cost FROM message_facts
     WHERE ts >= make_timestamp($1::BIGINT * 1000)`,
    [since],
  );
  const [conv] = await w.query(
    `SELECT count(*) AS conversions, coalesce(sum(revenue), 0) AS revenue FROM conversions
     WHERE ts >= make_timestamp($1::BIGINT * 1000)`,
    [since],
  );
  return {
    statuses: statuses.map((r) => ({ status: String(r['status']), messages: numberOrZero(r['messages']) })),
    recipients: numberOrZero(totals?.['recipients']),
    cost: numberOrZero(totals?.['cost']),
    conversions: numberOrZero(conv?.['conversions']),
    revenue: numberOrZero(conv?.['revenue']),
  };
};
