import type { Channel } from '../core/channels/channels.ts';
import { decideAmount, valueCents } from '../core/offers/index.ts';
import { hasAnyOffer, memberOffer } from '../core/campaigns/variant-offer.ts';
import type { LadderFacts, LadderPricing } from '../core/planner/ladder-gate.ts';
import { RESPONSE_WINDOW_DAYS, responseRate, type ResponseRate } from '../core/strategies/ladder-pricing.ts';
import { readChannelReach } from '../planner/channel-reach.ts';
import type { PlannerContext } from '../planner/run-slot.ts';
import type { CampaignRecord } from '../storage/control/campaigns.ts';
import { getPolicy, listChannelQuotas } from '../storage/control/planner-settings.ts';
import { channelResponseHistory } from '../storage/warehouse/channel-reach-inputs.ts';
import { orderHistories } from '../storage/warehouse/planner-inputs.ts';

/**
 * What a ladder's follow-ups price the next channel with (core/strategies/ladder-pricing.ts),
 * read from the stores: each channel's response rate on the workspace's own messages of the
 * last RESPONSE_WINDOW_DAYS days (message_facts + conversions), its price per message (the
 * channel quota's cost), each user's own offer with the campaign, and the channels a user
 * cannot be reached on (unreachable regions, no healthy caller number).
 */
export const ladderPricing = async (
  ctx: PlannerContext,
  workspaceId: string,
  c: CampaignRecord,
  facts: readonly LadderFacts[],
  now: number,
): Promise<LadderPricing> => {
  const history = await channelResponseHistory(ctx.warehouse, now, RESPONSE_WINDOW_DAYS);
  const channels = [...new Set((c.definition.ladder?.steps ?? []).map((s) => s.channel as Channel))];
  const rates: Partial<Record<Channel, ResponseRate>> = {};
  for (const ch of channels) rates[ch] = responseRate(ch, history.get(ch));
  const messageCents: Partial<Record<Channel, number>> = {};
  for (const q of await listChannelQuotas(ctx.control, workspaceId)) messageCents[q.channel] = q.costCents;
  const offerCents = await offersOf(ctx, c, facts, now);
  const { policy } = await getPolicy(ctx.control, workspaceId);
  const reach = await readChannelReach(ctx.control, ctx.warehouse, workspaceId, policy);
  return {
    rates,
    messageCents,
    offerCents: (u) => offerCents.get(u) ?? 0,
    blocked: (u) => {
      const own = reach.blocks.get(u);
      return own || Object.keys(reach.down).length > 0 ? { ...reach.down, ...own } : undefined;
    },
  };
};

/** Each user's own offer with the campaign: the amount its rule gives them now (0: none). */
const offersOf = async (
  ctx: PlannerContext,
  c: CampaignRecord,
  facts: readonly LadderFacts[],
  now: number,
): Promise<Map<string, number>> => {
  const out = new Map<string, number>();
  if (!hasAnyOffer(c.definition) || facts.length === 0) return out;
  const histories = await orderHistories(
    ctx.warehouse,
    facts.map((f) => f.userId),
    now,
  );
  for (const f of facts) {
    // The user's own offer: their A/B variant's in an offer test, else the campaign's.
    const offer = memberOffer(c.id, c.definition, f.userId);
    if (!offer) {
      out.set(f.userId, 0);
      continue;
    }
    const d = decideAmount(offer, histories.get(f.userId) ?? {}, now);
    out.set(f.userId, d.ok ? valueCents(offer, d.value.amount) : 0);
  }
  return out;
};
