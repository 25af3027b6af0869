import type { Interaction } from '../../core/recommend/pick-best-item.ts';
import type { Warehouse } from './warehouse.ts';

/**
 * The events named `names` of the given users in [from, to] (epoch ms), as the item picker's
 * interactions per user, in the warehouse's order. Read column-wise: no object per row.
 */
export const interactionsOfUsers = async (
  w: Warehouse,
  userIds: readonly string[],
  names: readonly string[],
  from: number,
  to: number,
): Promise<Map<string, Interaction[]>> => {
  const out = new Map<string, Interaction[]>();
  const c = await w.columns(
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
