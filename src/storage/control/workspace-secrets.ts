import { randomBytes } from 'node:crypto';
import type { SqlClient } from './sql-client.ts';

/** The workspace's secret `name`, created (32 random bytes) the first time it is asked for. */
export const workspaceSecret = async (db: SqlClient, workspaceId: string, name: string): Promise<string> => {
  await db.query(
    `INSERT INTO workspace_secrets (workspace_id, name, secret) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [workspaceId, name, randomBytes(32).toString('base64url')],
  );
  const rows = await db.query<{ secret: string }>(
    'SELECT secret FROM workspace_secrets WHERE workspace_id = $1 AND name = $2',
    [workspaceId, name],
  );
  const s = rows[0]?.secret;
  if (!s) throw new Error(`workspace secret ${name} missing after insert`);
  return s;
};
