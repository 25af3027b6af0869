import type { Channel, MessageClass } from '../core/channels/channels.ts';
import {
  claimExpiredRows,
  claimPendingRows,
  markWaveStarted,
  releaseClaimRows,
  renewClaimRows,
} from '../storage/control/outbox.ts';
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
  const raw = await db.transaction(async (tx) => {
    const expired = await claimExpiredRows(tx, now, leaseUntil, limit, token);
    if (expired.length >= limit) return expired;
    const due = await claimPendingRows(tx, now, leaseUntil, limit - expired.length, token);
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
export const renewClaim = (db: SqlClient, token: string, leaseUntil: number): Promise<number> =>
  renewClaimRows(db, token, leaseUntil);

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
  return new Set(await markWaveStarted(db, token, wave, now));
};

/**
 * Gives back what the claim holds but did not start (a campaign paused meanwhile, a worker
 * stopping, or — with `keys` — a slow provider's excess): pending again, due as before. Rows whose
 * send began keep `started_at`, so whoever claims them next knows the provider may have them.
 */
export const releaseClaim = (
  db: SqlClient,
  token: string,
  keys: readonly string[] | null = null,
): Promise<number> => releaseClaimRows(db, token, keys);
