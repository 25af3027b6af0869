import type { Cents } from '../channels/channels.ts';
import { ok, type Result } from '../result.ts';
import { decideAmount, valueCents, type AmountRefusal, type UserHistory } from './amount.ts';
import { offerCode } from './code.ts';
import { conditionText, type ConditionText } from './condition-text.ts';
import type { AmountRule, CostRecognition, Offer, OfferKind } from './schema.ts';
import { DAY_MS } from '../time/units.ts';

/** One user's offer, as stored with the message and shown in its content. */
export interface IssuedOffer {
  code: string;
  campaignId: string;
  userId: string;
  kind: OfferKind;
  /** In the offer's unit: cents for coupons and red packets, points for points. */
  amount: number;
  /** What the offer costs the business if redeemed, in cents (points × point value). */
  valueCents: Cents;
  minSpendCents?: Cents;
  condition: ConditionText;
  /** A conditional bonus: the event the user must do, by when (epoch ms). */
  bonus?: { event: string; minEventAmount?: number; deadline: number };
  issuedAt: number;
  expiresAt: number;
  costRecognition: CostRecognition;
  expectedRedemptionRate: number;
  /** How the amount was decided, for the audit trail. */
  rule: AmountRule['type'];
  tier?: number;
  daysLapsed?: number;
}

export interface IssueContext {
  campaignId: string;
  userId: string;
  /** Epoch ms (the injected clock). */
  now: number;
  /** The workspace's offer-code secret. */
  secret: string;
}

/**
 * Issues a (validated) offer to one user: the amount its rule gives for the user's history,
 * the deterministic code, the condition text and the expiry (`now + validityDays` days). A user
 * the rule does not cover (lapsed too briefly, no lapse date) gets a refusal, not an offer.
 */
export const issueOffer = (
  offer: Offer,
  history: UserHistory,
  ctx: IssueContext,
): Result<IssuedOffer, AmountRefusal> => {
  const decided = decideAmount(offer, history, ctx.now);
  if (!decided.ok) return decided;
  const { amount, tier, daysLapsed } = decided.value;
  const bonusRule = offer.amount.type === 'conditional_bonus' ? offer.amount.condition : undefined;
  const issued: IssuedOffer = {
    code: offerCode(ctx.secret, ctx.campaignId, ctx.userId, offer.codePrefix ?? ''),
    campaignId: ctx.campaignId,
    userId: ctx.userId,
    kind: offer.kind,
    amount,
    valueCents: valueCents(offer, amount),
    condition: conditionText({ kind: offer.kind, amount, minSpendCents: offer.minSpendCents }, bonusRule),
    issuedAt: ctx.now,
    expiresAt: ctx.now + offer.validityDays * DAY_MS,
    costRecognition: offer.costRecognition,
    expectedRedemptionRate: offer.expectedRedemptionRate,
    rule: offer.amount.type,
    ...(offer.minSpendCents === undefined ? {} : { minSpendCents: offer.minSpendCents }),
    ...(tier === undefined ? {} : { tier }),
    ...(daysLapsed === undefined ? {} : { daysLapsed }),
    ...(bonusRule === undefined
      ? {}
      : {
          bonus: {
            event: bonusRule.event,
            ...(bonusRule.minEventAmount === undefined ? {} : { minEventAmount: bonusRule.minEventAmount }),
            deadline: ctx.now + bonusRule.withinDays * DAY_MS,
          },
        }),
  };
  return ok(issued);
};
