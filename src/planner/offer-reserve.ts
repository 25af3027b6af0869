import { dependsOnHistory, reservedOfferCents, type Offer, type UserHistory } from '../core/offers/index.ts';
import { ROSTER_WORD_BITS, type Roster } from '../core/planner/types.ts';
import type { CampaignRecord } from '../storage/control/campaigns.ts';
import { orderHistories } from '../storage/warehouse/planner-inputs.ts';
import type { Warehouse } from '../storage/warehouse/warehouse.ts';

/**
 * Each member's own offer, decided before the planner runs (features.md D4, E5): the budgets
 * reserve what this user's offer is worth, not the most the rule could give anyone. The
 * histories read here are the ones the offers are then issued from (commit-plan.ts), so the
 * amount reserved and the amount issued are the same.
 */

export interface CampaignOffers {
  /** One amount for every member (a rule that does not read history), or per member. */
  cents: number | Map<string, number>;
  /** The histories the amounts were decided from (empty for a rule that does not read history). */
  histories: Map<string, UserHistory>;
}

/** The campaign's members in a roster (bit k of its words). */
const rosterMembers = (roster: Roster, campaignId: string): string[] => {
  const k = roster.campaignIds.indexOf(campaignId);
  if (k < 0) return [];
  const word = roster.words[Math.floor(k / ROSTER_WORD_BITS)];
  const bit = 1 << (k % ROSTER_WORD_BITS);
  const out: string[] = [];
  if (word)
    for (let i = 0; i < word.length; i++)
      if (((word[i] as number) & bit) !== 0) out.push(roster.ids[i] as string);
  return out;
};

/** Offers of the batches' campaigns that carry one, decided at `at` (the instant they are issued). */
export const offersOfMembers = async (
  warehouse: Warehouse,
  batches: readonly { campaign: CampaignRecord; members: readonly string[] }[],
  roster: Roster | undefined,
  at: number,
): Promise<Map<string, CampaignOffers>> => {
  const out = new Map<string, CampaignOffers>();
  const needHistory: { id: string; offer: Offer; members: readonly string[] }[] = [];
  for (const b of batches) {
    const offer = b.campaign.definition.offer as Offer | undefined;
    if (!offer) continue;
    if (!dependsOnHistory(offer))
      out.set(b.campaign.id, { cents: reservedOfferCents(offer, {}, at), histories: new Map() });
    else
      needHistory.push({
        id: b.campaign.id,
        offer,
        members: roster ? rosterMembers(roster, b.campaign.id) : b.members,
      });
  }
  if (needHistory.length === 0) return out;
  const histories = await orderHistories(warehouse, [...new Set(needHistory.flatMap((n) => n.members))], at);
  for (const n of needHistory) {
    const cents = new Map<string, number>();
    for (const u of n.members) cents.set(u, reservedOfferCents(n.offer, histories.get(u) ?? {}, at));
    out.set(n.id, { cents, histories });
  }
  return out;
};
