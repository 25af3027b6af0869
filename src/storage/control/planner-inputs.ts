import { committedSpendSql } from './planned-spend.ts';
import type { SqlClient } from './sql-client.ts';

/**
 * The control-plane statements of the planner's critical section (src/planner/): its lock, the
 * send history and spend it reads, the reservations and run records it writes.
 */

const PLANNER_LOCK = "SELECT pg_advisory_xact_lock(hashtext('rekindle-planner:' || $1))";

/** The workspace's planner lock, held until `tx` ends: planner runs of a workspace are serialised. */
export const lockPlannerSql = async (tx: SqlClient, workspaceId: string): Promise<void> => {
  await tx.query(PLANNER_LOCK, [workspaceId]);
};

export interface HistoryRow {
  user_id: string;
  campaign_id: string;
  channel: string;
  class: string;
  send_at: Date;
}

/**
 * Messages planned since `since` (outbox rows and not yet expanded batches). `users`: only these
 * users' rows; null: the whole window. A row's instant is when it goes (or went) out: a provider's
 * deferral moves it to `next_attempt_at` (out of quiet hours, often the next morning), and the
 * caps and the marketing gap must count it there — counted at its first `send_at`, a deferred
 * evening message and the next morning's planned one went out in the same second (issue 17).
 */
export const outboxHistoryRows = (
  tx: SqlClient,
  workspaceId: string,
  since: number,
  users: readonly string[] | null,
): Promise<HistoryRow[]> =>
  tx.query<HistoryRow>(
    users
      ? // A few users (a trigger): the outbox by its user index, and only the batches that hold
        // one of them (`&&` on the arrays) unpacked, not every batch of a large slot.
        `SELECT user_id, campaign_id, channel, class, coalesce(next_attempt_at, send_at) AS send_at FROM outbox
         WHERE workspace_id = $1 AND send_at >= $2 AND user_id = ANY($3::text[])
         UNION ALL
         SELECT u.user_id, b.campaign_id, b.channel, b.class, b.send_at
         FROM outbox_batches b CROSS JOIN LATERAL unnest(b.user_ids) AS u(user_id)
         WHERE b.workspace_id = $1 AND b.send_at >= $2 AND b.user_ids && $3::text[] AND u.user_id = ANY($3::text[])`
      : `SELECT user_id, campaign_id, channel, class, coalesce(next_attempt_at, send_at) AS send_at FROM outbox
         WHERE workspace_id = $1 AND send_at >= $2
         UNION ALL
         SELECT u.user_id, b.campaign_id, b.channel, b.class, b.send_at
         FROM outbox_batches b CROSS JOIN LATERAL unnest(b.user_ids) AS u(user_id)
         WHERE b.workspace_id = $1 AND b.send_at >= $2`,
    users ? [workspaceId, new Date(since), users] : [workspaceId, new Date(since)],
  );

/** Cents committed per campaign at `now`: spent, plus held for messages and offers that may still cost. */
export const plannedSpendByCampaign = async (
  tx: SqlClient,
  workspaceId: string,
  campaignIds: readonly string[],
  now: number,
): Promise<Map<string, number>> => {
  const rows = await tx.query<{ campaign_id: string; spent: string | number }>(
    `SELECT c AS campaign_id, ${committedSpendSql('c', '$1', '$3::timestamptz')} AS spent FROM unnest($2::text[]) AS c`,
    [workspaceId, campaignIds, new Date(now)],
  );
  return new Map(rows.map((r) => [r.campaign_id, Number(r.spent)]));
};

/** Counts `n` messages against a channel's quota. */
export const useChannelQuota = async (
  tx: SqlClient,
  workspaceId: string,
  channel: string,
  n: number,
): Promise<void> => {
  await tx.query('UPDATE channel_quotas SET used = used + $3 WHERE workspace_id = $1 AND channel = $2', [
    workspaceId,
    channel,
    n,
  ]);
};

/** One campaign's part of a planner run, as `campaign_runs` records it. */
export interface CampaignRunRecord {
  runId: string;
  campaignId: string;
  /** The slot the run planned (the campaign's owed slot). */
  slotAt: number;
  snapshotId: string;
  plannedAt: number;
  members: number;
  messages: number;
  holdout: number;
  skipped: number;
  spendCents: number;
  skipReasons: Record<string, number>;
}

export const insertCampaignRun = async (tx: SqlClient, r: CampaignRunRecord): Promise<void> => {
  await tx.query(
    `INSERT INTO campaign_runs (id, campaign_id, slot_at, snapshot_id, planned_at, members, messages, holdout, skipped,
                                spend_cents, skip_reasons)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb)`,
    [
      r.runId,
      r.campaignId,
      new Date(r.slotAt),
      r.snapshotId,
      new Date(r.plannedAt),
      r.members,
      r.messages,
      r.holdout,
      r.skipped,
      r.spendCents,
      JSON.stringify(r.skipReasons),
    ],
  );
};

/** The latest step planned for a user on a ladder campaign. */
export interface LatestLadderStep {
  user_id: string;
  run_id: string;
  step: string;
  send_at: Date;
}

/** Each user's latest planned message of a campaign (by send time, then step), ordered by user. */
export const latestStepsByUser = (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
): Promise<LatestLadderStep[]> =>
  db.query<LatestLadderStep>(
    `SELECT DISTINCT ON (user_id) user_id, run_id, step, send_at FROM planned_messages
     WHERE workspace_id = $1 AND campaign_id = $2 ORDER BY user_id, send_at DESC, step DESC`,
    [workspaceId, campaignId],
  );
