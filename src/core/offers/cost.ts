import type { Cents } from '../channels/channels.ts';
import { decideAmount, valueCents, type UserHistory } from './amount.ts';
import type { IssuedOffer } from './issue.ts';
import type { Offer } from './schema.ts';

/** The cost of one issued offer, split by when it is booked. */
export interface OfferCost {
  /** Booked when the offer is issued (`costRecognition: issue`). */
  atIssue: Cents;
  /** Booked when the offer is redeemed (`costRecognition: redemption`), 0 until then. */
  atRedemption: Cents;
  total: Cents;
}

/**
 * What an issued offer costs: its whole value at issue when the offer books its cost then
 * (redeemed or not — a cash red packet is gone once sent), otherwise its value at redemption
 * and nothing if it is never redeemed.
 */
export const offerCost = (
  issued: Pick<IssuedOffer, 'valueCents' | 'costRecognition'>,
  { redeemed }: { redeemed: boolean },
): OfferCost => {
  if (issued.costRecognition === 'issue')
    return { atIssue: issued.valueCents, atRedemption: 0, total: issued.valueCents };
  const atRedemption = redeemed ? issued.valueCents : 0;
  return { atIssue: 0, atRedemption, total: atRedemption };
};

/**
 * The cost to reserve for an offer before anyone redeems it (budgets): the whole value when
 * booked at issue, else value × expected redemption rate, in whole cents.
 */
export const expectedOfferCost = (
  issued: Pick<IssuedOffer, 'valueCents' | 'costRecognition' | 'expectedRedemptionRate'>,
): Cents =>
  issued.costRecognition === 'issue'
    ? issued.valueCents
    : Math.round(issued.valueCents * issued.expectedRedemptionRate);

/** Whether the offer's amount depends on the user's history (days lapsed, order value). */
export const dependsOnHistory = (offer: Pick<Offer, 'amount'>): boolean =>
  offer.amount.type === 'by_days_lapsed' || offer.amount.type === 'share_of_aov';

/**
 * What the planner reserves in the budgets for this user's offer (features.md E5): the value of
 * the amount the offer's rule gives this user at `now` — the same amount `issueOffer` issues —
 * and 0 when the rule gives them none (they get the message without an offer). The whole value,
 * whatever the recognition: the budget must hold even if every offer is redeemed; what is not
 * spent is released later (see committed spend, storage/control/planned-spend.ts).
 */
export const reservedOfferCents = (offer: Offer, history: UserHistory, now: number): Cents => {
  const decided = decideAmount(offer, history, now);
  return decided.ok ? valueCents(offer, decided.value.amount) : 0;
};
