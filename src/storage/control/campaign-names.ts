import type { SqlClient } from './sql-client.ts';

/** Every campaign of the workspace (id and name), by id. */
export const campaignNames = (db: SqlClient, workspaceId: string): Promise<{ id: string; name: string }[]> =>
  db.query<{ id: string; name: string }>(
    'SELECT id, name FROM campaigns WHERE workspace_id = $1 ORDER BY id',
    [workspaceId],
  );
