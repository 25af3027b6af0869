import { dateOrNull, numberOrZero, textOrNull } from '../row-values.ts';
import type { SqlClient } from './sql-client.ts';

/**
 * What the outbox holds, for people (GET /v1/outbox/…): counts by campaign and channel, the dead
 * letters, and the one statement that puts a dead letter back. The delivery statements are in
 * outbox.ts; these only read, except `requeueDeadRow`.
 */

export interface OutboxCountRow {
  campaignId: string;
  campaignName: string | null;
  channel: string;
  /** Waiting to be claimed, batches not yet expanded included. */
  pending: number;
  /** Claimed by a worker under a lease ('sending'). */
  leased: number;
  /** Accepted by a provider (sent, delivered or failed by receipt). */
  sent: number;
  delivered: number;
  failed: number;
  dead: number;
  unknown: number;
  /** The earliest due time among the pending ones. */
  oldestPendingDue: Date | null;
}

/** Per campaign and channel, outbox rows by status plus the unexpanded batches (all pending). */
export const outboxCountRows = async (db: SqlClient, workspaceId: string): Promise<OutboxCountRow[]> => {
  const rows = await db.query(
    `WITH counts AS (
       SELECT campaign_id, channel,
              count(*) FILTER (WHERE status = 'pending') AS pending,
              count(*) FILTER (WHERE status = 'sending') AS leased,
              count(*) FILTER (WHERE status IN ('sent', 'delivered', 'failed')) AS sent,
              count(*) FILTER (WHERE status = 'delivered') AS delivered,
              count(*) FILTER (WHERE status = 'failed') AS failed,
              count(*) FILTER (WHERE status = 'dead') AS dead,
              count(*) FILTER (WHERE status = 'unknown') AS unknown,
              min(coalesce(next_attempt_at, send_at)) FILTER (WHERE status = 'pending') AS oldest
       FROM outbox WHERE workspace_id = $1 GROUP BY campaign_id, channel
       UNION ALL
       SELECT campaign_id, channel, sum(cardinality(user_ids)), 0, 0, 0, 0, 0, 0, min(send_at)
       FROM outbox_batches WHERE workspace_id = $1 GROUP BY campaign_id, channel
     )
     SELECT k.campaign_id, c.name, k.channel, sum(k.pending) AS pending, sum(k.leased) AS leased,
            sum(k.sent) AS sent, sum(k.delivered) AS delivered, sum(k.failed) AS failed,
            sum(k.dead) AS dead, sum(k.unknown) AS unknown, min(k.oldest) AS oldest
     FROM counts k LEFT JOIN campaigns c ON c.id = k.campaign_id
     GROUP BY k.campaign_id, c.name, k.channel
     ORDER BY k.campaign_id, k.channel`,
    [workspaceId],
  );
  return rows.map((r) => ({
    campaignId: String(r['campaign_id']),
    campaignName: textOrNull(r['name']),
    channel: String(r['channel']),
    pending: numberOrZero(r['pending']),
    leased: numberOrZero(r['leased']),
    sent: numberOrZero(r['sent']),
    delivered: numberOrZero(r['delivered']),
    failed: numberOrZero(r['failed']),
    dead: numberOrZero(r['dead']),
    unknown: numberOrZero(r['unknown']),
    oldestPendingDue: dateOrNull(r['oldest']),
  }));
};

export interface DeadLetterRow {
  /** Opaque handle of the message (a digest of its key), for retrying it. */
  ref: string;
  campaignId: string;
  campaignName: string | null;
  campaignStatus: string | null;
  runId: string;
  step: string;
  userId: string;
  channel: string;
  providerId: string | null;
  providerName: string | null;
  providerPinned: boolean;
  attempts: number;
  reason: string | null;
  lastError: string | null;
  sendAt: Date | null;
  deadAt: Date | null;
}

/**
 * The handle of a message: the first 24 hex digits of SHA-256 of its key. The key names the user
 * (campaign:run:step:user), so the list hands this out instead of the key.
 */
const REF = `substr(encode(sha256(convert_to(o.idempotency_key, 'UTF8')), 'hex'), 1, 24)`;

const DEAD_COLUMNS = `${REF} AS ref, o.idempotency_key, o.campaign_id, c.name AS campaign_name,
  c.status AS campaign_status, o.run_id, o.step, o.user_id, o.channel, o.provider_id, p.name AS provider_name,
  o.provider_pinned, o.attempts, o.dead_reason, o.last_error, o.send_at, o.final_at, p.kind AS provider_kind,
  p.config AS provider_config`;

/** A dead letter as read: with its key and its provider's kind and config (does it drop repeated keys?). */
export interface DeadLetterRead extends DeadLetterRow {
  key: string;
  providerKind: string | null;
  providerConfig: unknown;
}

const deadRow = (r: Record<string, unknown>): DeadLetterRead => ({
  ref: String(r['ref']),
  key: String(r['idempotency_key']),
  providerKind: textOrNull(r['provider_kind']),
  providerConfig: r['provider_config'],
  campaignId: String(r['campaign_id']),
  campaignName: textOrNull(r['campaign_name']),
  campaignStatus: textOrNull(r['campaign_status']),
  runId: String(r['run_id']),
  step: String(r['step']),
  userId: String(r['user_id']),
  channel: String(r['channel']),
  providerId: textOrNull(r['provider_id']),
  providerName: textOrNull(r['provider_name']),
  providerPinned: r['provider_pinned'] === true,
  attempts: numberOrZero(r['attempts']),
  reason: textOrNull(r['dead_reason']),
  lastError: textOrNull(r['last_error']),
  sendAt: dateOrNull(r['send_at']),
  deadAt: dateOrNull(r['final_at']),
});

/** Dead letters of the workspace (of one campaign if given), most recent first. */
export const deadLetterRows = async (
  db: SqlClient,
  p: { workspaceId: string; campaignId: string | null; limit: number },
): Promise<DeadLetterRead[]> =>
  (
    await db.query(
      `SELECT ${DEAD_COLUMNS}
       FROM outbox o LEFT JOIN campaigns c ON c.id = o.campaign_id LEFT JOIN providers p ON p.id = o.provider_id
       WHERE o.workspace_id = $1 AND o.status = 'dead' AND ($2::text IS NULL OR o.campaign_id = $2)
       ORDER BY o.final_at DESC NULLS LAST, o.idempotency_key LIMIT $3`,
      [p.workspaceId, p.campaignId, p.limit],
    )
  ).map(deadRow);

/** One dead letter by its handle. */
export const deadLetterByRef = async (
  db: SqlClient,
  workspaceId: string,
  ref: string,
): Promise<DeadLetterRead | null> => {
  const rows = await db.query(
    `SELECT ${DEAD_COLUMNS}
     FROM outbox o LEFT JOIN campaigns c ON c.id = o.campaign_id LEFT JOIN providers p ON p.id = o.provider_id
     WHERE o.workspace_id = $1 AND o.status = 'dead' AND ${REF} = $2`,
    [workspaceId, ref],
  );
  const r = rows[0];
  return r === undefined ? null : deadRow(r);
};

/**
 * Evidence that a message reached the user after all: a delivery receipt, a click on one of its
 * links, or its in-app inbox entry. Any of these and a retry would send it twice. (A dead row was
 * never 'sent': the worker writes outcomes only to 'sending' rows, so the message log has no
 * `sent` entry to look for.)
 */
export const deliveryEvidence = async (db: SqlClient, key: string): Promise<string[]> =>
  (
    await db.query<{ what: string }>(
      `SELECT 'receipt' AS what FROM early_receipts WHERE idempotency_key = $1 AND status = 'delivered'
       UNION ALL SELECT 'click' FROM link_clicks WHERE idempotency_key = $1
       UNION ALL SELECT 'inbox' FROM inbox_messages WHERE idempotency_key = $1
       LIMIT 3`,
      [key],
    )
  ).map((r) => r.what);

/**
 * A dead letter pending again, due now, with its attempts counted afresh. Only a row still dead
 * is touched (two operators retrying at once: one wins). `keepPin`: the provider that may hold it
 * stays the only one tried, with the same key (it drops a repeat); otherwise failover starts over.
 */
export const requeueDeadRow = async (
  tx: SqlClient,
  p: { workspaceId: string; key: string; now: number; keepPin: boolean; note: string },
): Promise<boolean> =>
  (
    await tx.query(
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $3, dead_reason = NULL,
              final_at = NULL, lease_until = NULL, claim_token = NULL, started_at = NULL,
              provider_id = CASE WHEN $4 THEN provider_id ELSE NULL END,
              provider_pinned = $4 AND provider_pinned,
              last_error = left($5 || coalesce(' (was: ' || last_error || ')', ''), 500)
       WHERE workspace_id = $1 AND idempotency_key = $2 AND status = 'dead'
       RETURNING 1`,
      [p.workspaceId, p.key, new Date(p.now), p.keepPin, p.note],
    )
  ).length === 1;
