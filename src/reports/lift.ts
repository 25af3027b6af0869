import type { Actor } from '../core/auth/roles.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { ServiceFailure } from '../core/service-failure.ts';
import { refused } from '../campaigns/campaigns.ts';
import { campaignIdsOnChannel } from '../storage/control/campaigns-on-channel.ts';
import {
  committedRuns,
  goalOf,
  readableCampaign,
  DEFAULT_GOAL,
  type Goal,
  type ReportsContext,
} from './context.ts';
import { compare, groupOutcome, publicOutcome, type Comparison, type GroupOutcome } from './groups.ts';

/**
 * Holdout lift (features.md G3): the campaign's treated users (a message sent in a committed run; start
 * = their first send) vs its holdout (decided_members 'holdout' without a reason; start = the
 * run's slot) and vs the global control group (decision 'holdout', reason 'global_control').
 */

type Outcome = Omit<GroupOutcome, 'spend'>;

export interface LiftReport {
  campaignId: string;
  goal: Goal;
  treatment: Outcome;
  holdout: Outcome;
  globalControl: Outcome;
  vsHoldout: Comparison | null;
  vsGlobalControl: Comparison | null;
}

const measure = async (ctx: ReportsContext, campaignIds: string[], goal: Goal, channel: string) => {
  const scope = { campaignIds, runIds: await committedRuns(ctx, campaignIds), channel };
  return {
    treated: await groupOutcome(ctx.warehouse, 'treated', scope, goal),
    holdout: await groupOutcome(ctx.warehouse, 'holdout', scope, goal),
    global: await groupOutcome(ctx.warehouse, 'global', scope, goal),
    anyHeld: await groupOutcome(ctx.warehouse, 'any_held', scope, goal),
  };
};

/** The campaign's treated users against its holdout (the lift report's first comparison). */
export const holdoutComparison = async (
  ctx: ReportsContext,
  campaignId: string,
  goal: Goal,
): Promise<{ treatedUsers: number; holdoutUsers: number; vsHoldout: Comparison | null }> => {
  const scope = { campaignIds: [campaignId], runIds: await committedRuns(ctx, [campaignId]), channel: '' };
  const treated = await groupOutcome(ctx.warehouse, 'treated', scope, goal);
  const holdout = await groupOutcome(ctx.warehouse, 'holdout', scope, goal);
  return { treatedUsers: treated.users, holdoutUsers: holdout.users, vsHoldout: compare(treated, holdout) };
};

export const campaignLift = async (
  ctx: ReportsContext,
  actor: Actor,
  campaignId: string,
): Promise<Result<LiftReport, ServiceFailure>> => {
  const c = await readableCampaign(ctx, actor, campaignId);
  if (!c.ok) return c;
  const goal = goalOf(c.value);
  const m = await measure(ctx, [campaignId], goal, '');
  return ok({
    campaignId,
    goal,
    treatment: publicOutcome(m.treated),
    holdout: publicOutcome(m.holdout),
    globalControl: publicOutcome(m.global),
    vsHoldout: compare(m.treated, m.holdout),
    vsGlobalControl: compare(m.treated, m.global),
  });
};

export interface ReceiversReport {
  channel: string;
  campaignIds: string[];
  goal: Goal;
  receivers: Outcome;
  nonReceivers: Outcome;
  lift: Comparison | null;
}

/**
 * "SMS receivers vs non-receivers": users sent a message on the channel by the campaign (or by
 * every campaign of the workspace using it) vs the eligible users those campaigns held out
 * (holdout and global control). Without a campaign the goal is the default (an order in 3 days).
 */
export const receiversReport = async (
  ctx: ReportsContext,
  actor: Actor,
  channel: string,
  campaignId: string | null,
): Promise<Result<ReceiversReport, ServiceFailure>> => {
  let ids: string[];
  let goal = DEFAULT_GOAL;
  if (campaignId !== null) {
    const c = await readableCampaign(ctx, actor, campaignId);
    if (!c.ok) return c;
    ids = [campaignId];
    goal = goalOf(c.value);
  } else {
    const no = refused(actor, 'campaign.read');
    if (no) return err(no);
    ids = await campaignIdsOnChannel(ctx.control, actor.workspaceId, channel);
  }
  const m = await measure(ctx, ids, goal, channel);
  return ok({
    channel,
    campaignIds: ids,
    goal,
    receivers: publicOutcome(m.treated),
    nonReceivers: publicOutcome(m.anyHeld),
    lift: compare(m.treated, m.anyHeld),
  });
};
