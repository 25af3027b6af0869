import type { AudienceNode } from '../src/core/audience/schema.ts';
import { DAY_MS } from '../src/core/time/units.ts';

/**
 * Ten audiences a growth operator builds for win-back, each as an audience tree and as the
 * hand-written SQL that answers the same question on DuckDB and on PostgreSQL (a count of users).
 * The hand-written SQL is the baseline: what a good engineer would write for that one question
 * (one pass with conditional aggregates where two conditions read the same events, anti-joins,
 * ASOF joins on DuckDB, index lookups on PostgreSQL), with the constants written into the text.
 *
 * The demo data (`rekindle generate`) every size shares: events `sign_up`, `app_open`, `login`,
 * `search`, `view_item` (JSON `page`), `favorite`, `add_to_cart`, `order` (typed `amount`), `pay`,
 * `refund`, `invest`, `withdraw`, `balance_change`; profiles with `acquisition_channel`,
 * `register_time`, `city`, `balance`, `membership`, consents; one identify per user, sent at the
 * user's last activity (so the profile history holds each trait once, from that time).
 */
export interface AudienceCase {
  name: string;
  /** The question in plain language, as the operator would say it. */
  description: string;
  tree: AudienceNode;
  /** `SELECT count(*) …` on the warehouse (DuckDB). */
  duckdb: string;
  /** `SELECT count(*) …` on the PostgreSQL copy (see `audiences.ts` for its tables and indexes). */
  postgres: string;
}

/** Cities of the first tier (the demo's four largest). */
const TIER1 = ['上海', '北京', '深圳', '广州'];
const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

export const HOLDOUT_SALT = 'winback-2026-11';

export const audienceCases = (now: number): AudienceCase[] => {
  /** A timestamp literal N days before now, valid on both engines. */
  const ago = (days: number) =>
    `TIMESTAMP '${new Date(now - days * DAY_MS).toISOString().replace('T', ' ').replace('Z', '')}'`;
  const NOW = ago(0);
  const last = (days: number) => ({ type: 'last_days', days }) as const;

  return [
    {
      name: 'dormant distribution sign-ups',
      description:
        'registered more than 90 days ago through the distribution channel, and no login in the last 30 days',
      tree: {
        kind: 'and',
        children: [
          { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
          { kind: 'attribute', attribute: 'register_time', op: 'before', time: { daysAgo: 90 } },
          { kind: 'did_not', event: 'login', window: last(30) },
        ],
      },
      duckdb: `SELECT count(*) AS n FROM profiles p
        ANTI JOIN (SELECT user_id FROM events WHERE event = 'login' AND ts BETWEEN ${ago(30)} AND ${NOW}) l
          ON l.user_id = p.user_id
        WHERE p.acquisition_channel = 'distribution' AND p.register_time < ${ago(90)}`,
      postgres: `SELECT count(*) AS n FROM profiles p
        WHERE p.acquisition_channel = 'distribution' AND p.register_time < ${ago(90)}
          AND NOT EXISTS (SELECT 1 FROM events e WHERE e.user_id = p.user_id AND e.event = 'login'
                          AND e.ts BETWEEN ${ago(30)} AND ${NOW})`,
    },
    {
      name: 'lapsed repeat payers',
      description: 'paid at least 3 times in the last 90 days, but not in the last 14 days',
      tree: {
        kind: 'and',
        children: [
          { kind: 'metric', event: 'pay', fn: 'count', op: 'gte', value: 3, window: last(90) },
          { kind: 'did_not', event: 'pay', window: last(14) },
        ],
      },
      duckdb: `SELECT count(*) AS n FROM (
          SELECT user_id FROM events WHERE event = 'pay' AND ts BETWEEN ${ago(90)} AND ${NOW}
          GROUP BY user_id HAVING count(*) >= 3 AND max(ts) < ${ago(14)})`,
      postgres: `SELECT count(*) AS n FROM (
          SELECT user_id FROM events WHERE event = 'pay' AND ts BETWEEN ${ago(90)} AND ${NOW}
          GROUP BY user_id HAVING count(*) >= 3 AND max(ts) < ${ago(14)}) x`,
    },
    {
      name: 'big spenders in tier-1 cities',
      description: `ordered for at least ¥500 in total over the last 180 days, and lives in ${TIER1.join(', ')}`,
      tree: {
        kind: 'and',
        children: [
          {
            kind: 'metric',
            event: 'order',
            fn: 'sum',
            property: 'amount',
            op: 'gte',
            value: 500,
            window: last(180),
          },
          { kind: 'attribute', attribute: 'city', op: 'in', values: TIER1 },
        ],
      },
      duckdb: `SELECT count(*) AS n FROM profiles p
        JOIN (SELECT user_id FROM events WHERE event = 'order' AND ts BETWEEN ${ago(180)} AND ${NOW}
              GROUP BY user_id HAVING sum(amount) >= 500) o ON o.user_id = p.user_id
        WHERE p.city IN (${list(TIER1)})`,
      postgres: `SELECT count(*) AS n FROM profiles p
        JOIN (SELECT user_id FROM events WHERE event = 'order' AND ts BETWEEN ${ago(180)} AND ${NOW}
              GROUP BY user_id HAVING sum(amount) >= 500) o ON o.user_id = p.user_id
        WHERE p.city IN (${list(TIER1)})`,
    },
    {
      name: 'cart abandoners',
      description:
        'added to cart in the last 30 days, and never ordered within 1 day after adding to cart in that time',
      tree: {
        kind: 'and',
        children: [
          { kind: 'did', event: 'add_to_cart', window: last(30) },
          {
            kind: 'not',
            child: {
              kind: 'sequence',
              steps: [{ event: 'add_to_cart' }, { event: 'order' }],
              within: { value: 1, unit: 'days' },
              window: last(30),
            },
          },
        ],
      },
      // Each cart meets the first order after it (ASOF join); a user qualifies when none of
      // those orders came within a day.
      duckdb: `WITH c AS (SELECT user_id, ts FROM events
                   WHERE event = 'add_to_cart' AND ts BETWEEN ${ago(30)} AND ${NOW}),
             o AS (SELECT user_id, ts FROM events
                   WHERE event = 'order' AND ts BETWEEN ${ago(30)} AND ${NOW})
        SELECT count(*) AS n FROM (
          SELECT c.user_id FROM c ASOF LEFT JOIN o ON c.user_id = o.user_id AND c.ts < o.ts
          GROUP BY c.user_id HAVING bool_and(o.ts IS NULL OR o.ts > c.ts + INTERVAL 1 DAY))`,
      postgres: `SELECT count(*) AS n FROM (
          SELECT c.user_id FROM events c
          WHERE c.event = 'add_to_cart' AND c.ts BETWEEN ${ago(30)} AND ${NOW}
          GROUP BY c.user_id
          HAVING NOT bool_or(EXISTS (SELECT 1 FROM events o WHERE o.user_id = c.user_id AND o.event = 'order'
                  AND o.ts > c.ts AND o.ts <= c.ts + INTERVAL '1 day' AND o.ts <= ${NOW}))) x`,
    },
    {
      name: 'new buyers',
      description: 'placed their first order ever in the last 30 days',
      tree: { kind: 'first_time', event: 'order', op: 'within_last', days: 30 },
      duckdb: `SELECT count(*) AS n FROM (
          SELECT user_id FROM events WHERE event = 'order' AND ts <= ${NOW}
          GROUP BY user_id HAVING min(ts) >= ${ago(30)})`,
      postgres: `SELECT count(*) AS n FROM (
          SELECT user_id FROM events WHERE event = 'order' AND ts <= ${NOW}
          GROUP BY user_id HAVING min(ts) >= ${ago(30)}) x`,
    },
    {
      name: 'quiet wallet holders',
      description: 'wallet balance above ¥1 000, and last logged in more than 45 days ago',
      tree: {
        kind: 'and',
        children: [
          { kind: 'attribute', attribute: 'balance', op: 'gt', value: 1000 },
          { kind: 'last_time', event: 'login', op: 'before', time: { daysAgo: 45 } },
        ],
      },
      duckdb: `SELECT count(*) AS n FROM profiles p
        JOIN (SELECT user_id FROM events WHERE event = 'login' AND ts <= ${NOW}
              GROUP BY user_id HAVING max(ts) < ${ago(45)}) l ON l.user_id = p.user_id
        WHERE p.balance > 1000`,
      postgres: `SELECT count(*) AS n FROM profiles p
        WHERE p.balance > 1000
          AND EXISTS (SELECT 1 FROM events e WHERE e.user_id = p.user_id AND e.event = 'login' AND e.ts <= ${NOW})
          AND NOT EXISTS (SELECT 1 FROM events e WHERE e.user_id = p.user_id AND e.event = 'login'
                          AND e.ts BETWEEN ${ago(45)} AND ${NOW})`,
    },
    {
      name: 'valuable, quiet, reachable',
      description:
        'invested in the last year or ordered at least 3 times ever; not opened the app in 14 days; ' +
        'SMS or push consent; not in 上海 or 北京 (unknown city included)',
      tree: {
        kind: 'and',
        children: [
          {
            kind: 'or',
            children: [
              { kind: 'did', event: 'invest', window: last(365) },
              { kind: 'metric', event: 'order', fn: 'count', op: 'gte', value: 3 },
            ],
          },
          { kind: 'not', child: { kind: 'did', event: 'app_open', window: last(14) } },
          {
            kind: 'or',
            children: [
              { kind: 'attribute', attribute: 'consent_sms', op: 'eq', value: true },
              { kind: 'attribute', attribute: 'consent_push', op: 'eq', value: true },
            ],
          },
          {
            kind: 'not',
            child: { kind: 'attribute', attribute: 'city', op: 'in', values: ['上海', '北京'] },
          },
        ],
      },
      duckdb: `SELECT count(*) AS n FROM profiles p
        JOIN (SELECT user_id FROM events WHERE event IN ('invest', 'order') AND ts <= ${NOW}
              GROUP BY user_id
              HAVING count(*) FILTER (WHERE event = 'invest' AND ts >= ${ago(365)}) > 0
                  OR count(*) FILTER (WHERE event = 'order') >= 3) v ON v.user_id = p.user_id
        ANTI JOIN (SELECT user_id FROM events WHERE event = 'app_open' AND ts BETWEEN ${ago(14)} AND ${NOW}) a
          ON a.user_id = p.user_id
        WHERE (p.consent_sms OR p.consent_push) AND (p.city IN ('上海', '北京')) IS NOT TRUE`,
      postgres: `SELECT count(*) AS n FROM profiles p
        WHERE (p.consent_sms OR p.consent_push)
          AND (p.city IN ('上海', '北京')) IS NOT TRUE
          AND (p.user_id IN (SELECT user_id FROM events WHERE event = 'invest' AND ts BETWEEN ${ago(365)} AND ${NOW})
               OR p.user_id IN (SELECT user_id FROM events WHERE event = 'order' AND ts <= ${NOW}
                                GROUP BY user_id HAVING count(*) >= 3))
          AND NOT EXISTS (SELECT 1 FROM events e WHERE e.user_id = p.user_id AND e.event = 'app_open'
                          AND e.ts BETWEEN ${ago(14)} AND ${NOW})`,
    },
    {
      name: 'promotion browsers who did not buy',
      description:
        'viewed items on promotion pages (JSON property page = promotion) at least 3 times in the last 60 days, ' +
        'and no order in those 60 days',
      tree: {
        kind: 'and',
        children: [
          {
            kind: 'metric',
            event: 'view_item',
            fn: 'count',
            where: [{ property: 'page', op: 'eq', value: 'promotion' }],
            op: 'gte',
            value: 3,
            window: last(60),
          },
          { kind: 'did_not', event: 'order', window: last(60) },
        ],
      },
      duckdb: `SELECT count(*) AS n FROM (
          SELECT user_id FROM events
          WHERE event IN ('view_item', 'order') AND ts BETWEEN ${ago(60)} AND ${NOW}
          GROUP BY user_id
          HAVING count(*) FILTER (WHERE event = 'view_item' AND json_extract_string(properties, '$.page') = 'promotion') >= 3
             AND count(*) FILTER (WHERE event = 'order') = 0)`,
      postgres: `SELECT count(*) AS n FROM (
          SELECT v.user_id FROM events v
          WHERE v.event = 'view_item' AND v.ts BETWEEN ${ago(60)} AND ${NOW} AND v.properties->>'page' = 'promotion'
          GROUP BY v.user_id HAVING count(*) >= 3) x
        WHERE NOT EXISTS (SELECT 1 FROM events o WHERE o.user_id = x.user_id AND o.event = 'order'
                          AND o.ts BETWEEN ${ago(60)} AND ${NOW})`,
    },
    {
      name: 'premium members back then, with money left',
      description:
        'membership was plus or VIP 120 days ago (profile history), and the wallet balance is above zero now',
      tree: {
        kind: 'and',
        children: [
          {
            kind: 'attribute',
            attribute: 'membership',
            op: 'in',
            values: ['plus', 'vip'],
            at: { daysAgo: 120 },
          },
          { kind: 'attribute', attribute: 'balance', op: 'gt', value: 0 },
        ],
      },
      duckdb: `SELECT count(*) AS n FROM profiles p
        JOIN (SELECT user_id, arg_max(value, (valid_from, received_at, message_id)) AS v
              FROM profile_history WHERE attribute = 'membership' AND valid_from <= ${ago(120)}
              GROUP BY user_id) h ON h.user_id = p.user_id
        WHERE json_extract_string(h.v, '$') IN ('plus', 'vip') AND p.balance > 0`,
      postgres: `SELECT count(*) AS n FROM profiles p
        JOIN (SELECT DISTINCT ON (user_id) user_id, value AS v FROM profile_history
              WHERE attribute = 'membership' AND valid_from <= ${ago(120)}
              ORDER BY user_id, valid_from DESC, received_at DESC, message_id DESC) h ON h.user_id = p.user_id
        WHERE h.v #>> '{}' IN ('plus', 'vip') AND p.balance > 0`,
    },
    {
      name: 'lapsed buyers minus a 10 % holdout',
      description:
        `ordered before but not in the last 60 days, outside the random 10 % holdout ` +
        `(bucket 10–99 of salt ${HOLDOUT_SALT})`,
      tree: {
        kind: 'and',
        children: [
          { kind: 'bucket', salt: HOLDOUT_SALT, min: 10, max: 99 },
          { kind: 'did', event: 'order' },
          { kind: 'did_not', event: 'order', window: last(60) },
        ],
      },
      duckdb: `SELECT count(*) AS n FROM (
          SELECT user_id FROM events WHERE event = 'order' AND ts <= ${NOW}
          GROUP BY user_id HAVING max(ts) < ${ago(60)})
        WHERE CAST('0x' || left(md5('${HOLDOUT_SALT}:' || user_id), 8) AS BIGINT) % 100 BETWEEN 10 AND 99`,
      // Materialised so the planner cannot push the md5 down to every order row.
      postgres: `WITH lapsed AS MATERIALIZED (
          SELECT user_id FROM events WHERE event = 'order' AND ts <= ${NOW}
          GROUP BY user_id HAVING max(ts) < ${ago(60)})
        SELECT count(*) AS n FROM lapsed
        WHERE ('x' || left(md5('${HOLDOUT_SALT}:' || user_id), 8))::bit(32)::bigint % 100 BETWEEN 10 AND 99`,
    },
  ];
};
