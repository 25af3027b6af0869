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
  /** The claim that holds the row; starting, renewing and recording check it is still ours. */
  claimToken: string;
  /**
   * When a provider call for it began without an outcome being recorded (a worker died
   * mid-send): it may only go again to `providerId`, and only if that provider de-duplicates.
   */
  startedAt: number | null;
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
  started_at: Date | string | null;
}

const RETURNING = `o.idempotency_key, o.workspace_id, o.campaign_id, o.run_id, o.step, o.user_id, o.channel,
  o.class, o.variant, o.send_at, o.cost_cents, o.attempts, o.provider_id, o.provider_pinned, o.payload, o.started_at`;

/** Campaigns whose messages must not start now (cancelled ones' messages are dead already). */
const HELD = `EXISTS (SELECT 1 FROM campaigns c WHERE c.id = o.campaign_id AND c.status IN ('paused', 'cancelled'))`;

/**
 * Claims up to `limit` messages due at `now` for the claim `token`: first those whose worker died
 * holding them (lease expired), then pending ones in due order. They become 'sending' under the
 * lease until `leaseUntil`, which the worker renews while it lives (`renewClaim`). Claiming is a
 * reservation, not a send: a message goes to a provider only once `startWave` lets it. A paused
 * campaign's messages wait in the outbox until it resumes (cancelling dead-letters them:
 * `cancelPendingMessages`). On PostgreSQL `SKIP LOCKED` lets several workers (and processes)
 * claim side by side without waiting on each other.
 */
export const claimDue = async (
  db: SqlClient,
  now: number,
  leaseUntil: number,
  limit: number,
  token: string,
): Promise<ClaimedRow[]> => {
  const skip = db.kind === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  const nowTs = new Date(now);
  const leaseTs = new Date(leaseUntil);
  const raw = await db.transaction(async (tx) => {
    const expired = await tx.query<RawClaimed>(
      `UPDATE outbox o SET lease_until = $2, claim_token = $4
       FROM (SELECT idempotency_key FROM outbox WHERE status = 'sending' AND lease_until < $1
             LIMIT $3${skip}) c
       WHERE o.idempotency_key = c.idempotency_key
       RETURNING ${RETURNING}`,
      [nowTs, leaseTs, limit, token],
    );
    if (expired.length >= limit) return expired;
    const due = await tx.query<RawClaimed>(
      `UPDATE outbox o SET status = 'sending', lease_until = $2, claim_token = $4
       FROM (SELECT idempotency_key FROM outbox
             WHERE status = 'pending' AND coalesce(next_attempt_at, send_at) <= $1
               AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = outbox.campaign_id AND c.status = 'paused')
             ORDER BY coalesce(next_attempt_at, send_at) LIMIT $3${skip}) c
       WHERE o.idempotency_key = c.idempotency_key
       RETURNING ${RETURNING}`,
      [nowTs, leaseTs, limit - expired.length, token],
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
    claimToken: token,
    startedAt: r.started_at === null ? null : new Date(r.started_at).getTime(),
  }));
};

/** Extends the lease of every row the claim still holds; returns how many it holds. */
export const renewClaim = async (db: SqlClient, token: string, leaseUntil: number): Promise<number> =>
  (
    await db.query(
      `UPDATE outbox SET lease_until = $2 WHERE claim_token = $1 AND status = 'sending' RETURNING 1`,
      [token, new Date(leaseUntil)],
    )
  ).length;

/**
 * Lets a wave of messages go: each row still held by the claim, of a campaign neither paused nor
 * cancelled, is marked started with the provider about to be called — in one statement, before
 * the calls, so a crash from here on leaves a trace (`started_at`) that forbids a blind re-send.
 * Returns the keys that may be sent now; the others are no longer ours or must wait.
 */
export const startWave = async (
  db: SqlClient,
  token: string,
  wave: readonly { key: string; providerId: string | null }[],
  now: number,
): Promise<Set<string>> => {
  if (wave.length === 0) return new Set();
  const rows = await db.query<{ idempotency_key: string }>(
    `UPDATE outbox o SET started_at = $4, provider_id = coalesce(w.provider, o.provider_id)
     FROM unnest($2::text[], $3::text[]) AS w(key, provider)
     WHERE o.idempotency_key = w.key AND o.claim_token = $1 AND o.status = 'sending' AND NOT ${HELD}
     RETURNING o.idempotency_key`,
    [token, wave.map((w) => w.key), wave.map((w) => w.providerId), new Date(now)],
  );
  return new Set(rows.map((r) => r.idempotency_key));
};

/**
 * Gives back what the claim holds but did not start (a campaign paused meanwhile, a worker
 * stopping, or — with `keys` — a slow provider's excess): pending again, due as before. Rows whose
 * send began keep `started_at`, so whoever claims them next knows the provider may have them.
 */
export const releaseClaim = async (
  db: SqlClient,
  token: string,
  keys: readonly string[] | null = null,
): Promise<number> =>
  (
    await db.query(
      `UPDATE outbox SET status = 'pending', lease_until = NULL, claim_token = NULL
       WHERE claim_token = $1 AND status = 'sending' AND ($2::text[] IS NULL OR idempotency_key = ANY($2::text[]))
       RETURNING 1`,
      [token, keys],
    )
  ).length;
