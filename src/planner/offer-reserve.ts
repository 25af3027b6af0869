import { dependsOnHistory, reservedOfferCents, type Offer, type UserHistory } from '../core/offers/index.ts';
import { hasAnyOffer, offerChoices } from '../core/campaigns/variant-offer.ts';
import { ROSTER_WORD_BITS, type Roster } from '../core/planner/types.ts';
import type { CampaignRecord } from '../storage/control/campaigns.ts';
import { orderHistories } from '../storage/warehouse/planner-inputs.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * Each member's own offer, decided before the planner runs (features.md D4, E5): the budgets
 * reserve what this user's offer is worth, not the most the rule could give anyone. The
 * histories read here are the ones the offers are then issued from (commit-plan.ts), so the
 * amount reserved and the amount issued are the same.
 */

export interface CampaignOffers {
  /** The campaign's own offer: one amount for every member (a rule that does not read history), or per member; undefined: none. */
  cents: number | Map<string, number> | undefined;
  /** Per variant with its own offer (an offer test): its amounts the same way; 0 for a variant with no offer. */
  variants: Map<string, number | Map<string, number>>;
  /** The histories the amounts were decided from (empty when no rule reads history). */
  histories: Map<string, UserHistory>;
}

/** What the plan reserved for a member of `variant` (null: no test): their variant's offer, else the campaign's; 0: none. */
export const reservedFor = (
  o: CampaignOffers | undefined,
  variant: string | null,
  userId: string,
): number => {
  if (o === undefined) return 0;
  const rule = (variant === null ? undefined : o.variants.get(variant)) ?? o.cents ?? 0;
  return typeof rule === 'number' ? rule : (rule.get(userId) ?? 0);
};

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

/**
 * Offers of the batches' campaigns that carry one (their own, or a variant's), decided at `at`
 * (the instant they are issued). A rule that reads history is decided for every member of the
 * campaign: the planner, not this, draws each member's variant.
 */
export const offersOfMembers = async (
  warehouse: WarehouseSql,
  batches: readonly { campaign: CampaignRecord; members: readonly string[] }[],
  roster: Roster | undefined,
  at: number,
): Promise<Map<string, CampaignOffers>> => {
  const out = new Map<string, CampaignOffers>();
  const needHistory: {
    set: (cents: Map<string, number>) => void;
    offer: Offer;
    members: readonly string[];
  }[] = [];
  for (const b of batches) {
    const d = b.campaign.definition;
    if (!hasAnyOffer(d)) continue;
    const decided: CampaignOffers = { cents: undefined, variants: new Map(), histories: new Map() };
    out.set(b.campaign.id, decided);
    let members: readonly string[] | undefined;
    for (const choice of offerChoices(d)) {
      const set = (cents: number | Map<string, number>) => {
        if (choice.variant === null) decided.cents = cents;
        else decided.variants.set(choice.variant, cents);
      };
      if (choice.offer === undefined) {
        if (choice.variant !== null) set(0);
      } else if (!dependsOnHistory(choice.offer)) set(reservedOfferCents(choice.offer, {}, at));
      else {
        members ??= roster ? rosterMembers(roster, b.campaign.id) : b.members;
        needHistory.push({ set, offer: choice.offer, members });
      }
    }
  }
  if (needHistory.length === 0) return out;
  const histories = await orderHistories(warehouse, [...new Set(needHistory.flatMap((n) => n.members))], at);
  for (const o of out.values()) o.histories = histories;
  for (const n of needHistory) {
    const cents = new Map<string, number>();
    for (const u of n.members) cents.set(u, reservedOfferCents(n.offer, histories.get(u) ?? {}, at));
    n.set(cents);
  }
  return out;
};
