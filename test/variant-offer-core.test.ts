import { describe, expect, it } from 'vitest';
import {
  fromCampaign,
  initialEditor,
  missingFields,
  toDefinition,
} from '../console/src/features/campaigns/definition.ts';
import { placeProblem } from '../console/src/features/campaigns/field-errors.ts';
import { zhCN } from '../console/src/lib/dict/campaign-editor.ts';
import type { Campaign } from '../console/src/lib/api-types.ts';
import {
  hasAnyOffer,
  memberOffer,
  memberVariant,
  offerChoices,
  offerForVariant,
} from '../src/core/campaigns/variant-offer.ts';
import { estimateCost } from '../src/core/cost/calculator.ts';
import { blendedOfferPlan } from '../src/core/cost/offer-plan.ts';
import { planSlot } from '../src/core/planner/plan-slot.ts';
import type { PlanCampaign, PlanUser } from '../src/core/planner/types.ts';

/**
 * Per-variant offers (issue 18), the pure parts: which offer a variant's members get, the planner
 * reserving each member's variant's offer, the calculator's one line for several offers, and the
 * console's editor state round-tripping a variant's offer through the API's definition.
 */

const coupon = (fen: number, costRecognition: 'issue' | 'redemption' = 'redemption', rate = 0.2) => ({
  kind: 'coupon' as const,
  amount: { type: 'fixed' as const, amount: fen },
  validityDays: 7,
  expectedRedemptionRate: rate,
  costRecognition,
});

const test = {
  offer: coupon(1000),
  holdoutShare: 0,
  variants: [
    { id: 'A', weight: 1, offer: coupon(500) },
    { id: 'B', weight: 1, offer: null },
    { id: 'C', weight: 1 },
  ],
};

describe('offerForVariant', () => {
  it('gives a variant its own offer, none for null, else the campaign’s', () => {
    expect(offerForVariant(test, 'A')?.amount).toEqual({ type: 'fixed', amount: 500 });
    expect(offerForVariant(test, 'B')).toBeUndefined();
    expect(offerForVariant(test, 'C')?.amount).toEqual({ type: 'fixed', amount: 1000 });
    // No test (or a variant the definition no longer has): the campaign's.
    expect(offerForVariant(test, null)?.amount).toEqual({ type: 'fixed', amount: 1000 });
    expect(offerForVariant(test, 'Z')?.amount).toEqual({ type: 'fixed', amount: 1000 });
    expect(offerForVariant({ variants: [] }, null)).toBeUndefined();
  });

  it('lists the choices, and knows whether anyone gets an offer', () => {
    expect(offerChoices(test).map((c) => [c.variant, c.offer?.amount])).toEqual([
      [null, { type: 'fixed', amount: 1000 }],
      ['A', { type: 'fixed', amount: 500 }],
      ['B', undefined],
    ]);
    // Every variant has its own: the campaign's offer reaches nobody.
    const own = { offer: coupon(1000), variants: [test.variants[0]!, test.variants[1]!] };
    expect(offerChoices(own).map((c) => c.variant)).toEqual(['A', 'B']);
    expect(hasAnyOffer(own)).toBe(true);
    expect(
      hasAnyOffer({
        variants: [
          { id: 'A', weight: 1, offer: null },
          { id: 'B', weight: 1 },
        ],
      }),
    ).toBe(false);
    // Only a variant's own offer: the campaign has an offer to issue.
    expect(
      hasAnyOffer({
        variants: [
          { id: 'A', weight: 1, offer: coupon(500) },
          { id: 'B', weight: 1 },
        ],
      }),
    ).toBe(true);
  });
});

describe('the planner reserves each member’s variant’s offer', () => {
  const users = Array.from({ length: 60 }, (_, i) => `u${i}`);
  const profile = (userId: string): PlanUser => ({
    userId,
    timezone: 'Asia/Shanghai',
    reachable: { sms: true },
    unsubscribed: new Set(),
    preferredChannel: null,
    preferredCategory: null,
  });
  const campaign: PlanCampaign = {
    id: 'offer-test',
    runId: 'r',
    step: '0',
    class: 'transactional',
    priority: 50,
    category: 'recall',
    channels: ['sms'],
    reEligibilityDays: null,
    holdoutShare: 0,
    variants: [
      { id: 'A', weight: 1, offerCents: 500, offerKind: 'coupon' },
      { id: 'B', weight: 1, offerCents: 0 },
      { id: 'C', weight: 1 },
    ],
    costPerMessage: { sms: 5 },
    offerCents: 1000,
    offerKind: 'coupon',
    budgetRemaining: null,
    department: null,
    outsideWindow: 'hold',
  };
  const input = (c: PlanCampaign) => ({
    slotAt: Date.UTC(2026, 10, 20, 4),
    campaigns: [c],
    members: new Map([[c.id, users]]),
    users: new Map(users.map((u) => [u, profile(u)])),
    history: new Map(),
    policy: {
      caps: [],
      quietHours: null,
      sendWindows: {},
      defaultTimezone: 'Asia/Shanghai',
      maxMarketingPerSlot: 1,
      channelQuota: {},
      departmentBudget: {},
    },
  });

  it('spends each message’s price plus its variant’s offer; the variant is the one memberVariant draws', () => {
    const r = planSlot(input(campaign));
    expect(r.messages).toHaveLength(users.length);
    const fen: Record<string, number> = { A: 500, B: 0, C: 1000 };
    let expected = 0;
    for (const m of r.messages) {
      expect(m.variant).toBe(memberVariant(campaign.id, { ...test, holdoutShare: 0 }, m.userId));
      expected += 5 + (fen[m.variant ?? ''] ?? 0);
    }
    expect(r.spend).toEqual({ 'offer-test': expected });
    // The shell's helper agrees with the plan on every member's offer.
    for (const m of r.messages)
      expect(memberOffer(campaign.id, test, m.userId)?.amount).toEqual(
        m.variant === 'B' ? undefined : { type: 'fixed', amount: fen[m.variant ?? ''] },
      );
  });

  it('says the variant’s own offer when the budget is short', () => {
    const r = planSlot(input({ ...campaign, budgetRemaining: 0 }));
    const details = new Set(r.skipped.map((s) => s.detail));
    expect(details).toEqual(
      new Set([
        "budget short: SMS ¥0.05 + coupon ¥5.00; the campaign's budget has ¥0.00 left",
        "budget short: SMS ¥0.05; the campaign's budget has ¥0.00 left",
        "budget short: SMS ¥0.05 + coupon ¥10.00; the campaign's budget has ¥0.00 left",
      ]),
    );
  });
});

describe('the calculator’s one line for several offers', () => {
  it('keeps the direct cost of each offer exact', () => {
    // A: 10 × ¥5 at issue; C: 20 × ¥10, 20 % redeemed.
    const line = blendedOfferPlan([
      { offer: coupon(500, 'issue'), issued: 10, totalValueCents: 5000 },
      { offer: coupon(1000, 'redemption', 0.2), issued: 20, totalValueCents: 20_000 },
    ]);
    const cost = estimateCost({
      channels: [{ channel: 'sms', recipients: 40, priceCents: 5 }],
      users: 40,
      offer: line,
      conversionRate: 0,
      baselineConversionRate: 0,
      averageOrderCents: 0,
      marginRate: 0,
    });
    expect(cost.direct.offers).toBe(5000 + Math.round(20_000 * 0.2));
    expect(line.issued).toBe(30);
    // One offer: the line is that offer's.
    expect(
      blendedOfferPlan([{ offer: coupon(500, 'issue', 0.3), issued: 4, totalValueCents: 2000 }]),
    ).toEqual({
      valueCents: 500,
      redemptionRate: 0.3,
      recognition: 'issue',
      issued: 4,
    });
  });
});

describe('the console editor', () => {
  const campaignOf = (definition: Record<string, unknown>) =>
    ({ id: 'c', name: 'ab', definition, status: 'draft', version: 1 }) as unknown as Campaign;

  it('writes the campaign’s, none or an own coupon in fen, and reads them back', () => {
    const s = initialEditor();
    const e = {
      ...s,
      name: 'offer test',
      audienceId: 'aud',
      push: { ...s.push, title: 't', body: 'b' },
      offerAmountCents: 1000,
      ab: true,
      variants: [
        { ...s.variants[0]!, id: 'A', share: 34, offer: 'custom' as const, offerCents: 500 },
        { ...s.variants[1]!, id: 'B', share: 33, offer: 'none' as const },
        { ...s.variants[1]!, id: 'C', share: 33 },
      ],
    };
    const d = toDefinition(e);
    const variants = d['variants'] as Record<string, unknown>[];
    expect(variants.map((v) => v['offer'])).toEqual([
      { ...coupon(500), validityDays: 7, expectedRedemptionRate: 0.2, costRecognition: 'redemption' },
      null,
      undefined,
    ]);
    expect('offer' in (variants[2] ?? {})).toBe(false);
    const back = fromCampaign(campaignOf(d));
    expect(back.variants.map((v) => [v.id, v.offer, v.offerCents])).toEqual([
      ['A', 'custom', 500],
      ['B', 'none', null],
      ['C', 'inherit', null],
    ]);
    expect(toDefinition(back)['variants']).toEqual(variants);
  });

  it('keeps an own offer the form cannot show, and what the form does not show of a coupon', () => {
    const tiers = {
      kind: 'coupon',
      amount: { type: 'by_days_lapsed', tiers: [{ minDays: 30, amount: 500 }] },
      validityDays: 14,
      expectedRedemptionRate: 0.4,
      costRecognition: 'issue',
    };
    const d = {
      audienceId: 'aud',
      timing: { kind: 'one_off', at: '2030-01-01T01:00:00.000Z' },
      channels: ['push'],
      content: [{ channel: 'push', title: 't', body: 'b' }],
      variants: [
        { id: 'A', weight: 1, offer: tiers },
        { id: 'B', weight: 1, offer: { ...coupon(800, 'issue', 0.5), validityDays: 30 } },
      ],
    };
    const s = fromCampaign(campaignOf(d));
    const again = toDefinition({
      ...s,
      variants: s.variants.map((v) => (v.id === 'B' ? { ...v, offerCents: 900 } : v)),
    })['variants'] as Record<string, unknown>[];
    expect(again[0]?.['offer']).toEqual(tiers);
    expect(again[1]?.['offer']).toEqual({ ...coupon(900, 'issue', 0.5), validityDays: 30 });
  });

  it('asks for the amount of an own coupon, and places the server’s problem next to the variant’s offer', () => {
    const s = initialEditor();
    const e = {
      ...s,
      ab: true,
      variants: [{ ...s.variants[0]!, offer: 'custom' as const }, s.variants[1]!],
    };
    expect(missingFields(e)).toContain('ced.missing.variantOffer');
    const t = (k: string) => (zhCN as Record<string, string>)[k] ?? k;
    const placed = placeProblem(
      {
        path: 'definition.variants[1].offer.amount.amount',
        message: 'Expected integer to be greater or equal to 1',
      },
      t as never,
      () => undefined,
      (i) => (i === 1 ? { id: 'B', channelOf: () => undefined } : undefined),
    );
    expect(placed.anchor).toBe('variant:B:offer');
    expect(placed.label).toBe('实验组 B · 权益');
  });
});
