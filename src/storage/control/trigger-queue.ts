import type { SqlClient } from './sql-client.ts';

/**
 * The triggered campaigns' control-plane state (features.md D2): the per-workspace arrival cursor
 * the matcher reads behind, and `trigger_queue`, one row per campaign and matched event with its
 * due time and, once planned, its outcome.
 */

/** The workspace's arrival cursor (epoch ms), or null before the first look. */
export const triggerCursor = async (db: SqlClient, workspaceId: string): Promise<number | null> => {
  const rows = await db.query<{ received_at: Date }>(
    'SELECT received_at FROM trigger_cursors WHERE workspace_id = $1',
    [workspaceId],
  );
  return rows[0] ? new Date(rows[0].received_at).getTime() : null;
};

/** Moves the workspace's arrival cursor forward to `at` (never back). */
export const advanceTriggerCursor = async (db: SqlClient, workspaceId: string, at: number): Promise<void> => {
  await db.query(
    `INSERT INTO trigger_cursors (workspace_id, received_at) VALUES ($1, $2)
     ON CONFLICT (workspace_id) DO UPDATE SET received_at = greatest(trigger_cursors.received_at, excluded.received_at)`,
    [workspaceId, new Date(at)],
  );
};

/** One matched event to queue for a campaign. */
export interface TriggerMatch {
  campaignId: string;
  messageId: string;
  userId: string;
  eventTs: Date;
  receivedAt: Date;
  dueAt: Date;
  orderId: string | null;
}

/** Queues matches; a campaign and event already queued is left alone. Returns how many rows were queued. */
export const enqueueTriggerMatches = async (
  db: SqlClient,
  workspaceId: string,
  matches: readonly TriggerMatch[],
): Promise<number> => {
  const inserted = await db.query(
    `INSERT INTO trigger_queue (campaign_id, message_id, workspace_id, user_id, event_ts, received_at, due_at, order_id)
     SELECT c, m, $1, u, ts, r, d, o FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
                                                $7::timestamptz[], $8::text[]) AS x(c, m, u, ts, r, d, o)
     ON CONFLICT (campaign_id, message_id) DO NOTHING RETURNING 1`,
    [
      workspaceId,
      matches.map((m) => m.campaignId),
      matches.map((m) => m.messageId),
      matches.map((m) => m.userId),
      matches.map((m) => m.eventTs),
      matches.map((m) => m.receivedAt),
      matches.map((m) => m.dueAt),
      matches.map((m) => m.orderId),
    ],
  );
  return inserted.length;
};

export interface DueTriggerRow {
  campaign_id: string;
  message_id: string;
  user_id: string;
  event_ts: Date;
  order_id: string | null;
}

/** Up to `limit` waiting rows due by `now`, oldest first. */
export const dueTriggers = (
  db: SqlClient,
  workspaceId: string,
  now: number,
  limit: number,
): Promise<DueTriggerRow[]> =>
  db.query<DueTriggerRow>(
    `SELECT campaign_id, message_id, user_id, event_ts, order_id FROM trigger_queue
     WHERE workspace_id = $1 AND status = 'waiting' AND due_at <= $2 ORDER BY due_at, campaign_id, message_id LIMIT ${Math.trunc(limit)}`,
    [workspaceId, new Date(now)],
  );

/** How one queued row ended. */
export interface TriggerOutcome {
  campaignId: string;
  messageId: string;
  status: 'sent' | 'holdout' | 'skipped';
  reason: string | null;
}

/** Records the outcomes of waiting rows (rows no longer waiting are left alone). */
export const recordTriggerOutcomes = async (
  tx: SqlClient,
  workspaceId: string,
  plannedAt: number,
  outcomes: readonly TriggerOutcome[],
): Promise<void> => {
  await tx.query(
    `UPDATE trigger_queue q SET status = x.s, reason = x.why, planned_at = $2
     FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS x(c, m, s, why)
     WHERE q.workspace_id = $1 AND q.campaign_id = x.c AND q.message_id = x.m AND q.status = 'waiting'`,
    [
      workspaceId,
      new Date(plannedAt),
      outcomes.map((o) => o.campaignId),
      outcomes.map((o) => o.messageId),
      outcomes.map((o) => o.status),
      outcomes.map((o) => o.reason),
    ],
  );
};
