import type { WarehouseSql } from '../warehouse-sql.ts';
import { inList } from './id-list.ts';

/** The warehouse reads of the trigger matcher (features.md D2). */

export interface ArrivedEvent {
  message_id: string;
  user_id: string;
  event: string;
  ts: Date;
  received_at: Date;
  order_id: string | null;
  properties: string | null;
}

/** Events named `names` that arrived between `from` and `to` (epoch ms, both included). */
export const eventsArrivedBetween = (
  w: WarehouseSql,
  from: number,
  to: number,
  names: readonly string[],
): Promise<ArrivedEvent[]> =>
  w.dialect.name === 'clickhouse'
    ? // ClickHouse compares times with times (epoch ms bound as integers), never with text.
      w.query<ArrivedEvent>(
        `SELECT message_id, user_id, event, ts, received_at, order_id, properties FROM events
          WHERE received_at >= ${w.dialect.timeFromMs('$1')} AND received_at <= ${w.dialect.timeFromMs('$2')}
            AND event IN (${names.map((_, i) => `$${i + 3}`).join(', ')})`,
        [from, to, ...names],
      )
    : w.query<ArrivedEvent>(
        `SELECT message_id, user_id, event, ts, received_at, order_id, properties FROM events
       WHERE received_at >= $1::TIMESTAMP AND received_at <= $2::TIMESTAMP AND event IN (${names.map((_, i) => `$${i + 3}`).join(', ')})`,
        [new Date(from).toISOString(), new Date(to).toISOString(), ...names],
      );

/** The `event` events of these users up to `until` (epoch ms): a trigger's "unless" condition. */
export const userEventsUntil = (
  w: WarehouseSql,
  event: string,
  until: number,
  userIds: readonly string[],
): Promise<{ user_id: string; ts: Date; order_id: string | null }[]> =>
  w.dialect.name === 'clickhouse'
    ? w.query<{ user_id: string; ts: Date; order_id: string | null }>(
        `SELECT user_id, ts, order_id FROM events WHERE event = $1 AND ts <= ${w.dialect.timeFromMs('$2')}
           AND user_id IN (${inList('$3', w.dialect)})`,
        [event, until, JSON.stringify(userIds)],
      )
    : w.query<{ user_id: string; ts: Date; order_id: string | null }>(
        `SELECT user_id, ts, order_id FROM events WHERE event = $1 AND ts <= $2::TIMESTAMP
           AND user_id IN (SELECT unnest(from_json($3, '["VARCHAR"]')))`,
        [event, new Date(until).toISOString(), JSON.stringify(userIds)],
      );
