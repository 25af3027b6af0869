import { describe, expect, it } from 'vitest';
import {
  averageValueCents,
  estimateCost,
  offerPlan,
  validateCostPlan,
  type CostPlan,
} from '../src/core/cost/index.ts';
import {
  CODE_ALPHABET,
  expectedOfferCost,
  formatNumber,
  formatYuan,
  issueOffer,
  normaliseOfferCode,
  offerCode,
  offerCost,
  validateOffer,
  type IssueContext,
  type Offer,
  type UserHistory,
} from '../src/core/offers/index.ts';

/**
 * Offers (features.md D4) and the cost calculator (features.md G6): precise errors for invalid offers,
 * amounts by tier, share of order value and conditional bonus, deterministic codes, condition
 * texts, cost at issue and at redemption, and the calculator's numbers computed by hand.
 */

const NOW = Date.UTC(2026, 10, 20, 3, 30);
const DAY = 86_400_000;
const ctx: IssueContext = { campaignId: 'c1', userId: 'u1', now: NOW, secret: 'test-secret' };

const valid = (input: unknown): Offer => {
  const r = validateOffer(input);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
};
const problems = (input: unknown) => {
  const r = validateOffer(input);
  return r.ok ? [] : r.error;
};
const issue = (offer: Offer, history: UserHistory = {}, over: Partial<IssueContext> = {}) =>
  issueOffer(offer, history, { ...ctx, ...over });

describe('offer definitions', () => {
  const base = { validityDays: 7, expectedRedemptionRate: 0.2 };

  it('accepts a valid offer and fills the defaults', () => {
    expect(valid({ ...base, kind: 'coupon', amount: { type: 'fixed', amount: 2000 } })).toEqual({
      ...base,
      kind: 'coupon',
      amount: { type: 'fixed', amount: 2000 },
      costRecognition: 'redemption',
    });
  });

  it('names the field and the reason of every shape problem', () => {
    expect(
      problems({
        kind: 'voucher',
        amount: { type: 'percent', amount: 5 },
        validityDays: 0,
        expectedRedemptionRate: 1.5,
        codePrefix: 'rk',
        colour: 'red',
      }),
    ).toEqual([
      { path: 'offer.kind', message: "expected 'coupon' or 'red_packet' or 'points'" },
      {
        path: 'offer.amount.type',
        message:
          "unknown type 'percent' (expected one of fixed, by_days_lapsed, share_of_aov, conditional_bonus)",
      },
      { path: 'offer.validityDays', message: 'expected integer to be greater or equal to 1' },
      { path: 'offer.expectedRedemptionRate', message: 'expected number to be less or equal to 1' },
      { path: 'offer.codePrefix', message: expect.stringContaining('to match') },
      { path: 'offer.colour', message: 'unknown field' },
    ]);
    expect(problems('coupon')).toEqual([{ path: 'offer', message: 'expected an object' }]);
  });

  it('checks what the shape cannot: tier order, bounds, units, minimum spend, the bonus window', () => {
    expect(
      problems({
        ...base,
        kind: 'points',
        amount: {
          type: 'by_days_lapsed',
          tiers: [
            { minDays: 30, amount: 1000 },
            { minDays: 30, amount: 2000 },
            { minDays: 10, amount: 3000 },
          ],
        },
      }),
    ).toEqual([
      { path: 'offer.pointValueCents', message: 'is required for points (what one point costs, in cents)' },
      {
        path: 'offer.amount.tiers[1].minDays',
        message: 'must be greater than the tier before it (30 after 30)',
      },
      {
        path: 'offer.amount.tiers[2].minDays',
        message: 'must be greater than the tier before it (10 after 30)',
      },
    ]);
    expect(
      problems({
        ...base,
        kind: 'coupon',
        amount: { type: 'share_of_aov', share: 0.1, min: 1000, max: 500, roundTo: 300 },
        minSpendCents: 400,
      }),
    ).toEqual([
      { path: 'offer.amount.max', message: 'must be at least amount.min (500 < 1000)' },
      {
        path: 'offer.amount.roundTo',
        message: 'min (1000) and max (500) must be multiples of roundTo (300)',
      },
      {
        path: 'offer.minSpendCents',
        message:
          'must be greater than the largest coupon amount (500 cents ≥ 400): the coupon would pay the whole order',
      },
    ]);
    expect(
      problems({
        ...base,
        kind: 'red_packet',
        amount: { type: 'fixed', amount: 500 },
        minSpendCents: 1000,
        pointValueCents: 1,
      }),
    ).toEqual([
      {
        path: 'offer.pointValueCents',
        message: 'only points have a point value (this offer is a red_packet)',
      },
      {
        path: 'offer.minSpendCents',
        message: 'only coupons have a minimum spend (this offer is a red_packet)',
      },
    ]);
    expect(
      problems({
        ...base,
        kind: 'points',
        pointValueCents: 1,
        amount: { type: 'conditional_bonus', amount: 1000, condition: { event: 'invest', withinDays: 10 } },
      }),
    ).toEqual([
      {
        path: 'offer.amount.condition.withinDays',
        message: 'the condition window (10 days) must end before the offer expires (validityDays 7)',
      },
    ]);
    expect(
      validateOffer({ ...base, kind: 'coupon', amount: { type: 'fixed', amount: 1 } }, 'variants[1].offer'),
    ).toEqual({
      ok: true,
      value: expect.objectContaining({ kind: 'coupon' }),
    });
    expect(problems({ ...base, kind: 'coupon' })).toEqual([{ path: 'offer.amount', message: 'is required' }]);
  });
});

describe('issuing offers', () => {
  it('prices a renewal by days lapsed: the last tier reached, nothing before the first', () => {
    const renewal = valid({
      kind: 'coupon',
      amount: {
        type: 'by_days_lapsed',
        tiers: [
          { minDays: 30, amount: 1000 },
          { minDays: 90, amount: 2000 },
          { minDays: 180, amount: 3000 },
        ],
      },
      minSpendCents: 19_800,
      validityDays: 14,
      expectedRedemptionRate: 0.15,
    });
    const at = (daysAgo: number) => issue(renewal, { lapsedSince: NOW - daysAgo * DAY });
    expect(at(29.9)).toEqual({
      ok: false,
      error: { code: 'not_eligible', message: 'lapsed 29 days; the first tier starts at 30 days' },
    });
    expect(at(30)).toMatchObject({ ok: true, value: { amount: 1000, tier: 0, daysLapsed: 30 } });
    expect(at(179.5)).toMatchObject({ ok: true, value: { amount: 2000, tier: 1, daysLapsed: 179 } });
    expect(at(400)).toMatchObject({ ok: true, value: { amount: 3000, tier: 2, daysLapsed: 400 } });
    expect(issue(renewal, {})).toEqual({
      ok: false,
      error: {
        code: 'no_history',
        message: 'the amount depends on days lapsed, but the user has no lapse date',
      },
    });
    const issued = at(100);
    expect(issued.ok && issued.value).toEqual({
      code: 'P3TF96M14H9W',
      campaignId: 'c1',
      userId: 'u1',
      kind: 'coupon',
      amount: 2000,
      valueCents: 2000,
      minSpendCents: 19_800,
      condition: { zh: '满198元减20元', en: '¥20 off orders of ¥198 or more' },
      issuedAt: NOW,
      expiresAt: NOW + 14 * DAY,
      costRecognition: 'redemption',
      expectedRedemptionRate: 0.15,
      rule: 'by_days_lapsed',
      tier: 1,
      daysLapsed: 100,
    });
  });

  it('gives a share of the average order value, rounded, within bounds', () => {
    const share = valid({
      kind: 'red_packet',
      amount: { type: 'share_of_aov', share: 0.1, min: 500, max: 5000, roundTo: 100 },
      validityDays: 7,
      expectedRedemptionRate: 0.3,
    });
    const amount = (averageOrderCents: number | null) => {
      const r = issue(share, { averageOrderCents });
      return r.ok ? r.value.amount : r.error.code;
    };
    expect(amount(12_345)).toBe(1200); // 1234.5 → nearest ¥1 → 1200
    expect(amount(14_950)).toBe(1500); // 1495 → 1500 (halves up)
    expect(amount(3000)).toBe(500); // 300 → the minimum
    expect(amount(null)).toBe(500); // no orders → the minimum
    expect(amount(1_000_000)).toBe(5000); // 100 000 → the maximum
    const issued = issue(share, { averageOrderCents: 12_345 });
    expect(issued.ok && issued.value.condition).toEqual({ zh: '12元红包', en: 'A ¥12 red packet' });

    const points = valid({
      kind: 'points',
      amount: { type: 'share_of_aov', share: 0.01, min: 100, max: 10_000, roundTo: 10 },
      pointValueCents: 0.5,
      validityDays: 30,
      expectedRedemptionRate: 0.15,
    });
    // 1% of ¥250 = 250 cents = 500 points at 0.5 cent each
    const p = issue(points, { averageOrderCents: 25_000 });
    expect(p.ok && [p.value.amount, p.value.valueCents, p.value.condition.zh]).toEqual([500, 250, '500积分']);
  });

  it('issues a conditional bonus with its condition and deadline in Chinese and English', () => {
    const bonus = valid({
      kind: 'points',
      amount: {
        type: 'conditional_bonus',
        amount: 1000,
        condition: {
          event: 'invest',
          minEventAmount: 10_000,
          withinDays: 7,
          action: { zh: '投资', en: 'invest' },
        },
      },
      pointValueCents: 1,
      validityDays: 30,
      expectedRedemptionRate: 0.05,
      costRecognition: 'redemption',
    });
    const r = issue(bonus);
    expect(r.ok && r.value).toMatchObject({
      amount: 1000,
      valueCents: 1000,
      condition: {
        zh: '7天内投资满10,000元，即得1,000积分',
        en: 'Invest ¥10,000 or more within 7 days to get 1,000 points',
      },
      bonus: { event: 'invest', minEventAmount: 10_000, deadline: NOW + 7 * DAY },
      expiresAt: NOW + 30 * DAY,
      rule: 'conditional_bonus',
    });
    const plain = valid({
      kind: 'coupon',
      amount: { type: 'conditional_bonus', amount: 2000, condition: { event: 'first_order', withinDays: 3 } },
      validityDays: 3,
      expectedRedemptionRate: 0.1,
    });
    const q = issue(plain);
    expect(q.ok && q.value.condition).toEqual({
      zh: '3天内完成“first_order”，即得无门槛减20元',
      en: 'Get ¥20 off any order when you complete "first_order" within 3 days',
    });
  });

  it('derives the code from campaign, user and secret: the same inputs give the same code', () => {
    // P3TF96M14H9W: HMAC-SHA256('test-secret', '["c1","u1"]'), first 60 bits in Crockford base32,
    // computed independently with Python's hmac module
    expect(offerCode('test-secret', 'c1', 'u1')).toBe('P3TF96M14H9W');
    expect(offerCode('s', 'c1', 'u1')).toBe('S1E5HKNKJRHY');
    expect(offerCode('s', 'ab', 'c')).not.toBe(offerCode('s', 'a', 'bc'));
    expect(offerCode('s', 'c1', 'u2')).not.toBe(offerCode('s', 'c1', 'u1'));
    expect(offerCode('s', 'c2', 'u1')).not.toBe(offerCode('s', 'c1', 'u1'));
    expect(offerCode('s', 'c1', 'u1', 'RK')).toBe('RKS1E5HKNKJRHY');
    expect(() => offerCode('', 'c1', 'u1')).toThrow('secret');

    const fixed = valid({
      kind: 'coupon',
      amount: { type: 'fixed', amount: 500 },
      validityDays: 1,
      expectedRedemptionRate: 0.1,
    });
    const codes = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const r = issue(fixed, {}, { userId: `user-${i}` });
      if (!r.ok) throw new Error('not issued');
      expect(r.value.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
      codes.add(r.value.code);
    }
    expect(codes.size).toBe(2000);
    expect(CODE_ALPHABET).not.toMatch(/[ILOU]/);
    const again = issue(fixed, {}, { userId: 'user-7', now: NOW + DAY });
    expect(again.ok && again.value.code).toBe(offerCode('test-secret', 'c1', 'user-7'));
    expect(normaliseOfferCode('s1e5-hknk-jrhy')).toBe('S1E5HKNKJRHY');
    expect(normaliseOfferCode('SIE5 HKNK JRHY')).toBe('S1E5HKNKJRHY');
  });

  it('writes money and numbers as people do', () => {
    expect([formatYuan(2000), formatYuan(2050), formatYuan(5), formatYuan(1_000_000)]).toEqual([
      '20',
      '20.50',
      '0.05',
      '10,000',
    ]);
    expect([formatNumber(1_234_567.5), formatNumber(1000), formatNumber(0.125)]).toEqual([
      '1,234,567.5',
      '1,000',
      '0.13',
    ]);
  });
});

describe('offer cost', () => {
  it('books at issue or at redemption', () => {
    const atRedemption = {
      valueCents: 2000,
      costRecognition: 'redemption' as const,
      expectedRedemptionRate: 0.1,
    };
    expect(offerCost(atRedemption, { redeemed: false })).toEqual({ atIssue: 0, atRedemption: 0, total: 0 });
    expect(offerCost(atRedemption, { redeemed: true })).toEqual({
      atIssue: 0,
      atRedemption: 2000,
      total: 2000,
    });
    const atIssue = { ...atRedemption, costRecognition: 'issue' as const };
    expect(offerCost(atIssue, { redeemed: false })).toEqual({ atIssue: 2000, atRedemption: 0, total: 2000 });
    expect(offerCost(atIssue, { redeemed: true })).toEqual({ atIssue: 2000, atRedemption: 0, total: 2000 });
    expect(expectedOfferCost(atRedemption)).toBe(200);
    expect(expectedOfferCost(atIssue)).toBe(2000);
    expect(
      expectedOfferCost({ valueCents: 250, costRecognition: 'redemption', expectedRedemptionRate: 0.15 }),
    ).toBe(38); // 37.5
  });
});

describe('cost calculator', () => {
  // Seed article 001 §3: 10 000 lapsed users, SMS at ¥0.05, a ¥20 coupon redeemed by 10 %.
  const seed: CostPlan = {
    channels: [
      { channel: 'sms', recipients: 10_000, priceCents: 5, unsubscribeRate: 0.002, complaintRate: 0.0005 },
    ],
    offer: { valueCents: 2000, redemptionRate: 0.1, recognition: 'redemption' },
    conversionRate: 0.12,
    baselineConversionRate: 0.04,
    averageOrderCents: 15_000,
    marginRate: 0.3,
    hidden: { reachableUserValueCents: 3000, complaintCostCents: 10_000, otherCents: 200_000 },
  };

  it("reproduces the seed's direct costs and adds opportunity, hidden costs and ROI", () => {
    const e = estimateCost(seed);
    expect(e.direct).toEqual({ messages: 50_000, offers: 2_000_000 }); // ¥500 and ¥20 000
    // 1 000 redemptions among 1 200 converters, of whom 400 (1/3) would have converted anyway
    expect(e.opportunity).toBe(666_667);
    // 20 unsubscribes × ¥30 + 5 complaints × ¥100 + ¥2 000
    expect(e.hiddenBreakdown).toEqual({ unsubscribes: 60_000, complaints: 50_000, other: 200_000 });
    expect(e.hidden).toBe(310_000);
    expect(e.total).toBe(2_360_000);
    expect(e.users).toBe(10_000);
    expect(e.expectedRedemptions).toBe(1000);
    expect(e.expectedUnsubscribes).toBeCloseTo(20, 9);
    expect(e.expectedComplaints).toBeCloseTo(5, 9);
    expect(e.expectedConversions).toBeCloseTo(1200, 9);
    expect(e.expectedIncrementalConversions).toBeCloseTo(800, 9);
    expect(e.expectedRevenue).toBe(18_000_000); // 1 200 × ¥150
    expect(e.expectedIncrementalMargin).toBe(3_600_000); // 800 × ¥150 × 30 %
    expect(e.roi).toBeCloseTo(1_240_000 / 2_360_000, 12); // 0.5254
    expect(e.costPerIncrementalConversion).toBe(2950);
  });

  it('books every issued offer at issue, and shows a campaign that loses money', () => {
    const e = estimateCost({
      channels: [
        { channel: 'push', recipients: 10_000, priceCents: 0 },
        { channel: 'sms', recipients: 3000, priceCents: 4.5 },
      ],
      users: 10_000,
      offer: { valueCents: 500, redemptionRate: 0.3, recognition: 'issue' },
      conversionRate: 0.02,
      baselineConversionRate: 0.03,
      averageOrderCents: 10_000,
      marginRate: 0.2,
    });
    expect(e.direct).toEqual({ messages: 13_500, offers: 5_000_000 });
    // 3 000 redemptions but only 200 converters, all of whom would have converted anyway
    expect(e.opportunity).toBe(100_000);
    expect(e.hidden).toBe(0);
    expect(e.total).toBe(5_013_500);
    expect(e.expectedIncrementalConversions).toBeCloseTo(-100, 9);
    expect(e.expectedIncrementalMargin).toBe(-200_000);
    expect(e.roi).toBeCloseTo(-5_213_500 / 5_013_500, 12);
    expect(e.costPerIncrementalConversion).toBeNull();
  });

  it('has no ROI when nothing is spent, and feeds an offer definition through its issued values', () => {
    const free = estimateCost({
      channels: [{ channel: 'push', recipients: 100, priceCents: 0 }],
      conversionRate: 0.1,
      baselineConversionRate: 0.05,
      averageOrderCents: 1000,
      marginRate: 0.5,
    });
    expect([free.total, free.roi, free.expectedIncrementalMargin]).toEqual([0, null, 2500]);

    const share = valid({
      kind: 'red_packet',
      amount: { type: 'share_of_aov', share: 0.1, min: 500, max: 5000, roundTo: 100 },
      validityDays: 7,
      expectedRedemptionRate: 0.25,
    });
    const sampleOffers = [10_000, 30_000, 80_000].map((aov, i) => {
      const r = issue(share, { averageOrderCents: aov }, { userId: `s${i}` });
      if (!r.ok) throw new Error('not issued');
      return r.value;
    });
    const line = offerPlan(share, averageValueCents(sampleOffers)); // (1000 + 3000 + 5000) / 3
    expect(line).toEqual({ valueCents: 3000, redemptionRate: 0.25, recognition: 'redemption' });
    const e = estimateCost({ ...seed, offer: line });
    expect(e.direct.offers).toBe(7_500_000); // 10 000 × 25 % × ¥30 = ¥75 000
  });

  it('validates a plan with exact paths', () => {
    expect(validateCostPlan(seed)).toEqual({ ok: true, value: seed });
    const bad = validateCostPlan({
      channels: [],
      conversionRate: 1.2,
      baselineConversionRate: 0,
      averageOrderCents: 1,
      marginRate: 0.1,
      extra: 1,
    });
    expect(bad).toEqual({
      ok: false,
      error: [
        { path: 'plan.channels', message: 'expected at least 1 items' },
        { path: 'plan.conversionRate', message: 'expected number to be less or equal to 1' },
        { path: 'plan.extra', message: 'unknown field' },
      ],
    });
    expect(validateCostPlan({ ...seed, users: 100, offer: { ...seed.offer, issued: 200 } })).toEqual({
      ok: false,
      error: [
        { path: 'plan.channels[0].recipients', message: '10000 is more than the 100 users targeted' },
        { path: 'plan.offer.issued', message: '200 offers for 100 users: at most one offer per user' },
      ],
    });
  });
});
