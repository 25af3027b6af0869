import type { SqlClient } from './sql-client.ts';

/** The names of the enabled e-mail providers of every workspace (for the start-up warning about HTTP links). */
export const enabledEmailProviderNames = async (control: SqlClient): Promise<string[]> =>
  (
    await control.query<{ name: string }>(
      `SELECT name FROM providers WHERE channel = 'email' AND enabled ORDER BY workspace_id, priority, name`,
    )
  ).map((r) => r.name);
