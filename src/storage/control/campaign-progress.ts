import { jsonValue, numberOrZero, textOrNull, epochMsOrNull } from '../row-values.ts';
import { committedSpendSql } from './planned-spend.ts';
import type { SqlClient } from './sql-client.ts';

/**
 * What the control plane knows of one campaign's progress (GET /v1/campaigns/:id/progress): its
 * planner runs (snapshot size, holdout, skips by reason), its triggers, its outbox per channel
 * (live: what waits, what went, what failed and why) and what it has committed of its budget.
 * Read only; every statement is parameterised and filtered by workspace and campaign.
 */

export interface RunTotals {
  runs: number;
  messages: number;
  holdout: number;
  skipped: number;
  /** Reason code → users, summed over the runs. */
  skipReasons: Record<string, number>;
  /** The latest run's snapshot: its size and the slot it froze the audience for. */
  lastMembers: number | null;
  lastSlotAt: number | null;
  lastPlannedAt: number | null;
}

export const campaignRunTotals = async (db: SqlClient, campaignId: string): Promise<RunTotals> => {
  const rows = await db.query(
    `SELECT slot_at, planned_at, members, messages, holdout, skipped, skip_reasons
     FROM campaign_runs WHERE campaign_id = $1 ORDER BY slot_at`,
    [campaignId],
  );
  const t: RunTotals = {
    runs: rows.length,
    messages: 0,
    holdout: 0,
    skipped: 0,
    skipReasons: {},
    lastMembers: null,
    lastSlotAt: null,
    lastPlannedAt: null,
  };
  for (const r of rows) {
    t.messages += numberOrZero(r['messages']);
    t.holdout += numberOrZero(r['holdout']);
    t.skipped += numberOrZero(r['skipped']);
    const reasons = jsonValue<Record<string, number> | null>(r['skip_reasons']) ?? {};
    for (const [k, n] of Object.entries(reasons)) t.skipReasons[k] = (t.skipReasons[k] ?? 0) + Number(n);
    t.lastMembers = numberOrZero(r['members']);
    t.lastSlotAt = epochMsOrNull(r['slot_at']);
    t.lastPlannedAt = epochMsOrNull(r['planned_at']);
  }
  return t;
};

/** A triggered campaign's queue by outcome, and its skips by reason. */
export interface TriggerTotals {
  waiting: number;
  sent: number;
  holdout: number;
  skipped: number;
  skipReasons: Record<string, number>;
}

export const campaignTriggerTotals = async (db: SqlClient, campaignId: string): Promise<TriggerTotals> => {
  const rows = await db.query(
    `SELECT status, coalesce(reason, '') AS reason, count(*) AS n FROM trigger_queue
     WHERE campaign_id = $1 GROUP BY 1, 2`,
    [campaignId],
  );
  const t: TriggerTotals = { waiting: 0, sent: 0, holdout: 0, skipped: 0, skipReasons: {} };
  for (const r of rows) {
    const n = numberOrZero(r['n']);
    const status = String(r['status']);
    if (status === 'waiting' || status === 'sent' || status === 'holdout') t[status] += n;
    else {
      t.skipped += n;
      const reason = String(r['reason']);
      t.skipReasons[reason] = (t.skipReasons[reason] ?? 0) + n;
    }
  }
  return t;
};

/** One channel of the campaign's outbox, live. */
export interface OutboxChannelRow {
  channel: string;
  /** Every message planned on the channel (batches not yet expanded included). */
  planned: number;
  /** Waiting to be sent, or being sent now. */
  waiting: number;
  /** A provider took it (sent, delivered or failed by receipt). */
  sent: number;
  delivered: number;
  /** The provider's receipt said it failed. */
  failed: number;
  /** Given up before a provider took it (or cancelled). */
  dead: number;
  /** A send interrupted at a provider that does not de-duplicate: may have reached the user. */
  unknown: number;
}

export const campaignOutboxByChannel = async (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
): Promise<OutboxChannelRow[]> => {
  const rows = await db.query(
    `WITH k AS (
       SELECT channel, count(*) AS planned,
              count(*) FILTER (WHERE status IN ('pending', 'sending')) AS waiting,
              count(*) FILTER (WHERE status IN ('sent', 'delivered', 'failed')) AS sent,
              count(*) FILTER (WHERE status = 'delivered') AS delivered,
              count(*) FILTER (WHERE status = 'failed') AS failed,
              count(*) FILTER (WHERE status = 'dead') AS dead,
              count(*) FILTER (WHERE status = 'unknown') AS unknown
       FROM outbox WHERE workspace_id = $1 AND campaign_id = $2 GROUP BY channel
       UNION ALL
       SELECT channel, sum(cardinality(user_ids)), sum(cardinality(user_ids)), 0, 0, 0, 0, 0
       FROM outbox_batches WHERE workspace_id = $1 AND campaign_id = $2 GROUP BY channel)
     SELECT channel, sum(planned) AS planned, sum(waiting) AS waiting, sum(sent) AS sent,
            sum(delivered) AS delivered, sum(failed) AS failed, sum(dead) AS dead, sum(unknown) AS unknown
     FROM k GROUP BY channel ORDER BY channel`,
    [workspaceId, campaignId],
  );
  return rows.map((r) => ({
    channel: String(r['channel']),
    planned: numberOrZero(r['planned']),
    waiting: numberOrZero(r['waiting']),
    sent: numberOrZero(r['sent']),
    delivered: numberOrZero(r['delivered']),
    failed: numberOrZero(r['failed']),
    dead: numberOrZero(r['dead']),
    unknown: numberOrZero(r['unknown']),
  }));
};

/** Failures of one channel by cause: a dead letter's reason, or a failed receipt's vendor code. */
export interface FailureGroup {
  channel: string;
  kind: 'dead' | 'unknown' | 'receipt';
  /** The dead reason or the receipt code; null when none was recorded. */
  code: string | null;
  count: number;
}

export const campaignFailures = async (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
  withReceipts: boolean,
): Promise<FailureGroup[]> => {
  const dead = await db.query(
    `SELECT channel, status, dead_reason, count(*) AS n FROM outbox
     WHERE workspace_id = $1 AND campaign_id = $2 AND status IN ('dead', 'unknown')
     GROUP BY 1, 2, 3 ORDER BY 4 DESC`,
    [workspaceId, campaignId],
  );
  const groups: FailureGroup[] = dead.map((r) => ({
    channel: String(r['channel']),
    kind: r['status'] === 'unknown' ? 'unknown' : 'dead',
    code: textOrNull(r['dead_reason']),
    count: numberOrZero(r['n']),
  }));
  // The receipt's code is only in the message log; read it only when the outbox says a receipt failed.
  if (withReceipts) {
    const receipts = await db.query(
      `SELECT channel, properties->>'code' AS code, count(DISTINCT idempotency_key) AS n FROM message_log
       WHERE workspace_id = $1 AND campaign_id = $2 AND kind = 'failed' GROUP BY 1, 2 ORDER BY 3 DESC`,
      [workspaceId, campaignId],
    );
    for (const r of receipts)
      groups.push({
        channel: String(r['channel']),
        kind: 'receipt',
        code: textOrNull(r['code']),
        count: numberOrZero(r['n']),
      });
  }
  return groups;
};

/** What the campaign holds of its budget now (planned-spend.ts: spent plus what may yet cost). */
export const campaignCommittedCents = async (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
  now: number,
): Promise<number> => {
  const rows = await db.query(`SELECT ${committedSpendSql('$1', '$2', '$3::timestamptz')} AS committed`, [
    campaignId,
    workspaceId,
    new Date(now).toISOString(),
  ]);
  return numberOrZero(rows[0]?.['committed']);
};
