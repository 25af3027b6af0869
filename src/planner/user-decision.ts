import type { Actor } from '../core/auth/roles.ts';
import { explainUser, type Explanation } from '../core/planner/explain-user.ts';
import { holdoutWords, messageStatusWords, skipWords } from '../core/planner/decision-words.ts';
import { deadReasonWords } from '../core/delivery/dead-letter-words.ts';
import { err, ok } from '../core/result.ts';
import { notFound, type Outcome } from '../core/service-failure.ts';
import type { Words } from '../core/words.ts';
import { getCampaign } from '../storage/control/campaigns.ts';
import { campaignRunRows, userMessageRows, userTriggerRows } from '../storage/control/user-campaign-trace.ts';
import { snapshotsHolding, userDecisionRows, userKnown } from '../storage/warehouse/user-decisions.ts';
import type { PlannerContext } from './run-slot.ts';

/**
 * "Why wasn't this user reached?" (issue 17): the planner's decisions about one user in one
 * campaign — messages planned and their fate, skips with their reasons, holdouts, triggers —
 * each with its slot time and words, and when nothing was decided, why the user was never
 * considered. Decisions of runs that never committed are left out (they are orphans).
 */

export interface UserDecision extends Explanation {
  campaignId: string;
  campaignName: string;
  campaignStatus: string;
  userId: string;
  messages: {
    runId: string;
    step: string;
    channel: string;
    sendAt: Date | null;
    status: string;
    words: Words;
  }[];
  decisions: {
    runId: string;
    slotAt: Date | null;
    decision: string;
    reason: string | null;
    detail: string | null;
    words: Words;
  }[];
  triggers: {
    eventAt: Date | null;
    dueAt: Date | null;
    status: string;
    reason: string | null;
    words: Words | null;
  }[];
}

export const userDecisionAs = async (
  ctx: PlannerContext,
  actor: Actor,
  campaignId: string,
  userId: string,
): Outcome<UserDecision> => {
  const c = await getCampaign(ctx.control, actor.workspaceId, campaignId);
  if (c === null) return err(notFound(`campaign '${campaignId}'`));
  const key = { workspaceId: actor.workspaceId, campaignId, userId };
  const runs = await campaignRunRows(ctx.control, campaignId);
  const messages = await userMessageRows(ctx.control, key);
  const triggered = c.definition.timing.kind === 'triggered';
  const triggers = triggered ? await userTriggerRows(ctx.control, key) : [];
  const committed = new Set(runs.map((r) => r.runId));
  const decisions = (await userDecisionRows(ctx.warehouse, campaignId, userId)).filter((d) =>
    committed.has(d.runId),
  );
  const snapshotIds = runs.flatMap((r) => (r.snapshotId === null ? [] : [r.snapshotId]));
  const quiet = messages.length === 0 && decisions.length === 0 && triggers.length === 0;
  const explanation = explainUser({
    campaignStatus: c.status,
    triggered,
    runs,
    messages,
    decisions,
    triggers,
    userKnown: quiet ? await userKnown(ctx.warehouse, userId) : true,
    inSnapshots: quiet ? await snapshotsHolding(ctx.warehouse, snapshotIds, userId) : new Set(),
  });
  return ok({
    ...explanation,
    campaignId,
    campaignName: c.name,
    campaignStatus: c.status,
    userId,
    messages: messages.map((m) => ({
      runId: m.runId,
      step: m.step,
      channel: m.channel,
      sendAt: m.sendAt,
      status: m.status,
      words:
        m.status === 'dead'
          ? {
              zhCN: `${messageStatusWords('dead').zhCN}：${deadReasonWords(m.deadReason).zhCN}`,
              en: `${messageStatusWords('dead').en}: ${deadReasonWords(m.deadReason).en}`,
            }
          : messageStatusWords(m.status),
    })),
    decisions: decisions.map((d) => ({
      ...d,
      words: d.decision === 'holdout' ? holdoutWords(d.reason) : skipWords(d.reason ?? '', d.detail),
    })),
    triggers: triggers.map((t) => ({
      eventAt: t.eventAt,
      dueAt: t.dueAt,
      status: t.status,
      reason: t.reason,
      words:
        t.status === 'skipped'
          ? skipWords(t.reason ?? 'not_planned')
          : t.status === 'holdout'
            ? holdoutWords(t.reason)
            : null,
    })),
  });
};
