import { maskUserId } from '../core/audience/mask-user-id.ts';
import type { Actor } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import { deadReasonWords } from '../core/delivery/dead-letter-words.ts';
import { planRetry } from '../core/delivery/retry-dead-letter.ts';
import { err, ok } from '../core/result.ts';
import { conflict, forbidden, notFound, type Outcome } from '../core/service-failure.ts';
import type { Words } from '../core/words.ts';
import { dedupesByKey, isProviderKind } from '../delivery/providers/provider-kinds.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  deadLetterByRef,
  deadLetterRows,
  deliveryEvidence,
  outboxCountRows,
  requeueDeadRow,
  type DeadLetterRow,
  type OutboxCountRow,
} from '../storage/control/outbox-view.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

/**
 * The outbox for people (issue 17, "seeing why"): what waits, what is out, what died and why,
 * and putting a dead letter back — audited, for admins and operators, never twice to the user
 * (core/delivery/retry-dead-letter.ts says when it may go again).
 */

export interface OutboxContext {
  control: SqlClient;
  clock: Clock;
}

export interface OutboxSummary {
  rows: OutboxCountRow[];
  totals: Omit<OutboxCountRow, 'campaignId' | 'campaignName' | 'channel'>;
}

export const outboxSummary = async (ctx: OutboxContext, actor: Actor): Promise<OutboxSummary> => {
  const rows = await outboxCountRows(ctx.control, actor.workspaceId);
  const totals: OutboxSummary['totals'] = {
    pending: 0,
    leased: 0,
    sent: 0,
    delivered: 0,
    failed: 0,
    dead: 0,
    unknown: 0,
    oldestPendingDue: null,
  };
  for (const r of rows) {
    totals.pending += r.pending;
    totals.leased += r.leased;
    totals.sent += r.sent;
    totals.delivered += r.delivered;
    totals.failed += r.failed;
    totals.dead += r.dead;
    totals.unknown += r.unknown;
    if (r.oldestPendingDue && (!totals.oldestPendingDue || r.oldestPendingDue < totals.oldestPendingDue))
      totals.oldestPendingDue = r.oldestPendingDue;
  }
  return { rows, totals };
};

export interface DeadLetterView extends Omit<DeadLetterRow, 'userId'> {
  /** The user id masked (maskUserId). */
  user: string;
  /** Why it died, in words. */
  reasonWords: Words;
  /** Whether a retry is possible, and if not why (the same rules `retryDeadLetterAs` applies). */
  retry: { possible: boolean; why: Words | null };
}

const providerDedupes = (kind: string | null, config: unknown): boolean =>
  kind !== null &&
  isProviderKind(kind) &&
  dedupesByKey(
    kind,
    (typeof config === 'string' ? JSON.parse(config) : (config ?? {})) as Record<string, unknown>,
  );

export const listDeadLetters = async (
  ctx: OutboxContext,
  actor: Actor,
  q: { campaignId: string | null; limit: number },
): Promise<DeadLetterView[]> => {
  const rows = await deadLetterRows(ctx.control, { workspaceId: actor.workspaceId, ...q });
  return rows.map(({ key: _key, userId, providerKind, providerConfig, ...r }) => {
    // The list answers without evidence queries per row; the retry itself checks the evidence.
    const plan = planRetry({
      reason: r.reason,
      campaignStatus: r.campaignStatus,
      pinned: r.providerPinned,
      providerDedupes: providerDedupes(providerKind, providerConfig),
      evidence: [],
    });
    return {
      ...r,
      user: maskUserId(userId),
      reasonWords: deadReasonWords(r.reason),
      retry: plan.ok ? { possible: true, why: null } : { possible: false, why: plan.why },
    };
  });
};

const RETRY_ROLES = new Set(['admin', 'operator']);

/**
 * Puts a dead letter back into the outbox, due now, in one transaction with its audit entry
 * (`outbox.retry`). Refused (409, with the reason in words) when it may have reached the user.
 */
export const retryDeadLetterAs = async (
  ctx: OutboxContext,
  actor: Actor,
  ref: string,
): Outcome<{ campaignId: string; channel: string; keepPin: boolean }> => {
  if (!RETRY_ROLES.has(actor.role))
    return err(forbidden(`role '${actor.role}' may not retry dead letters (admin, operator)`));
  const row = await deadLetterByRef(ctx.control, actor.workspaceId, ref);
  if (row === null) return err(notFound(`dead letter '${ref}'`));
  const plan = planRetry({
    reason: row.reason,
    campaignStatus: row.campaignStatus,
    pinned: row.providerPinned,
    providerDedupes: providerDedupes(row.providerKind, row.providerConfig),
    evidence: await deliveryEvidence(ctx.control, row.key),
  });
  if (!plan.ok) return err(conflict(`${plan.why.en} (${plan.why.zhCN})`));
  const now = ctx.clock();
  const done = await ctx.control.transaction(async (tx) => {
    const requeued = await requeueDeadRow(tx, {
      workspaceId: actor.workspaceId,
      key: row.key,
      now,
      keepPin: plan.keepPin,
      note: `retried by ${actor.name}`,
    });
    if (!requeued) return false;
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at: now,
      actorId: actor.userId,
      action: 'outbox.retry',
      objectType: 'message',
      objectId: ref,
      details: {
        campaignId: row.campaignId,
        step: row.step,
        channel: row.channel,
        user: maskUserId(row.userId),
        reason: row.reason,
        attempts: row.attempts,
        provider: row.providerId,
        keepPin: plan.keepPin,
      },
    });
    return true;
  });
  // Someone else retried it between the read and the write: it is no longer dead.
  if (!done) return err(conflict('the message is no longer a dead letter'));
  return ok({ campaignId: row.campaignId, channel: row.channel, keepPin: plan.keepPin });
};
