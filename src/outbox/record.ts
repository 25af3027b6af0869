import type { Decision } from '../core/delivery/decide.ts';
import { appendMessageLog, type MessageLogEntry } from '../storage/control/message-log.ts';
import { applyEarlyReceipts } from '../delivery/providers/receipts.ts';
import { writeOutcomeRows, type OutcomeColumns } from '../storage/control/outbox.ts';
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
  const cols: OutcomeColumns = {
    key: [],
    token: [],
    status: [],
    attempts: [],
    provider: [],
    pinned: [],
    providerMessage: [],
    error: [],
    dead: [],
    next: [],
  };
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
    const written = await writeOutcomeRows(tx, cols, now);
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
