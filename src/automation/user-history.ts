import {
  DEFAULT_EVENT_WEIGHTS,
  PURCHASE_EVENTS,
  type Interaction,
} from '../core/recommend/pick-best-item.ts';
import type { Warehouse } from '../storage/warehouse/warehouse.ts';

/** The picker's events (purchases, carts, favourites, views) of the given users in [from, to]. */
export const readInteractions = async (
  warehouse: Warehouse,
  userIds: readonly string[],
  from: number,
  to: number,
): Promise<Map<string, Interaction[]>> => {
  const out = new Map<string, Interaction[]>();
  if (userIds.length === 0) return out;
  const names = [...new Set([...Object.keys(DEFAULT_EVENT_WEIGHTS), ...PURCHASE_EVENTS])];
  const c = await warehouse.columns(
    `SELECT user_id, event, product_id, category, epoch_ms(ts) AS at FROM events
     WHERE ts >= $1::TIMESTAMP AND ts <= $2::TIMESTAMP
       AND event IN (${names.map((_, i) => `$${i + 4}`).join(', ')})
       AND user_id IN (SELECT unnest(from_json($3, '["VARCHAR"]')))`,
    [new Date(from).toISOString(), new Date(to).toISOString(), JSON.stringify(userIds), ...names],
  );
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
