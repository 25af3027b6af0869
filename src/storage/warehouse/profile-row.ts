import type { Warehouse } from './warehouse.ts';

/**
 * One user's whole profile row, every column as the warehouse gives it (a campaign preview
 * renders its templates over all of them), or undefined for an unknown user.
 */
export const profileRow = async (
  w: Warehouse,
  userId: string,
): Promise<Record<string, unknown> | undefined> =>
  (await w.query<Record<string, unknown>>('SELECT * FROM profiles WHERE user_id = $1', [userId]))[0];
