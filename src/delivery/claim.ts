import type { Channel, MessageClass } from '../core/channels/channels.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

/** An outbox row as a worker holds it while sending. */
export interface ClaimedRow {
  idempotencyKey: string;
  workspaceId: string;
  campaignId: string;
  runId: string;
  step: string;
  userId: string;
  channel: Channel;
  class: MessageClass;
  variant: string | null;
  sendAt: number;
  costCents: number;
  attempts: number;
  providerId: string | null;
  pinned: boolean;
  payload: Record<string, unknown> | null;
  /** The lease this worker holds (epoch ms); recording checks it is still ours. */
  leaseUntil: number;
}

interface RawClaimed {
  idempotency_key: string;
  workspace_id: string;
  campaign_id: string;
  run_id: string;
  step: string;
  user_id: string;
  channel: Channel;
  class: MessageClass;
  variant: string | null;
  send_at: Date | string;
  cost_cents: number;
  attempts: number;
  provider_id: string | null;
  provider_pinned: boolean;
  payload: Record<string, unknown> | string | null;
}

const RETURNING = `o.idempotency_key, o.workspace_id, o.campaign_id, o.run_id, o.step, o.user_id, o.channel,
  o.class, o.variant, o.send_at, o.cost_cents, o.attempts, o.provider_id, o.provider_pinned, o.payload`;

/**
 * Claims up to `limit` messages due at `now`: first those whose worker died holding them (lease
 * expired), then pending ones in due order. They become 'sending' under a lease until
 * `leaseUntil`; a worker that dies lets them go when it expires. A paused campaign's messages
 * wait in the outbox until it resumes (cancelling dead-letters them: `cancelPendingMessages`). On PostgreSQL `SKIP LOCKED`
 * lets several workers (and processes) claim side by side without waiting on each other.
 */
export const claimDue = async (
  db: SqlClient,
  now: number,
  leaseUntil: number,
  limit: number,
): Promise<ClaimedRow[]> => {
  const skip = db.kind === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  const nowTs = new Date(now);
  const leaseTs = new Date(leaseUntil);
  const raw = await db.transaction(async (tx) => {
    const expired = await tx.query<RawClaimed>(
      `UPDATE outbox o SET lease_until = $2
       FROM (SELECT idempotency_key FROM outbox WHERE status = 'sending' AND lease_until < $1
             LIMIT $3${skip}) c
       WHERE o.idempotency_key = c.idempotency_key
       RETURNING ${RETURNING}`,
      [nowTs, leaseTs, limit],
    );
    if (expired.length >= limit) return expired;
    const due = await tx.query<RawClaimed>(
      `UPDATE outbox o SET status = 'sending', lease_until = $2
       FROM (SELECT idempotency_key FROM outbox
             WHERE status = 'pending' AND coalesce(next_attempt_at, send_at) <= $1
               AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = outbox.campaign_id AND c.status = 'paused')
             ORDER BY coalesce(next_attempt_at, send_at) LIMIT $3${skip}) c
       WHERE o.idempotency_key = c.idempotency_key
       RETURNING ${RETURNING}`,
      [nowTs, leaseTs, limit - expired.length],
    );
    return expired.concat(due);
  });
  return raw.map((r) => ({
    idempotencyKey: r.idempotency_key,
    workspaceId: r.workspace_id,
    campaignId: r.campaign_id,
    runId: r.run_id,
    step: r.step,
    userId: r.user_id,
    channel: r.channel,
    class: r.class,
    variant: r.variant,
    sendAt: new Date(r.send_at).getTime(),
    costCents: Number(r.cost_cents),
    attempts: Number(r.attempts),
    providerId: r.provider_id,
    pinned: r.provider_pinned,
    payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as Record<string, unknown>) : r.payload,
    leaseUntil,
  }));
};
