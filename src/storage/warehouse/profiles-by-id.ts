import type { Warehouse } from './warehouse.ts';

/**
 * Whole profile rows of some users, every column as the warehouse gives it: the composer renders
 * templates over all of them (one query per batch of claimed messages).
 */
export const profilesByIds = (w: Warehouse, ids: readonly string[]): Promise<Record<string, unknown>[]> =>
  w.query<Record<string, unknown>>(
    `SELECT * FROM profiles WHERE user_id IN (SELECT unnest(from_json($1, '["VARCHAR"]')))`,
    [JSON.stringify(ids)],
  );
