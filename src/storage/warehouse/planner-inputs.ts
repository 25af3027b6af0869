import { duckdbDialect, type SqlDialect } from '../../core/sql/dialect.ts';
import type { SqlParam, WarehouseSql } from '../warehouse-sql.ts';
import { DAY_MS } from '../../core/time/units.ts';
import { inList } from './id-list.ts';
import { readColumns, roundedInt64 } from './planner-sql.ts';

/**
 * The warehouse reads of the planner shells (src/planner/, campaigns/ladder-follow-ups.ts): what
 * users are worth, their order histories, their responses to a ladder's steps.
 */

/**
 * A selection of users as SQL (`who`, a one-column query with the column named `user_id`: the
 * ClickHouse statements read it by that name) with its parameters.
 */
export interface Who {
  who: string;
  params: SqlParam[];
}

export const snapshotWho = (snapshotId: string): Who => ({
  who: 'SELECT user_id FROM audience_snapshot_members WHERE snapshot_id = $1',
  params: [snapshotId],
});

/** The given users; pass the warehouse's dialect (the DuckDB default is for older callers' tests). */
export const idsWho = (userIds: readonly string[], dialect: SqlDialect = duckdbDialect): Who => ({
  who:
    dialect.name === 'duckdb'
      ? `SELECT unnest(from_json($1, '["VARCHAR"]'))`
      : `${inList('$1', dialect)} AS user_id`,
  params: [JSON.stringify(userIds)],
});

/**
 * What each user is worth to a recall ladder, in cents: the value model's LTV when one was
 * computed, else its expected spend over the horizon, else what they spent in the 365 days
 * before `at`. `who` selects the users (SQL with `params`). The ladder's floors and its pricing of
 * the next channel (ladder-pricing.ts) both read it.
 */
export const userValuesCents = async (
  warehouse: WarehouseSql,
  who: string,
  params: SqlParam[],
  at: number,
): Promise<Map<string, number>> => {
  const n = params.length;
  const d = warehouse.dialect;
  const c =
    d.name === 'duckdb'
      ? await readColumns(
          warehouse,
          `WITH ids AS (SELECT DISTINCT user_id FROM (${who}) AS w(user_id)),
          spend AS (SELECT user_id, sum(amount) AS s FROM events
                    WHERE amount IS NOT NULL AND ts >= $${n + 1}::TIMESTAMP AND ts < $${n + 2}::TIMESTAMP
                      AND user_id IN (SELECT user_id FROM ids) GROUP BY user_id)
     SELECT ids.user_id, CAST(round(100 * coalesce(us.ltv, us.expected_spend, spend.s, 0)) AS BIGINT) AS cents
     FROM ids LEFT JOIN user_scores us ON us.user_id = ids.user_id LEFT JOIN spend ON spend.user_id = ids.user_id`,
          [...params, new Date(at - 365 * DAY_MS).toISOString(), new Date(at).toISOString()],
        )
      : // ClickHouse: no column list on a subquery's alias (`who` names its column user_id); the
        // joins fill missing rows with NULL (join_use_nulls), so coalesce falls through as on DuckDB.
        await readColumns(
          warehouse,
          `WITH ids AS (SELECT DISTINCT user_id FROM (${who})),
                spend AS (SELECT user_id, sum(amount) AS s FROM events
                          WHERE amount IS NOT NULL AND ts >= ${d.timeFromMs(`$${n + 1}`)} AND ts < ${d.timeFromMs(`$${n + 2}`)}
                            AND user_id IN (SELECT user_id FROM ids) GROUP BY user_id)
           SELECT ids.user_id AS user_id,
                  ${roundedInt64(d, '100 * coalesce(us.ltv, us.expected_spend, spend.s, 0)')} AS cents
           FROM ids LEFT JOIN user_scores us ON us.user_id = ids.user_id LEFT JOIN spend ON spend.user_id = ids.user_id
           SETTINGS join_use_nulls = 1`,
          [...params, at - 365 * DAY_MS, at],
        );
  const ids = (c['user_id'] ?? []) as string[];
  const cents = (c['cents'] ?? []) as (bigint | number)[];
  return new Map(ids.map((id, i) => [id, Number(cents[i] ?? 0)]));
};

/** Last order and average order value per user, for offers that depend on history. */
export const orderHistories = async (
  warehouse: WarehouseSql,
  userIds: readonly string[],
  at: number,
): Promise<Map<string, { lapsedSince: number; averageOrderCents: number }>> => {
  const d = warehouse.dialect;
  const c =
    d.name === 'duckdb'
      ? await readColumns(
          warehouse,
          `SELECT user_id, epoch_ms(max(ts)) AS last_order, CAST(round(100 * avg(amount)) AS BIGINT) AS aov FROM events
     WHERE event = 'order' AND ts <= $2::TIMESTAMP AND user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))
     GROUP BY user_id`,
          [JSON.stringify(userIds), new Date(at).toISOString()],
        )
      : await readColumns(
          warehouse,
          `SELECT user_id, ${d.msFromTime('max(ts)')} AS last_order, ${roundedInt64(d, '100 * avg(amount)')} AS aov
           FROM events
           WHERE event = 'order' AND ts <= ${d.timeFromMs('$2')} AND user_id IN (${inList('$1', d)})
           GROUP BY user_id`,
          [JSON.stringify(userIds), at],
        );
  const ids = (c['user_id'] ?? []) as string[];
  return new Map(
    ids.map((id, i) => [
      id,
      { lapsedSince: Number((c['last_order'] ?? [])[i]), averageOrderCents: Number((c['aov'] ?? [])[i]) },
    ]),
  );
};

/**
 * Each user's first event of `events` from their `sentAt` up to `until` (epoch ms), for those who
 * have one: a response to a ladder step.
 */
export const firstResponses = async (
  warehouse: WarehouseSql,
  sent: readonly { userId: string; sentAt: number }[],
  events: readonly string[],
  until: number,
): Promise<Map<string, number>> => {
  const d = warehouse.dialect;
  const sentJson = JSON.stringify(sent.map((s) => ({ u: s.userId, t: s.sentAt })));
  if (d.name !== 'duckdb') {
    // ClickHouse: the JSON objects read as named tuples; the join's inequalities in WHERE (an
    // inner join: the same rows), as older servers join on equalities only.
    const r = await readColumns(
      warehouse,
      `WITH sent AS (SELECT r.u AS user_id, ${d.timeFromMs('r.t')} AS sent_at
                     FROM (SELECT arrayJoin(JSONExtract($1, 'Array(Tuple(u String, t Int64))')) AS r))
       SELECT s.user_id AS user_id, ${d.msFromTime('min(e.ts)')} AS first FROM sent AS s
       INNER JOIN events AS e ON e.user_id = s.user_id
       WHERE e.ts >= s.sent_at AND e.ts <= ${d.timeFromMs('$2')} AND e.event IN (${inList('$3', d)})
       GROUP BY s.user_id`,
      [sentJson, until, JSON.stringify(events)],
    );
    return new Map(((r['user_id'] ?? []) as string[]).map((u, i) => [u, Number((r['first'] ?? [])[i])]));
  }
  const responses = await readColumns(
    warehouse,
    `WITH sent AS (SELECT struct_extract(r, 'u') AS user_id, make_timestamp(struct_extract(r, 't') * 1000) AS at
                   FROM (SELECT unnest(from_json($1, '[{"u":"VARCHAR","t":"BIGINT"}]')) AS r))
     SELECT s.user_id, epoch_ms(min(e.ts)) AS first FROM sent s
     JOIN events e ON e.user_id = s.user_id AND e.ts >= s.at AND e.ts <= $2::TIMESTAMP
     WHERE e.event IN (SELECT unnest(from_json($3, '["VARCHAR"]')))
     GROUP BY s.user_id`,
    [sentJson, new Date(until).toISOString(), JSON.stringify(events)],
  );
  return new Map(
    ((responses['user_id'] ?? []) as string[]).map((u, i) => [u, Number((responses['first'] ?? [])[i])]),
  );
};

/** Users the planner skipped at a follow-up step of a campaign's ladder (detail `ladder step N`). */
export const ladderLeavers = async (warehouse: WarehouseSql, campaignId: string): Promise<Set<string>> => {
  const rows = await readColumns(
    warehouse,
    `SELECT DISTINCT user_id FROM decided_members WHERE campaign_id = $1 AND decision = 'skipped' AND detail LIKE 'ladder step %'`,
    [campaignId],
  );
  return new Set((rows['user_id'] ?? []) as string[]);
};
