import { Type, type Static } from '@sinclair/typebox';
import { CHANNELS } from '../channels/channels.ts';
import { COST_RECOGNITIONS } from '../offers/schema.ts';

/**
 * The plan of a campaign as the cost calculator (features.md G6) takes it. Money is in cents; rates
 * are shares between 0 and 1. The formulas are in `calculator.ts` and docs/content-and-offers.md.
 */

const rate = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });
const cents = (description: string) => Type.Number({ minimum: 0, maximum: 1e13, description });
const count = (description: string) => Type.Integer({ minimum: 0, maximum: 1e10, description });

export const ChannelPlan = Type.Object(
  {
    channel: Type.Union(
      CHANNELS.map((c) => Type.Literal(c)),
      { description: 'push · in_app · email · sms · wecom · call · webhook' },
    ),
    recipients: count('messages planned on this channel'),
    priceCents: cents('price of one message, in cents (may be fractional: ¥0.045 = 4.5)'),
    unsubscribeRate: Type.Optional(rate('share of messages that make the recipient unsubscribe; default 0')),
    complaintRate: Type.Optional(rate('share of messages that end in a complaint; default 0')),
  },
  { additionalProperties: false },
);

export const OfferPlan = Type.Object(
  {
    valueCents: cents('average value of one issued offer, in cents (points: their value)'),
    redemptionRate: rate('share of issued offers redeemed'),
    recognition: Type.Union(
      COST_RECOGNITIONS.map((r) => Type.Literal(r)),
      { description: 'booked at issue (every offer costs) or at redemption (only redeemed ones)' },
    ),
    issued: Type.Optional(count('offers issued; default: every targeted user gets one')),
  },
  { additionalProperties: false },
);

export const HiddenCostPlan = Type.Object(
  {
    reachableUserValueCents: Type.Optional(
      cents('what losing one reachable user costs (an unsubscribe), in cents; default 0'),
    ),
    complaintCostCents: Type.Optional(cents('cost of handling one complaint, in cents; default 0')),
    otherCents: Type.Optional(cents('anything else: staff time, tooling; default 0')),
  },
  { additionalProperties: false },
);

export const CostPlan = Type.Object(
  {
    channels: Type.Array(ChannelPlan, { minItems: 1, maxItems: 20 }),
    users: Type.Optional(
      count('distinct users targeted; default: the sum of recipients (one channel per user)'),
    ),
    offer: Type.Optional(OfferPlan),
    conversionRate: rate('expected share of targeted users who convert with the campaign'),
    baselineConversionRate: rate('share who convert without it (the holdout)'),
    averageOrderCents: cents('average order value of a conversion, in cents'),
    marginRate: rate('gross margin as a share of order value'),
    hidden: Type.Optional(HiddenCostPlan),
  },
  { additionalProperties: false },
);

export type ChannelPlan = Static<typeof ChannelPlan>;
export type OfferPlan = Static<typeof OfferPlan>;
export type HiddenCostPlan = Static<typeof HiddenCostPlan>;
export type CostPlan = Static<typeof CostPlan>;
