import type { Interaction } from '../../core/recommend/pick-best-item.ts';
import type { WarehouseSql } from '../warehouse-sql.ts';
import { inList, jsonList } from './id-list.ts';
import { Warehouse } from './warehouse.ts';

/**
 * The events named `names` of the given users in [from, to] (epoch ms), as the item picker's
 * interactions per user, in the warehouse's order. Read column-wise on DuckDB (no object per
 * row); ClickHouse's seam answers rows, turned into the same columns.
 */
export const interactionsOfUsers = async (
  w: WarehouseSql,
  userIds: readonly string[],
  names: readonly string[],
  from: number,
  to: number,
): Promise<Map<string, Interaction[]>> =>
  readInteractions(
    w instanceof Warehouse
      ? await duckColumns(w, userIds, names, from, to)
      : await rowColumns(w, userIds, names, from, to),
  );

const duckColumns = (
  w: Warehouse,
  userIds: readonly string[],
  names: readonly string[],
  from: number,
  to: number,
): Promise<Record<string, unknown[]>> =>
  w.columns(
    `SELECT user_id, event, product_id, category, epoch_ms(ts) AS at FROM events
     WHERE ts >= $1::TIMESTAMP AND ts <= $2::TIMESTAMP
       AND event IN (${names.map((_, i) => `$${i + 4}`).join(', ')})
       AND user_id IN (SELECT unnest(from_json($3, '["VARCHAR"]')))`,
    [new Date(from).toISOString(), new Date(to).toISOString(), JSON.stringify(userIds), ...names],
  );

const COLUMNS = ['user_id', 'event', 'product_id', 'category', 'at'] as const;

const rowColumns = async (
  w: WarehouseSql,
  userIds: readonly string[],
  names: readonly string[],
  from: number,
  to: number,
): Promise<Record<string, unknown[]>> => {
  const d = w.dialect;
  const rows = await w.query(
    `SELECT user_id, event, product_id, category, ${d.msFromTime('ts')} AS at FROM events
     WHERE ts >= ${d.timeFromMs('$1')} AND ts <= ${d.timeFromMs('$2')}
       AND event IN (${names.map((_, i) => `$${i + 4}`).join(', ')})
       AND user_id IN (${inList('$3', d)})`,
    [from, to, jsonList(userIds), ...names],
  );
  return Object.fromEntries(COLUMNS.map((n) => [n, rows.map((r) => r[n])]));
};

const readInteractions = (c: Record<string, unknown[]>): Map<string, Interaction[]> => {
  const out = new Map<string, Interaction[]>();
  const users = (c['user_id'] ?? []) as string[];
  const events = (c['event'] ?? []) as string[];
  const items = (c['product_id'] ?? []) as (string | null)[];
  const categories = (c['category'] ?? []) as (string | null)[];
  const at = (c['at'] ?? []) as (bigint | number)[];
  for (let i = 0; i < users.length; i++) {
    const u = users[i] as string;
    const list = out.get(u) ?? [];
    list.push({
      event: events[i] as string,
      itemId: items[i] ?? null,
      category: categories[i] ?? null,
      at: Number(at[i]),
    });
    out.set(u, list);
  }
  return out;
};
