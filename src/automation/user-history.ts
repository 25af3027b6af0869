import {
  DEFAULT_EVENT_WEIGHTS,
  PURCHASE_EVENTS,
  type Interaction,
} from '../core/recommend/pick-best-item.ts';
import { interactionsOfUsers } from '../storage/warehouse/user-interactions.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/** The picker's events (purchases, carts, favourites, views) of the given users in [from, to]. */
export const readInteractions = async (
  warehouse: WarehouseSql,
  userIds: readonly string[],
  from: number,
  to: number,
): Promise<Map<string, Interaction[]>> => {
  if (userIds.length === 0) return new Map();
  const names = [...new Set([...Object.keys(DEFAULT_EVENT_WEIGHTS), ...PURCHASE_EVENTS])];
  return interactionsOfUsers(warehouse, userIds, names, from, to);
};
