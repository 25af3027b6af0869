import type { Channel } from '../../core/channels/channels.ts';
import type { ChannelHistory } from '../../core/strategies/ladder-pricing.ts';
import { DAY_MS } from '../../core/time/units.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';
import { inList } from './id-list.ts';
import { chTrait, readColumns } from './planner-sql.ts';

/**
 * Warehouse reads behind a ladder's own pricing and the region reachability of channels (issue
 * 17): each channel's delivered messages and responses over a recent window, and the region a
 * profile carries (its city column, or a `province` / `region` trait).
 */

/**
 * Per channel, over the `days` before `at`: messages delivered (sent and never failed) and those
 * of them that got a response (a click, or a conversion attributed to the message).
 */
export const channelResponseHistory = async (
  warehouse: WarehouseSql,
  at: number,
  days: number,
): Promise<Map<Channel, ChannelHistory>> => {
  const d = warehouse.dialect;
  const from = new Date(at - days * DAY_MS).toISOString();
  const to = new Date(at).toISOString();
  const c =
    d.name === 'duckdb'
      ? await readColumns(
          warehouse,
          `WITH m AS (
       SELECT message_id, any_value(channel) AS channel,
         bool_or(status IN ('sent', 'delivered')) AS out, bool_or(status IN ('failed', 'dead')) AS failed,
         bool_or(status = 'clicked') AS clicked
       FROM message_facts WHERE ts >= $1::TIMESTAMP AND ts < $2::TIMESTAMP GROUP BY message_id),
     cv AS (SELECT DISTINCT idempotency_key FROM conversions WHERE message_ts >= $1::TIMESTAMP AND message_ts < $2::TIMESTAMP)
     SELECT m.channel, count(*) AS delivered,
       count(*) FILTER (WHERE m.clicked OR cv.idempotency_key IS NOT NULL) AS responses
     FROM m LEFT JOIN cv ON cv.idempotency_key = m.message_id
     WHERE m.out AND NOT m.failed GROUP BY m.channel`,
          [from, to],
        )
      : // ClickHouse: max of a condition for bool_or; a message without a conversion has a NULL
        // key only with join_use_nulls (else '', which the IS NOT NULL would count).
        await readColumns(
          warehouse,
          `WITH m AS (
             SELECT message_id, any(channel) AS channel,
               max(status IN ('sent', 'delivered')) AS was_out, max(status IN ('failed', 'dead')) AS was_failed,
               max(status = 'clicked') AS was_clicked
             FROM message_facts WHERE ts >= ${d.timeFromMs('$1')} AND ts < ${d.timeFromMs('$2')} GROUP BY message_id),
           cv AS (SELECT DISTINCT idempotency_key FROM conversions
                  WHERE message_ts >= ${d.timeFromMs('$1')} AND message_ts < ${d.timeFromMs('$2')})
           SELECT m.channel AS channel, count() AS delivered,
             countIf(m.was_clicked OR cv.idempotency_key IS NOT NULL) AS responses
           FROM m LEFT JOIN cv ON cv.idempotency_key = m.message_id
           WHERE m.was_out AND NOT m.was_failed GROUP BY m.channel
           SETTINGS join_use_nulls = 1`,
          [at - days * DAY_MS, at],
        );
  const channels = (c['channel'] ?? []) as string[];
  const delivered = (c['delivered'] ?? []) as (bigint | number)[];
  const responses = (c['responses'] ?? []) as (bigint | number)[];
  return new Map(
    channels.map((ch, i) => [
      ch as Channel,
      { delivered: Number(delivered[i] ?? 0), responses: Number(responses[i] ?? 0) },
    ]),
  );
};

/**
 * The users whose profile's city, `province` trait or `region` trait is one of `regions`, with
 * the values they carry. Only those users come back: a region list names a few places.
 */
export const usersInRegions = async (
  warehouse: WarehouseSql,
  regions: readonly string[],
): Promise<Map<string, string[]>> => {
  if (regions.length === 0) return new Map();
  const d = warehouse.dialect;
  const c = await readColumns(
    warehouse,
    d.name !== 'duckdb'
      ? `SELECT user_id, city, province, region FROM (
           SELECT user_id, city, ${chTrait('traits', 'province')} AS province, ${chTrait('traits', 'region')} AS region
           FROM profiles) AS p
         WHERE p.city IN (${inList('$1', d)}) OR p.province IN (${inList('$1', d)}) OR p.region IN (${inList('$1', d)})`
      : `WITH r AS (SELECT unnest(from_json($1, '["VARCHAR"]')) AS region),
          p AS (SELECT user_id, city, json_extract_string(traits, '$.province') AS province,
                       json_extract_string(traits, '$.region') AS region FROM profiles)
     SELECT p.user_id, p.city, p.province, p.region FROM p
     WHERE p.city IN (SELECT region FROM r) OR p.province IN (SELECT region FROM r) OR p.region IN (SELECT region FROM r)`,
    [JSON.stringify(regions)],
  );
  const ids = (c['user_id'] ?? []) as string[];
  const col = (name: string) => (c[name] ?? []) as (string | null)[];
  const [city, province, region] = [col('city'), col('province'), col('region')];
  return new Map(
    ids.map((id, i) => [
      id,
      [city[i], province[i], region[i]].filter((p): p is string => typeof p === 'string' && p !== ''),
    ]),
  );
};
