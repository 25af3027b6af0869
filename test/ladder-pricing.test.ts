import { afterEach, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { planLadderFollowUps } from '../src/campaigns/ladder-follow-ups.ts';
import { skipWords } from '../src/core/planner/decision-words.ts';
import { followUpSteps, type LadderFacts, type LadderPricing } from '../src/core/planner/ladder-gate.ts';
import type { Ladder } from '../src/core/strategies/ladder.ts';
import {
  DEFAULT_RESPONSE_RATES,
  MIN_SAMPLE,
  PRIOR_WEIGHT,
  priceEscalation,
  responseRate,
} from '../src/core/strategies/ladder-pricing.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { setChannelQuotaAs } from '../src/planner/settings-service.ts';
import { approvedCampaign, distributionUsers, plannerActors } from './support/planner-scenario.ts';
import { event, openScenario, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * Issue 17: a ladder escalates a non-responder to the next (dearer) channel only when the
 * channel's response rate on our own history × the user's value exceeds the message's cost
 * (price + offer); each decision explained with yuan in zh-CN and en.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('responseRate', () => {
  it('uses the documented default below the minimum sample, and shrinks a measured rate towards it', () => {
    expect(responseRate('sms', undefined)).toEqual({
      rate: DEFAULT_RESPONSE_RATES.sms,
      source: 'default',
      delivered: 0,
      responses: 0,
    });
    // 99 delivered, 50 responses: too few to trust, the default stands.
    expect(responseRate('sms', { delivered: MIN_SAMPLE - 1, responses: 50 }).rate).toBe(0.012);
    // 1 000 delivered, 100 responses (10 %): (100 + 200 × 0.012) / (1 000 + 200).
    const r = responseRate('sms', { delivered: 1000, responses: 100 });
    expect(r.source).toBe('history');
    expect(r.rate).toBeCloseTo((100 + PRIOR_WEIGHT * 0.012) / (1000 + PRIOR_WEIGHT), 12);
    expect(r.rate).toBeGreaterThan(0.012);
    expect(r.rate).toBeLessThan(0.1);
    // A history of no responses at all pulls the rate below the default, never to zero.
    const none = responseRate('call', { delivered: 400, responses: 0 });
    expect(none.rate).toBeCloseTo((200 * 0.05) / 600, 12);
  });
});

describe('priceEscalation', () => {
  it("says the issue's example in words: ¥0.03 expected from SMS is below its ¥0.05 cost, not escalated", () => {
    const p = priceEscalation({
      channel: 'sms',
      rate: responseRate('sms', undefined),
      valueCents: 250,
      messageCents: 5,
      offerCents: 0,
    });
    expect(p.escalate).toBe(false);
    expect(p.expectedCents).toBeCloseTo(3, 10);
    expect(p.costCents).toBe(5);
    expect(p.zh).toBe(
      '短信预期价值 ¥0.03（回应率 1.2% × 用户价值 ¥2.50，默认回应率：近 30 天送达仅 0 条）低于成本 ¥0.05，不升级',
    );
    expect(p.en).toBe(
      'SMS expected value ¥0.03 (response rate 1.2% × user value ¥2.50; default rate: only 0 delivered in 30 days) is below its cost ¥0.05: not escalated',
    );
  });

  it('counts the offer in the cost and escalates only when the expected value exceeds it', () => {
    const rate = responseRate('call', { delivered: 800, responses: 80 }); // (80 + 10) / 1000 = 9 %
    expect(rate.rate).toBeCloseTo(0.09, 12);
    const worth = priceEscalation({
      channel: 'call',
      rate,
      valueCents: 100_00,
      messageCents: 50,
      offerCents: 500,
    });
    // 9 % × ¥100 = ¥9.00 > ¥0.50 + ¥5.00
    expect(worth.escalate).toBe(true);
    expect(worth.costCents).toBe(550);
    expect(worth.zh).toBe(
      '外呼预期价值 ¥9.00（回应率 9.0% × 用户价值 ¥100.00，近 30 天 80/800 条回应）高于成本 ¥5.50（消息 ¥0.50 + 优惠 ¥5.00），升级',
    );
    // ¥60 → ¥5.40 < ¥5.50: the offer tips it.
    const not = priceEscalation({
      channel: 'call',
      rate,
      valueCents: 60_00,
      messageCents: 50,
      offerCents: 500,
    });
    expect(not.escalate).toBe(false);
    expect(not.en).toContain('is below its cost ¥5.50 (message ¥0.50 + offer ¥5.00): not escalated');
    // Exactly equal is not "exceeds".
    expect(
      priceEscalation({
        channel: 'sms',
        rate: responseRate('sms', undefined),
        valueCents: 500,
        messageCents: 6,
        offerCents: 0,
      }).escalate,
    ).toBe(false);
    // A free message is always worth sending (the floors decide who is worth disturbing).
    expect(
      priceEscalation({
        channel: 'push',
        rate: responseRate('push', undefined),
        valueCents: 0,
        messageCents: 0,
        offerCents: 0,
      }).escalate,
    ).toBe(true);
  });
});

describe('followUpSteps with pricing', () => {
  const ladder: Ladder = {
    steps: [
      { channel: 'push', waitHours: 24, minValueCents: 0 },
      { channel: 'sms', waitHours: 24, minValueCents: 0 },
      { channel: 'call', waitHours: 24, minValueCents: 100_00 },
    ],
    responseEvents: ['order'],
    doNotDisturbBelowCents: 0,
  };
  const fact = (userId: string, valueCents: number, lastStep = 0): LadderFacts => ({
    userId,
    runId: 'r1',
    lastStep,
    lastSentAt: 0,
    respondedAt: null,
    valueCents,
    left: false,
  });
  const pricing = (blocked: Record<string, Partial<Record<'sms' | 'call', string>>> = {}): LadderPricing => ({
    rates: { sms: responseRate('sms', undefined), call: responseRate('call', undefined) },
    messageCents: { sms: 5, call: 300 },
    offerCents: (u) => (u === 'rich-offer' ? 10_000 : 0),
    blocked: (u) => blocked[u],
  });

  it('escalates the users the channel pays for, prices the others out with their words', () => {
    const d = followUpSteps(
      ladder,
      [fact('rich', 500_00), fact('poor', 250), fact('rich-offer', 500_00)],
      25 * HOUR,
      pricing(),
    );
    expect(d.groups).toEqual([{ runId: 'r1', step: 1, channel: 'sms', userIds: ['rich'] }]);
    expect(d.done).toEqual({ priced_out: 2 });
    expect(d.stepSkips.map((s) => [s.userId, s.step, s.reason])).toEqual([
      ['poor', 1, 'ladder_price'],
      ['rich-offer', 1, 'ladder_price'],
    ]);
    expect(d.stepSkips[0]?.detail).toMatch(
      /^短信预期价值 ¥0\.03（.*）低于成本 ¥0\.05，不升级 \/ SMS expected value ¥0\.03/,
    );
    // 1.2 % × ¥500 = ¥6 < ¥0.05 + ¥100 offer.
    expect(d.stepSkips[1]?.detail).toContain('低于成本 ¥100.05（消息 ¥0.05 + 优惠 ¥100.00）');
    // Without pricing the same facts escalate everyone.
    expect(followUpSteps(ladder, [fact('poor', 250)], 25 * HOUR).groups[0]?.userIds).toEqual(['poor']);
  });

  it('goes past a channel the user cannot be reached on to the next step, still priced and floored', () => {
    const why = '短信无法触达该地区（新疆） / SMS cannot reach the region 新疆';
    const d = followUpSteps(
      ladder,
      [fact('far', 500_00), fact('far-poor', 50_00)],
      25 * HOUR,
      pricing({ far: { sms: why }, 'far-poor': { sms: why } }),
    );
    // far: SMS blocked → the call (5 % × ¥500 = ¥25 > ¥3); far-poor: the call's floor is ¥100.
    expect(d.groups).toEqual([{ runId: 'r1', step: 2, channel: 'call', userIds: ['far'] }]);
    expect(d.done).toEqual({ not_worth: 1 });
    expect(d.stepSkips.map((s) => [s.userId, s.step, s.reason, s.detail])).toEqual([
      ['far', 1, 'channel_blocked', why],
      ['far-poor', 1, 'channel_blocked', why],
    ]);
  });
});

describe('ladder follow-ups priced on real stores', () => {
  let store: ScenarioStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('sends the SMS step to the user it pays for, records the priced-out user with yuan in words, once', async () => {
    const NOW = Date.UTC(2026, 10, 20, 2); // 10:00 in Shanghai
    const s = await openScenario();
    store = s;
    s.setNow(NOW);
    await seed(s.warehouse, distributionUsers(NOW), [
      // Worth ¥500 and ¥2.50 over the last year (no value-model scores yet).
      event('u1', 'order', NOW - 10 * DAY, 500),
      event('u2', 'order', NOW - 10 * DAY, 2.5),
    ]);
    // u2 gets an SMS consent and number so both could take the SMS step.
    await s.warehouse.query(
      `UPDATE profiles SET phone = '13800000002', consent_sms = true WHERE user_id = 'u2'`,
    );
    const a = await plannerActors(s.control);
    await setChannelQuotaAs(s, a.admin, { channel: 'sms', quota: 1000, costCents: 5 });
    const aud = await createSavedAudience(s, a.op, {
      name: 'Buyers',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    if (!aud.ok) throw new Error('audience');
    const c = await approvedCampaign(s, a, 'Priced ladder', {
      audienceId: aud.value.id,
      timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
      channels: ['push', 'sms'],
      content: [
        { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' },
        { channel: 'sms', text: '您的专属券已到账 https://example.com/a 回T退订', signature: '【Rekindle】' },
      ],
      holdoutShare: 0,
      ladder: {
        steps: [
          { channel: 'push', waitHours: 24 },
          { channel: 'sms', waitHours: 48 },
        ],
        responseEvents: ['order'],
        doNotDisturbBelowCents: 1_00,
      },
    });
    const first = await runSlot(s, 'default', NOW);
    expect(first.campaigns[0]?.messages).toBe(2); // u1, u2 by push; the others below ¥1
    s.setNow(NOW + 25 * HOUR);
    expect(await planLadderFollowUps(s)).toEqual([
      { campaignId: c.id, sent: 1, skipped: 0, waiting: 0, done: { priced_out: 1 } },
    ]);
    const steps = await s.control.query<{ user_id: string; step: string; channel: string }>(
      'SELECT user_id, step, channel FROM outbox ORDER BY user_id, step',
    );
    expect(steps.map((r) => `${r.user_id}:${r.step}:${r.channel}`)).toEqual([
      'u1:0:push',
      'u1:1:sms',
      'u2:0:push',
    ]);
    const decided = await s.warehouse.query<{ user_id: string; reason: string; detail: string }>(
      `SELECT user_id, reason, detail FROM decided_members WHERE campaign_id = $1 AND decision = 'skipped' AND reason = 'ladder_price'`,
      [c.id],
    );
    expect(decided).toEqual([
      {
        user_id: 'u2',
        reason: 'ladder_price',
        detail:
          'ladder step 1: 短信预期价值 ¥0.03（回应率 1.2% × 用户价值 ¥2.50，默认回应率：近 30 天送达仅 0 条）低于成本 ¥0.05，不升级 / ' +
          'SMS expected value ¥0.03 (response rate 1.2% × user value ¥2.50; default rate: only 0 delivered in 30 days) is below its cost ¥0.05: not escalated',
      },
    ]);
    // "Why wasn't this user reached" reads the two sentences back out of the detail.
    expect(skipWords('ladder_price', decided[0]?.detail)).toEqual({
      zhCN: '短信预期价值 ¥0.03（回应率 1.2% × 用户价值 ¥2.50，默认回应率：近 30 天送达仅 0 条）低于成本 ¥0.05，不升级',
      en: 'SMS expected value ¥0.03 (response rate 1.2% × user value ¥2.50; default rate: only 0 delivered in 30 days) is below its cost ¥0.05: not escalated',
    });
    // Run again: u2 left the ladder (recorded once), nothing is sent twice.
    s.setNow(NOW + 26 * HOUR);
    expect((await planLadderFollowUps(s))[0]).toMatchObject({ sent: 0, done: { skipped_by_planner: 1 } });
    const again = await s.warehouse.query<{ n: bigint }>(
      `SELECT count(*) AS n FROM decided_members WHERE campaign_id = $1 AND reason = 'ladder_price'`,
      [c.id],
    );
    expect(Number(again[0]?.n)).toBe(1);
  });
});
