import type { SqlClient } from './sql-client.ts';

/** A row of `call_tasks`: the call centre's list of calls to make (delivery/providers/adapters/call-list.ts). */
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

/** A message's call task, once per key: a retry of the same key finds the row already there. */
export const insertCallTask = async (
  db: SqlClient,
  t: Omit<CallTask, 'status'> & { workspaceId: string; callerNumber?: string | null },
): Promise<void> => {
  await db.query(
    `INSERT INTO call_tasks (idempotency_key, workspace_id, provider_id, campaign_id, user_id, phone, script, created_at, caller_number)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (idempotency_key) DO NOTHING`,
    [
      t.idempotencyKey,
      t.workspaceId,
      t.providerId,
      t.campaignId,
      t.userId,
      t.phone,
      t.script,
      new Date(t.createdAt),
      t.callerNumber ?? null,
    ],
  );
};

/** The task's status (`open`, `pushed`), if it exists. */
export const callTaskStatus = async (db: SqlClient, idempotencyKey: string): Promise<string | undefined> =>
  (
    await db.query<{ status: string }>('SELECT status FROM call_tasks WHERE idempotency_key = $1', [
      idempotencyKey,
    ])
  )[0]?.status;

/** The task reached the smart-call vendor's webhook at `at`. */
export const markCallTaskPushed = async (
  db: SqlClient,
  idempotencyKey: string,
  at: number,
): Promise<void> => {
  await db.query(`UPDATE call_tasks SET status = 'pushed', pushed_at = $2 WHERE idempotency_key = $1`, [
    idempotencyKey,
    new Date(at),
  ]);
};
