import type { SqlClient } from './sql-client.ts';

/**
 * The definitions of every campaign that has a goal, whatever its status (a finished campaign's
 * messages still convert), by id; the conversion attribution reads its goals from them.
 */
export const campaignsWithGoal = (db: SqlClient): Promise<{ id: string; definition: unknown }[]> =>
  db.query<{ id: string; definition: unknown }>(
    `SELECT id, definition FROM campaigns WHERE definition -> 'goal' IS NOT NULL ORDER BY id`,
  );
