import { epochMs, epochMsOrNull } from '../row-values.ts';
import type { SqlClient } from './sql-client.ts';

/** The in-app inbox (features.md F2 in_app): messages an app shows at its next open, with read state. */

export interface InboxMessage {
  id: number;
  campaignId: string;
  title: string;
  body: string;
  imageUrl: string | null;
  landingUrl: string | null;
  createdAt: number;
  readAt: number | null;
}

export interface NewInboxMessage {
  workspaceId: string;
  userId: string;
  idempotencyKey: string;
  campaignId: string;
  title: string;
  body: string;
  imageUrl: string | null;
  landingUrl: string | null;
  at: number;
}

/** Stores the message once per idempotency key; returns its id (the existing one on a retry). */
export const putInboxMessage = async (db: SqlClient, m: NewInboxMessage): Promise<number> => {
  await db.query(
    `INSERT INTO inbox_messages (workspace_id, user_id, idempotency_key, campaign_id, title, body, image_url, landing_url, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (idempotency_key) DO NOTHING`,
    [
      m.workspaceId,
      m.userId,
      m.idempotencyKey,
      m.campaignId,
      m.title,
      m.body,
      m.imageUrl,
      m.landingUrl,
      new Date(m.at),
    ],
  );
  const rows = await db.query<{ id: string | number }>(
    'SELECT id FROM inbox_messages WHERE idempotency_key = $1',
    [m.idempotencyKey],
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error('inbox message missing after insert');
  return Number(id);
};

interface Row {
  id: string | number;
  campaign_id: string;
  title: string;
  body: string;
  image_url: string | null;
  landing_url: string | null;
  created_at: Date | string;
  read_at: Date | string | null;
}

/** The user's newest messages (at most `limit`, optionally only before id `before`) and the unread count. */
export const readInbox = async (
  db: SqlClient,
  workspaceId: string,
  userId: string,
  options: { limit: number; before?: number | undefined },
): Promise<{ messages: InboxMessage[]; unread: number }> => {
  const rows = await db.query<Row>(
    `SELECT id, campaign_id, title, body, image_url, landing_url, created_at, read_at FROM inbox_messages
     WHERE workspace_id = $1 AND user_id = $2 AND ($3::bigint IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4`,
    [workspaceId, userId, options.before ?? null, options.limit],
  );
  const unread = await db.query<{ n: string | number }>(
    'SELECT count(*) AS n FROM inbox_messages WHERE workspace_id = $1 AND user_id = $2 AND read_at IS NULL',
    [workspaceId, userId],
  );
  return {
    messages: rows.map((r) => ({
      id: Number(r.id),
      campaignId: r.campaign_id,
      title: r.title,
      body: r.body,
      imageUrl: r.image_url,
      landingUrl: r.landing_url,
      createdAt: epochMs(r.created_at),
      readAt: epochMsOrNull(r.read_at),
    })),
    unread: Number(unread[0]?.n ?? 0),
  };
};

/** Marks one of the user's messages read (idempotent); false when it is not theirs or does not exist. */
export const markInboxRead = async (
  db: SqlClient,
  workspaceId: string,
  userId: string,
  id: number,
  at: number,
): Promise<boolean> => {
  const rows = await db.query(
    `UPDATE inbox_messages SET read_at = COALESCE(read_at, $4) WHERE workspace_id = $1 AND user_id = $2 AND id = $3 RETURNING id`,
    [workspaceId, userId, id, new Date(at)],
  );
  return rows.length > 0;
};
