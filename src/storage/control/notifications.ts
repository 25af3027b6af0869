import type { SqlClient } from './sql-client.ts';

/**
 * The notification API's statements (notifications/notify.ts): one `notifications` row per
 * client idempotency key, and the outbox rows the request planned (their status, their payload).
 */

/** A `notifications` row as stored (`message_keys`: JSON, parsed or text by driver). */
export interface NotificationRow {
  request_key: string;
  request_hash: string;
  campaign_id: string;
  user_id: string;
  status: 'queued' | 'skipped';
  reason: string | null;
  detail: string | null;
  message_keys: unknown;
  created_at: Date;
}

export const readNotification = async (
  db: SqlClient,
  workspaceId: string,
  key: string,
): Promise<NotificationRow | null> =>
  (
    await db.query<NotificationRow>(
      `SELECT request_key, request_hash, campaign_id, user_id, status, reason, detail, message_keys, created_at
       FROM notifications WHERE workspace_id = $1 AND request_key = $2`,
      [workspaceId, key],
    )
  )[0] ?? null;

export interface NewNotification {
  workspaceId: string;
  requestKey: string;
  requestHash: string;
  campaignId: string;
  userId: string;
  status: 'queued' | 'skipped';
  reason: string | null;
  detail: string | null;
  messageKeys: readonly string[];
  createdAt: number;
}

export const insertNotification = async (tx: SqlClient, n: NewNotification): Promise<void> => {
  await tx.query(
    `INSERT INTO notifications (workspace_id, request_key, request_hash, campaign_id, user_id, status, reason, detail,
                                  message_keys, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      n.workspaceId,
      n.requestKey,
      n.requestHash,
      n.campaignId,
      n.userId,
      n.status,
      n.reason,
      n.detail,
      JSON.stringify(n.messageKeys),
      new Date(n.createdAt),
    ],
  );
};

/** The outbox rows of these messages, by key. */
export const notificationMessages = (
  db: SqlClient,
  workspaceId: string,
  keys: readonly string[],
): Promise<{ idempotency_key: string; channel: string; send_at: Date; status: string }[]> =>
  db.query<{ idempotency_key: string; channel: string; send_at: Date; status: string }>(
    `SELECT idempotency_key, channel, send_at, status FROM outbox
           WHERE workspace_id = $1 AND idempotency_key = ANY($2::text[]) ORDER BY idempotency_key`,
    [workspaceId, keys],
  );

/** Gives the planned messages the request's `data` (template scope as `data`), in the planner's transaction. */
export const setOutboxPayload = async (
  tx: SqlClient,
  keys: readonly string[],
  data: unknown,
): Promise<void> => {
  await tx.query('UPDATE outbox SET payload = $1 WHERE idempotency_key = ANY($2::text[])', [
    JSON.stringify(data),
    keys,
  ]);
};
