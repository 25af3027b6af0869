import type { SqlDialect } from '../../core/sql/dialect.ts';
import type { SqlParam, WarehouseSql } from '../warehouse-sql.ts';
import { inList, jsonList } from './id-list.ts';
import { MESSAGES_CTE, messagesCte } from './message-outcomes.ts';

/**
 * The messages of some campaigns sent in a period [from, to) and the conversions of those
 * campaigns whose goal event is in it, for the period report (figures as the warehouse returns
 * them: decode them).
 */

export interface PeriodScope {
  campaignIds: readonly string[];
  fromMs: number;
  toMs: number;
}

// $1 campaign ids (JSON), $2 from, $3 to (UTC timestamps without the zone).
const SCOPE = `WITH m AS (${MESSAGES_CTE(`campaign_id IN (${inList('$1')})`)}),
    s AS (SELECT * FROM m WHERE m.sent AND m.sent_at >= CAST($2 AS TIMESTAMP) AND m.sent_at < CAST($3 AS TIMESTAMP)),
    cv AS (SELECT * FROM conversions WHERE campaign_id IN (${inList('$1')})
           AND ts >= CAST($2 AS TIMESTAMP) AND ts < CAST($3 AS TIMESTAMP))`;

// On ClickHouse: $1 campaign ids (JSON), $2 from, $3 to (epoch ms).
const chScope = (
  d: SqlDialect,
): string => `WITH m AS (${messagesCte(d, `campaign_id IN (${inList('$1', d)})`)}),
    s AS (SELECT * FROM m WHERE m.sent AND m.sent_at >= ${d.timeFromMs('$2')} AND m.sent_at < ${d.timeFromMs('$3')}),
    cv AS (SELECT * FROM conversions WHERE campaign_id IN (${inList('$1', d)})
           AND ts >= ${d.timeFromMs('$2')} AND ts < ${d.timeFromMs('$3')})`;

const scope = (d: SqlDialect): string => (d.name === 'duckdb' ? SCOPE : chScope(d));

const params = (p: PeriodScope, d: SqlDialect): SqlParam[] =>
  d.name === 'duckdb'
    ? [
        jsonList(p.campaignIds),
        new Date(p.fromMs).toISOString().replace('Z', ''),
        new Date(p.toMs).toISOString().replace('Z', ''),
      ]
    : [jsonList(p.campaignIds), p.fromMs, p.toMs];

/** Per campaign with messages sent in the period: sent, users reached, converted users, revenue, cost. */
export const periodPerCampaign = (w: WarehouseSql, p: PeriodScope): Promise<Record<string, unknown>[]> =>
  w.query<Record<string, unknown>>(
    // A campaign without conversions joins NULL on DuckDB and 0 on ClickHouse: coalesced to 0 on both.
    `${scope(w.dialect)}
     SELECT c.campaign_id AS campaign_id, c.sent AS sent, c.users AS users, coalesce(v.converted, 0) AS converted,
       coalesce(v.revenue, 0) AS revenue, c.cost AS cost
     FROM (SELECT campaign_id, count(*) AS sent, count(DISTINCT user_id) AS users, sum(cost) AS cost
           FROM s GROUP BY campaign_id) c
     LEFT JOIN (SELECT campaign_id, count(DISTINCT user_id) AS converted, sum(coalesce(revenue, 0)) AS revenue
                FROM cv GROUP BY campaign_id) v ON v.campaign_id = c.campaign_id
     ORDER BY c.campaign_id`,
    params(p, w.dialect),
  );

/** Distinct users reached and converted over all the campaigns (`reached`, `converted`). */
export const periodTotals = async (
  w: WarehouseSql,
  p: PeriodScope,
): Promise<Record<string, unknown> | undefined> =>
  (
    await w.query<Record<string, unknown>>(
      `${scope(w.dialect)} SELECT (SELECT count(DISTINCT user_id) FROM s) AS reached,
       (SELECT count(DISTINCT user_id) FROM cv) AS converted`,
      params(p, w.dialect),
    )
  )[0];

// The ISO week (`2026-W01`) of a send on ClickHouse: toISOYear/toISOWeek exist on old servers,
// formatDateTime's %G and %V not everywhere.
const CH_ISO_WEEK =
  "concat(toString(toISOYear(sent_at)), '-W', leftPad(toString(toISOWeek(sent_at)), 2, '0'))";

/** Messages sent and unsubscribed per day or ISO week (UTC) of the send. */
export const unsubscribesBy = (
  w: WarehouseSql,
  p: PeriodScope,
  unit: 'day' | 'week',
): Promise<{ p: string; sent: unknown; unsub: unknown }[]> =>
  w.query<{ p: string; sent: unknown; unsub: unknown }>(
    w.dialect.name === 'duckdb'
      ? `${SCOPE} SELECT strftime(sent_at, '${unit === 'day' ? '%Y-%m-%d' : '%G-W%V'}') AS p, count(*) AS sent,
           count(*) FILTER (WHERE unsubscribed) AS unsub FROM s GROUP BY 1 ORDER BY 1`
      : `${chScope(w.dialect)} SELECT assumeNotNull(${unit === 'day' ? "formatDateTime(sent_at, '%Y-%m-%d')" : CH_ISO_WEEK}) AS p,
           count(*) AS sent, countIf(unsubscribed) AS unsub FROM s GROUP BY p ORDER BY p`,
    params(p, w.dialect),
  );
