/**
 * Cost as the reports give it (docs/reports.md "Cost"): what was spent, in parts, never what the
 * planner reserved. Cents in the `…Cents` fields, yuan in the others.
 */

export interface SpentCost {
  /** Messages a provider took, at their price. */
  messagesCostCents: number;
  /** Offers booked at issue whose message went out, at their issued value. */
  offersIssuedCostCents: number;
  /** Offers booked at redemption that were redeemed, at their redeemed value. */
  offersRedeemedCostCents: number;
  /** Conditional bonuses granted. */
  offersBonusCostCents: number;
  costCents: number;
  /** Yuan. */
  messageCost: number;
  offerCost: number;
  cost: number;
}

export const spentCost = (
  messagesCostCents: number,
  offers: { issuedCents: number; redeemedCents: number; bonusCents: number } | undefined,
): SpentCost => {
  const issued = offers?.issuedCents ?? 0;
  const redeemed = offers?.redeemedCents ?? 0;
  const bonus = offers?.bonusCents ?? 0;
  const offerCents = issued + redeemed + bonus;
  const costCents = messagesCostCents + offerCents;
  return {
    messagesCostCents,
    offersIssuedCostCents: issued,
    offersRedeemedCostCents: redeemed,
    offersBonusCostCents: bonus,
    costCents,
    messageCost: messagesCostCents / 100,
    offerCost: offerCents / 100,
    cost: costCents / 100,
  };
};

/** The parts of several costs added up. */
export const sumSpent = (costs: readonly SpentCost[]): SpentCost =>
  spentCost(
    costs.reduce((a, c) => a + c.messagesCostCents, 0),
    {
      issuedCents: costs.reduce((a, c) => a + c.offersIssuedCostCents, 0),
      redeemedCents: costs.reduce((a, c) => a + c.offersRedeemedCostCents, 0),
      bonusCents: costs.reduce((a, c) => a + c.offersBonusCostCents, 0),
    },
  );

/** (revenue − cost) / cost with revenue in yuan; null when nothing was spent. */
export const roiOf = (revenueYuan: number, c: SpentCost): number | null =>
  c.costCents > 0 ? (revenueYuan - c.cost) / c.cost : null;

/** The warehouse keeps message cost in yuan (a double): back to whole cents. */
export const centsOfYuan = (yuan: number): number => Math.round(yuan * 100);
