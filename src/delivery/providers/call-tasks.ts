import { csvLine } from '../../core/export/csv.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';

export interface CallTask {
  idempotencyKey: string;
  providerId: string;
  campaignId: string;
  userId: string;
  phone: string;
  script: string;
  status: string;
  createdAt: number;
}

/** The workspace's call tasks, oldest first (a call centre works the list in order). */
export const listCallTasks = async (
  db: SqlClient,
  workspaceId: string,
  filter: { status?: 'open' | 'pushed' | undefined; limit: number },
): Promise<CallTask[]> =>
  (
    await db.query<{
      idempotency_key: string;
      provider_id: string;
      campaign_id: string;
      user_id: string;
      phone: string;
      script: string;
      status: string;
      created_at: Date | string;
    }>(
      `SELECT idempotency_key, provider_id, campaign_id, user_id, phone, script, status, created_at FROM call_tasks
       WHERE workspace_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY created_at, idempotency_key LIMIT $3`,
      [workspaceId, filter.status ?? null, filter.limit],
    )
  ).map((r) => ({
    idempotencyKey: r.idempotency_key,
    providerId: r.provider_id,
    campaignId: r.campaign_id,
    userId: r.user_id,
    phone: r.phone,
    script: r.script,
    status: r.status,
    createdAt: new Date(r.created_at).getTime(),
  }));

const HEADER = ['idempotency_key', 'campaign_id', 'user_id', 'phone', 'script', 'status', 'created_at'];

/** CSV with formula defusing (scripts are rendered from templates that may quote user data). */
export const callTasksCsv = (tasks: readonly CallTask[]): string =>
  csvLine(HEADER) +
  tasks
    .map((t) =>
      csvLine([
        t.idempotencyKey,
        t.campaignId,
        t.userId,
        t.phone,
        t.script,
        t.status,
        new Date(t.createdAt).toISOString(),
      ]),
    )
    .join('');
