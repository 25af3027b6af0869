import { audienceMemberIds } from '../audience/saved-audiences.ts';
import { maskEmail, maskPhone } from '../core/audience/mask.ts';
import type { Actor } from '../core/auth/roles.ts';
import type { Channel } from '../core/channels/channels.ts';
import { previewContent, type ChannelContent, type ContentPreview } from '../core/content/index.ts';
import { estimateCost, type CostEstimate } from '../core/cost/index.ts';
import { averageValueCents, offerPlan } from '../core/cost/offer-plan.ts';
import { issueOffer, type IssuedOffer, type Offer } from '../core/offers/index.ts';
import { err, ok } from '../core/result.ts';
import { conflict, notFound, type Outcome } from '../core/service-failure.ts';
import { computePlan } from '../planner/commit-plan.ts';
import { orderHistories } from '../storage/warehouse/planner-inputs.ts';
import { planUsersByIds } from '../planner/plan-profiles.ts';
import { runIdOf } from '../planner/run-slot.ts';
import { getCampaign, type CampaignRecord } from '../storage/control/campaigns.ts';
import { listChannelQuotas, unsubscribesByUser } from '../storage/control/planner-settings.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { Warehouse } from '../storage/warehouse/warehouse.ts';
import { refused, type CampaignContext } from './campaigns.ts';
import { storedJsonObject } from '../storage/warehouse/js-values.ts';
import { profileRow } from '../storage/warehouse/profile-row.ts';

/**
 * Before launch (features.md D3, G6): a campaign's content rendered for a sample user, and the cost
 * calculator fed by a dry run of the planner over today's audience — the real message count after
 * opt-outs, caps, quiet hours, conflicts with nothing else and budgets — with the operator's
 * expectations (conversion, order value, margin, hidden costs) as inputs.
 */

export interface EstimateContext extends CampaignContext {
  warehouse: Warehouse;
}

/** Codes shown in previews and estimates are not real: they are derived with this secret. */
const PREVIEW_SECRET = 'preview-not-a-real-code';

const issueFor = (
  c: CampaignRecord,
  offer: Offer,
  userId: string,
  history: Map<string, { lapsedSince: number; averageOrderCents: number }>,
  now: number,
): IssuedOffer | null => {
  const r = issueOffer(offer, history.get(userId) ?? {}, {
    campaignId: c.id,
    userId,
    now,
    secret: PREVIEW_SECRET,
  });
  return r.ok ? r.value : null;
};

export const previewCampaignAs = async (
  ctx: EstimateContext,
  actor: Actor,
  id: string,
  input: { userId?: string | undefined },
): Outcome<{ userId: string; offer: IssuedOffer | null; preview: ContentPreview }> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  const c = await getCampaign(ctx.control, actor.workspaceId, id);
  if (!c) return err(notFound(`campaign '${id}'`));
  const now = ctx.clock();
  let userId = input.userId;
  if (userId === undefined) {
    const members = await audienceMemberIds(ctx, actor.workspaceId, c.definition.audienceId, now);
    userId = members?.[0];
    if (userId === undefined)
      return err(conflict('the audience has no members to preview with; name a userId'));
  }
  const p = await profileRow(ctx.warehouse, userId);
  if (!p) return err(notFound(`user '${userId}'`));
  // Operators see the preview: contacts masked, as everywhere in the console.
  const user = {
    ...p,
    user_id: userId,
    phone: maskPhone(p['phone'] as string | null),
    email: maskEmail(p['email'] as string | null),
    traits: typeof p['traits'] === 'string' ? storedJsonObject(p['traits']) : null,
  };
  const offer = c.definition.offer
    ? issueFor(
        c,
        c.definition.offer as Offer,
        userId,
        await orderHistories(ctx.warehouse, [userId], now),
        now,
      )
    : null;
  const preview = previewContent(
    c.definition.content as ChannelContent[],
    { user, offer, campaign: { name: c.name } },
    {
      now,
      messageClass: c.definition.class,
    },
  );
  return ok({ userId, offer, preview });
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
  offer: { issued: number; averageValueCents: number } | null;
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
  const { result } = await ctx.control.transaction((tx: SqlClient) =>
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
  if (c.definition.offer) {
    // Amounts may depend on history: the average over (up to) 2 000 recipients.
    const sample = result.messages.slice(0, 2000).map((m) => m.userId);
    const history = await orderHistories(ctx.warehouse, sample, now);
    const issued = sample.flatMap((u) => issueFor(c, c.definition.offer as Offer, u, history, now) ?? []);
    const share = sample.length === 0 ? 0 : issued.length / sample.length;
    offer = {
      issued: Math.round(share * result.messages.length),
      averageValueCents: averageValueCents(issued),
    };
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
    ...(offer && c.definition.offer
      ? {
          offer: { ...offerPlan(c.definition.offer as Offer, offer.averageValueCents), issued: offer.issued },
        }
      : {}),
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
    cost,
  });
};
