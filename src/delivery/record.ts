import type { Decision } from '../core/delivery/decide.ts';
import { appendMessageLog, type MessageLogEntry } from '../storage/control/message-log.ts';
import { applyEarlyReceipts } from './providers/receipts.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { ClaimedRow } from './claim.ts';

export interface Recorded {
  row: ClaimedRow;
  decision: Decision;
  /** What the provider charged (the planned cost unless the adapter knows better). */
  costCents?: number;
  /** The provider said the address is gone for good: remove it from the user's profile. */
  forgetAddress?: 'push_token';
  /** The address the provider refused (the push token the message went to): only it is removed. */
  refusedAddress?: string;
}

/**
 * Writes a wave's outcomes in one transaction: the outbox rows (one UPDATE over arrays) and the
 * message log entries for the rows that reached `sent`, `dead` or `unknown`. Only rows still held
 * by this worker's claim are written (a claim taken over after its lease expired belongs to its
 * new holder). A retry clears `started_at`: the provider answered, so nothing is in doubt.
 * Returns how many rows were written.
 */
export const recordOutcomes = async (
  db: SqlClient,
  items: readonly Recorded[],
  now: number,
): Promise<number> => {
  if (items.length === 0) return 0;
  const cols = {
    key: [] as string[],
    token: [] as string[],
    status: [] as string[],
    attempts: [] as number[],
    provider: [] as (string | null)[],
    pinned: [] as boolean[],
    providerMessage: [] as (string | null)[],
    error: [] as (string | null)[],
    dead: [] as (string | null)[],
    next: [] as (string | null)[],
  };
  const at = new Date(now).toISOString();
  for (const { row, decision: d } of items) {
    cols.key.push(row.idempotencyKey);
    cols.token.push(row.claimToken);
    cols.status.push(d.kind === 'retry' ? 'pending' : d.kind);
    cols.attempts.push(d.attempts);
    cols.provider.push(d.kind === 'dead' ? row.providerId : (d.providerId ?? row.providerId));
    cols.pinned.push(d.kind === 'retry' ? d.pinned : row.pinned);
    cols.providerMessage.push(d.kind === 'sent' ? d.providerMessageId : null);
    cols.error.push(d.kind === 'sent' ? null : d.error);
    cols.dead.push(d.kind === 'dead' || d.kind === 'unknown' ? d.reason : null);
    cols.next.push(d.kind === 'retry' ? new Date(d.at).toISOString() : null);
  }
  return db.transaction(async (tx) => {
    const written = await tx.query<{
      idempotency_key: string;
      workspace_id: string;
      status: string;
      provider_id: string | null;
      provider_message_id: string | null;
    }>(
      `UPDATE outbox o SET
         status = u.status,
         attempts = u.attempts,
         provider_id = u.provider,
         provider_pinned = u.pinned,
         provider_message_id = coalesce(u.provider_message, o.provider_message_id),
         last_error = u.error,
         dead_reason = u.dead,
         next_attempt_at = u.next,
         lease_until = NULL,
         started_at = CASE WHEN u.status = 'pending' THEN NULL ELSE o.started_at END,
         sent_at = CASE WHEN u.status = 'sent' THEN $11::timestamptz ELSE o.sent_at END,
         final_at = CASE WHEN u.status IN ('dead', 'unknown') THEN $11::timestamptz ELSE o.final_at END
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::boolean[],
                   $7::text[], $8::text[], $9::text[], $10::timestamptz[])
            AS u(key, token, status, attempts, provider, pinned, provider_message, error, dead, next)
       WHERE o.idempotency_key = u.key AND o.status = 'sending' AND o.claim_token = u.token
       RETURNING o.idempotency_key, o.workspace_id, o.status, o.provider_id, o.provider_message_id`,
      [
        cols.key,
        cols.token,
        cols.status,
        cols.attempts,
        cols.provider,
        cols.pinned,
        cols.providerMessage,
        cols.error,
        cols.dead,
        cols.next,
        at,
      ],
    );
    const mine = new Set(written.map((r) => r.idempotency_key));
    const entries: MessageLogEntry[] = [];
    for (const { row, decision: d, costCents } of items) {
      if (!mine.has(row.idempotencyKey) || d.kind === 'retry') continue;
      entries.push({
        workspaceId: row.workspaceId,
        idempotencyKey: row.idempotencyKey,
        campaignId: row.campaignId,
        runId: row.runId,
        step: row.step,
        variant: row.variant,
        userId: row.userId,
        channel: row.channel,
        kind: d.kind,
        at: now,
        ...(d.kind === 'sent'
          ? {
              costCents: costCents ?? row.costCents,
              properties: { provider: d.providerId, attempts: d.attempts },
            }
          : { properties: { reason: d.reason, error: d.error, attempts: d.attempts } }),
      });
    }
    await appendMessageLog(tx, entries);
    // A vendor may have called back before this transaction: its receipt waits in early_receipts.
    await applyEarlyReceipts(
      tx,
      written.flatMap((w) =>
        w.status === 'sent' && w.provider_id !== null
          ? [
              {
                workspaceId: w.workspace_id,
                key: w.idempotency_key,
                providerId: w.provider_id,
                providerMessageId: w.provider_message_id,
              },
            ]
          : [],
      ),
    );
    return mine.size;
  });
};
