import { dateOrNull, textOrNull } from '../row-values.ts';
import type { SqlClient } from './sql-client.ts';

/**
 * What the control plane knows about one user in one campaign, for "why wasn't this user
 * reached": the campaign's committed runs (with their snapshots), the user's planned messages
 * (outbox rows and unexpanded batches) and, for a triggered campaign, the user's triggers.
 */

export interface RunRow {
  runId: string;
  slotAt: Date | null;
  snapshotId: string | null;
  membersPurged: boolean;
}

export const campaignRunRows = async (db: SqlClient, campaignId: string): Promise<RunRow[]> =>
  (
    await db.query(
      `SELECT r.id, r.slot_at, r.snapshot_id, s.members_purged_at
       FROM campaign_runs r LEFT JOIN audience_snapshots s ON s.id = r.snapshot_id
       WHERE r.campaign_id = $1 ORDER BY r.slot_at`,
      [campaignId],
    )
  ).map((r) => ({
    runId: String(r['id']),
    slotAt: dateOrNull(r['slot_at']),
    snapshotId: textOrNull(r['snapshot_id']),
    membersPurged: r['members_purged_at'] !== null && r['members_purged_at'] !== undefined,
  }));

export interface UserMessageRow {
  runId: string;
  step: string;
  channel: string;
  variant: string | null;
  sendAt: Date | null;
  status: string;
  deadReason: string | null;
  sentAt: Date | null;
}

export const userMessageRows = async (
  db: SqlClient,
  p: { workspaceId: string; campaignId: string; userId: string },
): Promise<UserMessageRow[]> =>
  (
    await db.query(
      `SELECT run_id, step, channel, variant, send_at, status, dead_reason, sent_at FROM outbox
       WHERE workspace_id = $1 AND user_id = $3 AND campaign_id = $2
       UNION ALL
       SELECT run_id, step, channel, variant, send_at, 'pending', NULL, NULL FROM outbox_batches
       WHERE workspace_id = $1 AND campaign_id = $2 AND $3 = ANY(user_ids)
       ORDER BY send_at, step`,
      [p.workspaceId, p.campaignId, p.userId],
    )
  ).map((r) => ({
    runId: String(r['run_id']),
    step: String(r['step']),
    channel: String(r['channel']),
    variant: textOrNull(r['variant']),
    sendAt: dateOrNull(r['send_at']),
    status: String(r['status']),
    deadReason: textOrNull(r['dead_reason']),
    sentAt: dateOrNull(r['sent_at']),
  }));

export interface UserTriggerRow {
  eventAt: Date | null;
  dueAt: Date | null;
  status: string;
  reason: string | null;
  plannedAt: Date | null;
}

export const userTriggerRows = async (
  db: SqlClient,
  p: { workspaceId: string; campaignId: string; userId: string },
): Promise<UserTriggerRow[]> =>
  (
    await db.query(
      `SELECT event_ts, due_at, status, reason, planned_at FROM trigger_queue
       WHERE campaign_id = $2 AND workspace_id = $1 AND user_id = $3 ORDER BY due_at LIMIT 100`,
      [p.workspaceId, p.campaignId, p.userId],
    )
  ).map((r) => ({
    eventAt: dateOrNull(r['event_ts']),
    dueAt: dateOrNull(r['due_at']),
    status: String(r['status']),
    reason: textOrNull(r['reason']),
    plannedAt: dateOrNull(r['planned_at']),
  }));
