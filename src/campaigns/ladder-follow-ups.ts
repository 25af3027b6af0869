import { lastSlotChange } from './finish-delivered.ts';
import { auditLadderStep } from './send-audit.ts';
import {
  followUpSteps,
  type LadderFacts,
  type LadderStepGroup,
  type LadderStepSkip,
} from '../core/planner/ladder-gate.ts';
import { ladderPricing } from './ladder-pricing-inputs.ts';
import type { Ladder } from '../core/strategies/ladder.ts';
import { lockPlanner, planAndWrite } from '../planner/commit-plan.ts';
import { planUsersByIds } from '../planner/plan-profiles.ts';
import { groupDecisions, writeDecisions } from '../planner/plan-decisions.ts';
import type { PlannerContext } from '../planner/run-slot.ts';
import { listCampaigns, updateCampaignRow, type CampaignRecord } from '../storage/control/campaigns.ts';
import { latestStepsByUser } from '../storage/control/planner-inputs.ts';
import { unsubscribesByUser } from '../storage/control/planner-settings.ts';
import {
  firstResponses,
  idsWho,
  ladderLeavers,
  userValuesCents,
} from '../storage/warehouse/planner-inputs.ts';

/**
 * The escalation half of recall ladders (features.md D6). For each running campaign with a ladder: every
 * user's latest step (from the outbox), whether a response event came after it (from the
 * warehouse), and what they are worth are the facts from which the planner's `followUpSteps`
 * (core/planner/ladder-gate.ts) decides who gets the next, dearer channel now. Those go through the planner like any slot (caps, quiet hours, opt-outs,
 * budgets). A user the planner skips at a follow-up step (a cap, an opt-out, the budget) leaves
 * the ladder: the skip is recorded in `decided_members` (detail `ladder step N`) and never retried,
 * so a ladder cannot nag through the caps. When nobody is waiting or owed a step and no slot is
 * left, the campaign finishes.
 */

export interface FollowUpReport {
  campaignId: string;
  sent: number;
  skipped: number;
  waiting: number;
  done: Record<string, number>;
}

export const planLadderFollowUps = async (
  ctx: PlannerContext,
  workspaceId = 'default',
): Promise<FollowUpReport[]> => {
  const now = ctx.clock();
  const campaigns = (await listCampaigns(ctx.control, workspaceId, { status: 'running' })).filter(
    (c) => c.definition.ladder !== undefined,
  );
  const reports: FollowUpReport[] = [];
  for (const c of campaigns) reports.push(await followUp(ctx, workspaceId, c, now));
  return reports;
};

const followUp = async (
  ctx: PlannerContext,
  workspaceId: string,
  c: CampaignRecord,
  now: number,
): Promise<FollowUpReport> => {
  const ladder = c.definition.ladder;
  const report: FollowUpReport = { campaignId: c.id, sent: 0, skipped: 0, waiting: 0, done: {} };
  if (!ladder) return report;
  const facts = await ladderFacts(ctx, workspaceId, c, ladder, now);
  if (facts.length > 0) {
    // Each escalation priced on the workspace's own response rates and the user's value; channels
    // a user's region or the caller numbers rule out are gone past (ladder-pricing-inputs.ts).
    const pricing = await ladderPricing(ctx, workspaceId, c, facts, now);
    const decided = followUpSteps(ladder, facts, now, pricing);
    report.waiting = decided.waiting;
    report.done = decided.done;
    await writeStepSkips(ctx, c, decided.stepSkips, decided.groups, now);
    if (decided.groups.length > 0) {
      const planned = await planSteps(ctx, workspaceId, c, decided.groups, now);
      report.sent = planned.sent;
      report.skipped = planned.skipped;
    }
  }
  // Nothing left to wait for or send, and no slot owed: the strategy has run its course.
  if (report.waiting === 0 && report.sent === 0 && c.nextSlotAt === null && facts.length > 0) {
    await ctx.control.transaction(async (tx) => {
      await updateCampaignRow(tx, workspaceId, c.id, await lastSlotChange(tx, workspaceId, c.id), now);
    });
  }
  return report;
};

/**
 * What `followUpSteps` decides on, per user on the ladder: their latest step (from the outbox),
 * their first response since (from the warehouse), what they are worth, whether they left.
 */
const ladderFacts = async (
  ctx: PlannerContext,
  workspaceId: string,
  c: CampaignRecord,
  ladder: Ladder,
  now: number,
): Promise<LadderFacts[]> => {
  const latest = await latestStepsByUser(ctx.control, workspaceId, c.id);
  if (latest.length === 0) return [];
  const responded = await firstResponses(
    ctx.warehouse,
    latest.map((l) => ({ userId: l.user_id, sentAt: new Date(l.send_at).getTime() })),
    ladder.responseEvents,
    now,
  );
  const left = await ladderLeavers(ctx.warehouse, c.id);
  const { who, params } = idsWho(
    latest.map((l) => l.user_id),
    ctx.warehouse.dialect,
  );
  const values = await userValuesCents(ctx.warehouse, who, params, now);
  return latest.map((l) => ({
    userId: l.user_id,
    runId: l.run_id,
    lastStep: Number(l.step),
    lastSentAt: new Date(l.send_at).getTime(),
    respondedAt: responded.get(l.user_id) ?? null,
    valueCents: values.get(l.user_id) ?? 0,
    left: left.has(l.user_id),
  }));
};

/**
 * Each (run, step) group through the planner, under its lock, in one transaction; a user it skips
 * leaves the ladder (`decided_members`, detail `ladder step N`).
 */
const planSteps = async (
  ctx: PlannerContext,
  workspaceId: string,
  c: CampaignRecord,
  groups: readonly LadderStepGroup[],
  now: number,
): Promise<{ sent: number; skipped: number }> => {
  const out = { sent: 0, skipped: 0 };
  const unsubscribed = await unsubscribesByUser(ctx.control, workspaceId);
  const users = await planUsersByIds(
    ctx.warehouse,
    groups.flatMap((g) => g.userIds),
    unsubscribed,
    [c.definition.category],
  );
  await ctx.control.transaction(async (tx) => {
    await lockPlanner(tx, workspaceId);
    for (const g of groups) {
      const { result } = await planAndWrite(tx, {
        workspaceId,
        slotAt: now,
        batches: [
          {
            campaign: c,
            runId: g.runId,
            members: g.userIds,
            ladderStep: { step: g.step, channel: g.channel },
          },
        ],
        users,
        at: now,
        warehouse: ctx.warehouse,
      });
      out.sent += result.messages.length;
      out.skipped += result.skipped.length;
      await auditLadderStep(tx, {
        workspaceId,
        campaignId: c.id,
        runId: g.runId,
        step: g.step,
        channel: g.channel,
        users: g.userIds.length,
        sent: result.messages.length,
        skipped: result.skipped.length,
        at: now,
      });
      if (result.skipped.length > 0) {
        const detail = `ladder step ${g.step}`;
        const skips = result.skipped.map((s) => ({ ...s, detail }));
        await writeDecisions(
          ctx.warehouse,
          groupDecisions({ holdout: [], skipped: skips }),
          new Map([[c.id, g.runId]]),
          now,
        );
      }
    }
  });
  return out;
};

/**
 * The steps the follow-ups did not send, as the users' skips: a step priced out ends the ladder
 * for the user (detail `ladder step N: …`, so `ladderLeavers` keeps them off it); a step gone
 * past for a channel that cannot reach the user is recorded as such while the ladder sends the
 * next one, and ends it too when nothing was left to send.
 */
const writeStepSkips = async (
  ctx: PlannerContext,
  c: CampaignRecord,
  skips: readonly LadderStepSkip[],
  groups: readonly LadderStepGroup[],
  now: number,
): Promise<void> => {
  if (skips.length === 0) return;
  const sent = new Set(groups.flatMap((g) => g.userIds));
  const byRun = new Map<string, LadderStepSkip[]>();
  for (const s of skips) byRun.set(s.runId, [...(byRun.get(s.runId) ?? []), s]);
  for (const [runId, list] of byRun)
    await writeDecisions(
      ctx.warehouse,
      list.map((s) => ({
        campaignId: c.id,
        decision: 'skipped' as const,
        reason: s.reason,
        detail:
          s.reason === 'channel_blocked' && sent.has(s.userId)
            ? `ladder moved past step ${s.step}: ${s.detail}`
            : `ladder step ${s.step}: ${s.detail}`,
        userIds: [s.userId],
      })),
      new Map([[c.id, runId]]),
      now,
    );
};
