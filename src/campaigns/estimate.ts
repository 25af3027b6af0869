import { audienceMemberIds } from '../audience/saved-audiences.ts';
import type { Actor } from '../core/auth/roles.ts';
import type { Channel } from '../core/channels/channels.ts';
import { previewContent, type ChannelContent, type ContentPreview } from '../core/content/index.ts';
import { estimateCost, type CostEstimate } from '../core/cost/index.ts';
import { blendedOfferPlan } from '../core/cost/offer-plan.ts';
import { hasAnyOffer, offerForVariant } from '../core/campaigns/variant-offer.ts';
import type { IssuedOffer, Offer } from '../core/offers/index.ts';
import { err, ok } from '../core/result.ts';
import { conflict, notFound, type Outcome } from '../core/service-failure.ts';
import { computePlan } from '../planner/commit-plan.ts';
import { reservedFor } from '../planner/offer-reserve.ts';
import { planUsersByIds } from '../planner/plan-profiles.ts';
import { runIdOf } from '../planner/run-slot.ts';
import { getCampaign } from '../storage/control/campaigns.ts';
import { listChannelQuotas, unsubscribesByUser } from '../storage/control/planner-settings.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { refused, type CampaignContext } from './campaigns.ts';
import { smsRules } from './content-gate.ts';
import { firstMember, sampleMessage } from './sample-message.ts';

/**
 * Before launch (features.md D3, G6): a campaign's content rendered for a sample user, and the cost
 * calculator fed by a dry run of the planner over today's audience — the real message count after
 * opt-outs, caps, quiet hours, conflicts with nothing else and budgets — with the operator's
 * expectations (conversion, order value, margin, hidden costs) as inputs.
 */

export interface EstimateContext extends CampaignContext {
  warehouse: WarehouseSql;
}

/**
 * The content rendered for a sample user on delivery's path (`sampleMessage`): the profile, the
 * offer, the best item and the recipient's time zone as the composer would give them, and the
 * SMS rules with the workspace's blocked words and the campaign's segment limit.
 */
export const previewCampaignAs = async (
  ctx: EstimateContext,
  actor: Actor,
  id: string,
  input: { userId?: string | undefined },
): Outcome<{
  userId: string;
  offer: IssuedOffer | null;
  skipped: string | null;
  preview: ContentPreview;
}> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  const c = await getCampaign(ctx.control, actor.workspaceId, id);
  if (!c) return err(notFound(`campaign '${id}'`));
  const now = ctx.clock();
  const userId = input.userId ?? (await firstMember(ctx, c, now));
  if (userId === undefined)
    return err(conflict('the audience has no members to preview with; name a userId'));
  const m = await sampleMessage(ctx, c, userId, now);
  if (!m.found) return err(notFound(`user '${userId}'`));
  const preview = previewContent(c.definition.content as ChannelContent[], m.sample, {
    ...m.options,
    messageClass: c.definition.class,
    sms: await smsRules(ctx.control, c),
  });
  return ok({ userId, offer: m.offer, skipped: m.skipped, preview });
};

export interface EstimateInput {
  conversionRate: number;
  baselineConversionRate: number;
  averageOrderCents: number;
  marginRate: number;
  unsubscribeRate?: number | undefined;
  hidden?: { reachableUserValueCents?: number; complaintCostCents?: number; otherCents?: number } | undefined;
}

export interface CampaignEstimate {
  members: number;
  messages: number;
  holdout: number;
  skipped: number;
  skipReasons: Record<string, number>;
  byChannel: { channel: Channel; messages: number; priceCents: number }[];
  /**
   * Offers of the planned messages, each user's own (the amounts they would be issued): how many,
   * their mean and their sum (what the budget holds for them until they are redeemed or expire).
   */
  offer: {
    issued: number;
    averageValueCents: number;
    totalValueCents: number;
    /** Per A/B variant (in the definition's order; [] without a test): its recipients' offers. */
    byVariant: { variant: string; issued: number; totalValueCents: number }[];
  } | null;
  /** What the plan would commit of the budgets: the messages' prices plus every recipient's own offer. */
  reservedCents: number;
  cost: CostEstimate;
}

/** A dry run of the planner for this campaign alone, now, and the cost calculator over it. */
export const estimateCampaignAs = async (
  ctx: EstimateContext,
  actor: Actor,
  id: string,
  input: EstimateInput,
): Outcome<CampaignEstimate> => {
  const no = refused(actor, 'campaign.estimate');
  if (no) return err(no);
  const c = await getCampaign(ctx.control, actor.workspaceId, id);
  if (!c) return err(notFound(`campaign '${id}'`));
  const now = ctx.clock();
  const members = (await audienceMemberIds(ctx, actor.workspaceId, c.definition.audienceId, now)) ?? [];
  const users = await planUsersByIds(
    ctx.warehouse,
    members,
    await unsubscribesByUser(ctx.control, actor.workspaceId),
    [c.definition.category],
  );
  const first = c.definition.ladder?.steps[0];
  const { result, offers: decided } = await ctx.control.transaction((tx: SqlClient) =>
    computePlan(tx, {
      workspaceId: actor.workspaceId,
      slotAt: now,
      batches: [
        {
          campaign: c,
          runId: runIdOf(c.id, now),
          members,
          ...(first ? { ladderStep: { step: 0, channel: first.channel } } : {}),
        },
      ],
      users,
      warehouse: ctx.warehouse,
    }),
  );
  const prices = new Map(
    (await listChannelQuotas(ctx.control, actor.workspaceId)).map((q) => [q.channel, q.costCents]),
  );
  const counts = new Map<Channel, number>();
  for (const m of result.messages) counts.set(m.channel, (counts.get(m.channel) ?? 0) + 1);
  const byChannel = [...counts].map(([channel, n]) => ({
    channel,
    messages: n,
    priceCents: prices.get(channel) ?? 0,
  }));
  const skipReasons: Record<string, number> = {};
  for (const s of result.skipped) skipReasons[s.reason] = (skipReasons[s.reason] ?? 0) + 1;

  let offer: CampaignEstimate['offer'] = null;
  const lines: { offer: Offer; issued: number; totalValueCents: number }[] = [];
  if (hasAnyOffer(c.definition)) {
    // Each recipient's own offer, as the plan reserved it (their variant's in an offer test):
    // exactly the amounts that would be issued.
    const decidedOffers = decided.get(c.id);
    const byVariant = new Map<string | null, { issued: number; totalValueCents: number }>();
    for (const m of result.messages) {
      const v = reservedFor(decidedOffers, m.variant, m.userId);
      const group = byVariant.get(m.variant) ?? { issued: 0, totalValueCents: 0 };
      if (v > 0) {
        group.issued += 1;
        group.totalValueCents += v;
      }
      byVariant.set(m.variant, group);
    }
    const issued = [...byVariant.values()].reduce((n, g) => n + g.issued, 0);
    const total = [...byVariant.values()].reduce((n, g) => n + g.totalValueCents, 0);
    offer = {
      issued,
      averageValueCents: issued === 0 ? 0 : total / issued,
      totalValueCents: total,
      byVariant: c.definition.variants.map((v) => ({
        variant: v.id,
        issued: byVariant.get(v.id)?.issued ?? 0,
        totalValueCents: byVariant.get(v.id)?.totalValueCents ?? 0,
      })),
    };
    for (const [variant, g] of byVariant) {
      const o = offerForVariant(c.definition, variant);
      if (o) lines.push({ offer: o, ...g });
    }
  }
  const channels =
    byChannel.length > 0
      ? byChannel
      : [{ channel: c.definition.channels[0] as Channel, messages: 0, priceCents: 0 }];
  const cost = estimateCost({
    channels: channels.map((b) => ({
      channel: b.channel,
      recipients: b.messages,
      priceCents: b.priceCents,
      ...(input.unsubscribeRate === undefined ? {} : { unsubscribeRate: input.unsubscribeRate }),
    })),
    users: result.messages.length,
    ...(offer && lines.length > 0 ? { offer: blendedOfferPlan(lines) } : {}),
    conversionRate: input.conversionRate,
    baselineConversionRate: input.baselineConversionRate,
    averageOrderCents: input.averageOrderCents,
    marginRate: input.marginRate,
    ...(input.hidden ? { hidden: input.hidden } : {}),
  });
  return ok({
    members: members.length,
    messages: result.messages.length,
    holdout: result.holdout.length,
    skipped: result.skipped.length,
    skipReasons,
    byChannel,
    offer,
    reservedCents: result.spend[c.id] ?? 0,
    cost,
  });
};
