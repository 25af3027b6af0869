import type { SqlParam, Warehouse } from './warehouse.ts';
import { DAY_MS } from '../../core/time/units.ts';

/**
 * The warehouse reads of the planner shells (src/planner/, campaigns/ladder-follow-ups.ts): what
 * users are worth, their order histories, their responses to a ladder's steps.
 */

/** A selection of users as SQL (`who`, a one-column query) with its parameters. */
export interface Who {
  who: string;
  params: SqlParam[];
}

export const snapshotWho = (snapshotId: string): Who => ({
  who: 'SELECT user_id FROM audience_snapshot_members WHERE snapshot_id = $1',
  params: [snapshotId],
});

export const idsWho = (userIds: readonly string[]): Who => ({
  who: `SELECT unnest(from_json($1, '["VARCHAR"]'))`,
  params: [JSON.stringify(userIds)],
});

/**
 * What each user is worth to a recall ladder, in cents: the value model's LTV when one was
 * computed, else its expected spend over the horizon, else what they spent in the 365 days
 * before `at`. `who` selects the users (SQL with `params`). The ladder's floors and its pricing of
 * the next channel (ladder-pricing.ts) both read it.
 */
export const userValuesCents = async (
  warehouse: Warehouse,
  who: string,
  params: SqlParam[],
  at: number,
): Promise<Map<string, number>> => {
  const n = params.length;
  const c = await warehouse.columns(
    `WITH ids AS (SELECT DISTINCT user_id FROM (${who}) AS w(user_id)),
          spend AS (SELECT user_id, sum(amount) AS s FROM events
                    WHERE amount IS NOT NULL AND ts >= $${n + 1}::TIMESTAMP AND ts < $${n + 2}::TIMESTAMP
                      AND user_id IN (SELECT user_id FROM ids) GROUP BY user_id)
     SELECT ids.user_id, CAST(round(100 * coalesce(us.ltv, us.expected_spend, spend.s, 0)) AS BIGINT) AS cents
     FROM ids LEFT JOIN user_scores us ON us.user_id = ids.user_id LEFT JOIN spend ON spend.user_id = ids.user_id`,
    [...params, new Date(at - 365 * DAY_MS).toISOString(), new Date(at).toISOString()],
  );
  const ids = (c['user_id'] ?? []) as string[];
  const cents = (c['cents'] ?? []) as (bigint | number)[];
  return new Map(ids.map((id, i) => [id, Number(cents[i] ?? 0)]));
};

/** Last order and average order value per user, for offers that depend on history. */
export const orderHistories = async (
  warehouse: Warehouse,
  userIds: readonly string[],
  at: number,
): Promise<Map<string, { lapsedSince: number; averageOrderCents: number }>> => {
  const c = await warehouse.columns(
    `SELECT user_id, epoch_ms(max(ts)) AS last_order, CAST(round(100 * avg(amount)) AS BIGINT) AS aov FROM events
     WHERE event = 'order' AND ts <= $2::TIMESTAMP AND user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))
     GROUP BY user_id`,
    [JSON.stringify(userIds), new Date(at).toISOString()],
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
  warehouse: Warehouse,
  sent: readonly { userId: string; sentAt: number }[],
  events: readonly string[],
  until: number,
): Promise<Map<string, number>> => {
  const responses = await warehouse.columns(
    `WITH sent AS (SELECT struct_extract(r, 'u') AS user_id, make_timestamp(struct_extract(r, 't') * 1000) AS at
                   FROM (SELECT unnest(from_json($1, '[{"u":"VARCHAR","t":"BIGINT"}]')) AS r))
     SELECT s.user_id, epoch_ms(min(e.ts)) AS first FROM sent s
     JOIN events e ON e.user_id = s.user_id AND e.ts >= s.at AND e.ts <= $2::TIMESTAMP
     WHERE e.event IN (SELECT unnest(from_json($3, '["VARCHAR"]')))
     GROUP BY s.user_id`,
    [
      JSON.stringify(sent.map((s) => ({ u: s.userId, t: s.sentAt }))),
      new Date(until).toISOString(),
      JSON.stringify(events),
    ],
  );
  return new Map(
    ((responses['user_id'] ?? []) as string[]).map((u, i) => [u, Number((responses['first'] ?? [])[i])]),
  );
};

/** Users the planner skipped at a follow-up step of a campaign's ladder (detail `ladder step N`). */
export const ladderLeavers = async (warehouse: Warehouse, campaignId: string): Promise<Set<string>> => {
  const rows = await warehouse.columns(
    `SELECT DISTINCT user_id FROM decided_members WHERE campaign_id = $1 AND decision = 'skipped' AND detail LIKE 'ladder step %'`,
    [campaignId],
  );
  return new Set((rows['user_id'] ?? []) as string[]);
};
