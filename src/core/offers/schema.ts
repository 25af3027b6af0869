import { Type, type Static } from '@sinclair/typebox';

/**
 * An offer (features.md D4): what a campaign gives each recipient — a coupon, a red packet or points —
 * and how much, possibly depending on the user's history. These TypeBox schemas are the request
 * validation, the TypeScript types and the OpenAPI documentation; `validate.ts` adds the checks
 * between fields. Amounts are integers in the offer's unit: cents (fen) for coupons and red
 * packets, points for points.
 */

export const OFFER_KINDS = ['coupon', 'red_packet', 'points'] as const;
export type OfferKind = (typeof OFFER_KINDS)[number];

export const MAX_OFFER_AMOUNT = 100_000_000;

const amount = (description = 'cents (fen) for coupons and red packets, points for points') =>
  Type.Integer({ minimum: 1, maximum: MAX_OFFER_AMOUNT, description });

export const FixedAmount = Type.Object(
  { type: Type.Literal('fixed'), amount: amount() },
  { additionalProperties: false, description: 'the same amount for everyone' },
);

export const LapsedTier = Type.Object(
  {
    minDays: Type.Integer({ minimum: 0, maximum: 36_500, description: 'from this many days lapsed' }),
    amount: amount(),
  },
  { additionalProperties: false },
);

export const DaysLapsedAmount = Type.Object(
  {
    type: Type.Literal('by_days_lapsed'),
    tiers: Type.Array(LapsedTier, {
      minItems: 1,
      maxItems: 20,
      description:
        'ascending by minDays; a user gets the last tier they reach (e.g. a cheaper renewal the longer a member has lapsed); before the first tier the user gets no offer',
    }),
  },
  { additionalProperties: false, description: 'by days since the user lapsed' },
);

export const ShareOfAovAmount = Type.Object(
  {
    type: Type.Literal('share_of_aov'),
    share: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      description: "share of the user's average order value, e.g. 0.1",
    }),
    min: amount('lower bound, also the amount for users without orders'),
    max: amount('upper bound'),
    roundTo: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description: 'round to a multiple of this (e.g. 100: whole yuan); default 1',
      }),
    ),
  },
  { additionalProperties: false, description: "a share of the user's average order value, within bounds" },
);

export const BonusCondition = Type.Object(
  {
    event: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'the event that earns the bonus, e.g. invest',
    }),
    minEventAmount: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: "the event's `amount` must reach this (in the unit events carry, yuan), e.g. 10000",
      }),
    ),
    withinDays: Type.Integer({ minimum: 1, maximum: 366, description: 'days after issue to do it' }),
    action: Type.Optional(
      Type.Object(
        {
          zh: Type.String({ minLength: 1, maxLength: 20, description: 'e.g. 投资' }),
          en: Type.String({ minLength: 1, maxLength: 40, description: 'e.g. invest' }),
        },
        { additionalProperties: false, description: 'the event in words, for the condition text' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ConditionalBonusAmount = Type.Object(
  {
    type: Type.Literal('conditional_bonus'),
    amount: amount(),
    condition: BonusCondition,
  },
  {
    additionalProperties: false,
    description:
      'granted only when the user does something, e.g. 1000 points for investing ≥ 10 000 in 7 days',
  },
);

export const AmountRule = Type.Union(
  [FixedAmount, DaysLapsedAmount, ShareOfAovAmount, ConditionalBonusAmount],
  {
    description: 'how much each user gets, discriminated by `type`',
  },
);

export const COST_RECOGNITIONS = ['issue', 'redemption'] as const;
export type CostRecognition = (typeof COST_RECOGNITIONS)[number];

export const Offer = Type.Object(
  {
    kind: Type.Union(
      OFFER_KINDS.map((k) => Type.Literal(k)),
      { description: 'coupon · red_packet · points' },
    ),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    amount: AmountRule,
    minSpendCents: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_OFFER_AMOUNT,
        description: 'coupons only: the order must reach this (满 X 减 Y)',
      }),
    ),
    validityDays: Type.Integer({
      minimum: 1,
      maximum: 366,
      description: 'the offer expires this long after issue',
    }),
    expectedRedemptionRate: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'share of issued offers expected to be redeemed, for budgets and the cost calculator',
    }),
    pointValueCents: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 10_000,
        description: 'points only: what one point costs the business, in cents',
      }),
    ),
    costRecognition: Type.Union(
      COST_RECOGNITIONS.map((k) => Type.Literal(k)),
      {
        default: 'redemption',
        description: 'book the cost when the offer is issued (e.g. cash red packets) or when it is redeemed',
      },
    ),
    codePrefix: Type.Optional(
      Type.String({
        pattern: '^[0-9A-HJKMNP-TV-Z]{1,8}$',
        description: 'printed before every code, e.g. RK (Crockford base32: no I, L, O, U)',
      }),
    ),
  },
  { additionalProperties: false },
);

export type FixedAmount = Static<typeof FixedAmount>;
export type DaysLapsedAmount = Static<typeof DaysLapsedAmount>;
export type ShareOfAovAmount = Static<typeof ShareOfAovAmount>;
export type ConditionalBonusAmount = Static<typeof ConditionalBonusAmount>;
export type BonusCondition = Static<typeof BonusCondition>;
export type AmountRule = Static<typeof AmountRule>;
export type Offer = Static<typeof Offer>;
