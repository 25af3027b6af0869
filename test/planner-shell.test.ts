import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { createCampaignAs, reviewCampaignAs, submitCampaignAs } from '../src/campaigns/campaigns.ts';
import { estimateCampaignAs, previewCampaignAs } from '../src/campaigns/estimate.ts';
import { planLadderFollowUps } from '../src/campaigns/ladder-follow-ups.ts';
import { redeemOfferAs } from '../src/campaigns/offers.ts';
import { triggerTick } from '../src/campaigns/triggers.ts';
import type { EventRow } from '../src/core/events/rows.ts';
import { finishDeliveredCampaigns } from '../src/campaigns/finish-delivered.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { hashString } from '../src/core/planner/hash.ts';
import { localWindows } from '../src/core/planner/local-windows.ts';
import { spreadOffsetMinutes } from '../src/core/planner/spreading.ts';
import { recordUnsubscribeAs, setChannelQuotaAs } from '../src/planner/settings-service.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient } from '../src/storage/control/sql-client.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import {
  approvedCampaign,
  distributionUsers,
  makeActor,
  plannerActors,
  type PlannerActors,
} from './support/planner-scenario.ts';
import { event, openScenario, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * The planner's shell on real stores (DuckDB in memory, PGlite): due campaigns planned together
 * into the outbox, reasons for everyone left out, no double planning when two runs race, and
 * triggered campaigns with a delay and an "unless" event. The pure planner's rules are proven in
 * planner.test.ts and planner-property.test.ts; here the wiring is.
 */

const NOW = Date.UTC(2026, 10, 20, 12); // 20:00 in Shanghai, 07:00 in New York
const HOUR = 3_600_000;

let store: ScenarioStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const users = () => distributionUsers(NOW);

const content = [
  { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' },
  { channel: 'sms', text: '您的专属券已到账 https://example.com/a 回T退订', signature: '【Rekindle】' },
];

const approved = (s: ScenarioStore, a: PlannerActors, name: string, definition: Record<string, unknown>) =>
  approvedCampaign(s, a, name, definition);

const setup = async () => {
  const s = await openScenario();
  store = s;
  s.setNow(NOW);
  await seed(s.warehouse, users());
  const a = await plannerActors(s.control);
  const aud = await createSavedAudience(s, a.op, {
    name: 'Distribution users',
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
  });
  if (!aud.ok) throw new Error('audience');
  return { s, a, audienceId: aud.value.id };
};

const outbox = (s: ScenarioStore) =>
  s.control.query<{
    campaign_id: string;
    user_id: string;
    channel: string;
    send_at: Date;
    cost_cents: number;
    idempotency_key: string;
  }>(
    'SELECT campaign_id, user_id, channel, send_at, cost_cents, idempotency_key FROM outbox ORDER BY user_id, campaign_id',
  );

describe('planner shell', () => {
  it('plans due campaigns together: one message per user, opt-outs, reach, quiet hours, budgets', async () => {
    const { s, a, audienceId } = await setup();
    await setChannelQuotaAs(s, a.admin, { channel: 'sms', quota: 1000, costCents: 5 });
    await recordUnsubscribeAs(s, a.op, { userId: 'u4', channel: 'all', source: 'reply TD' });
    const one = { kind: 'one_off', at: new Date(NOW).toISOString() };
    const hi = await approved(s, a, 'High', {
      audienceId,
      timing: one,
      channels: ['sms', 'push'],
      content,
      priority: 80,
      holdoutShare: 0,
      budgetCents: 5,
    });
    const lo = await approved(s, a, 'Low', {
      audienceId,
      timing: one,
      channels: ['push'],
      content: [content[0]],
      priority: 50,
      holdoutShare: 0,
    });

    const report = await runSlot(s, 'default', NOW);
    expect(report.campaigns.map((c) => c.campaignId).sort()).toEqual([hi.id, lo.id].sort());
    for (const c of report.campaigns) {
      expect(c.members).toBe(5);
      expect(c.messages + c.holdout + c.skipped).toBe(5);
    }
    const sent = await outbox(s);
    // Nobody gets two marketing messages in one slot.
    expect(new Set(sent.map((m) => m.user_id)).size).toBe(sent.length);
    expect(sent.map((m) => m.user_id)).toEqual(['u1', 'u2', 'u3']);
    // The high-priority campaign's budget (5 cents) pays one SMS at most.
    const hiSpend = sent.filter((m) => m.campaign_id === hi.id).reduce((t, m) => t + Number(m.cost_cents), 0);
    expect(hiSpend).toBeLessThanOrEqual(5);
    // u3 is in New York where it is 07:00: held to 08:00 local (13:00 UTC), then spread over the
    // first two hours of the window by a hash of the user (the default quietSpreadMinutes).
    const u3At = sent.find((m) => m.user_id === 'u3')?.send_at.getTime() ?? 0;
    const u3Offset = spreadOffsetMinutes(
      localWindows({ start: '22:00', end: '08:00' }, undefined, 'push'),
      8 * 60,
      120,
      hashString('u3'),
    );
    expect(u3At).toBe(NOW + HOUR + u3Offset * 60_000);
    expect(u3At).toBeGreaterThanOrEqual(NOW + HOUR);
    expect(u3At).toBeLessThan(NOW + 3 * HOUR);
    for (const m of sent)
      expect(m.idempotency_key).toBe(`${m.campaign_id}:${m.campaign_id}@${NOW}:0:${m.user_id}`);

    const decisions = await s.warehouse.query<{ campaign_id: string; user_id: string; reason: string }>(
      `SELECT campaign_id, user_id, reason FROM decided_members WHERE decision = 'skipped' ORDER BY user_id, campaign_id`,
    );
    const reasonOf = (campaignId: string, userId: string) =>
      decisions.find((d) => d.campaign_id === campaignId && d.user_id === userId)?.reason;
    expect(reasonOf(hi.id, 'u4')).toBe('unsubscribed');
    expect(reasonOf(lo.id, 'u4')).toBe('unsubscribed');
    expect(reasonOf(hi.id, 'u5')).toBe('unreachable');

    const runs = await s.control.query<{ campaign_id: string; messages: number }>(
      'SELECT campaign_id, messages FROM campaign_runs',
    );
    expect(runs).toHaveLength(2);
    const status = await s.control.query<{
      id: string;
      status: string;
      next_slot_at: Date | null;
      awaiting_delivery: boolean;
    }>('SELECT id, status, next_slot_at, awaiting_delivery FROM campaigns');
    const stateOf = (id: string) => {
      const c = status.find((x) => x.id === id);
      return [c?.status, c?.next_slot_at, c?.awaiting_delivery];
    };
    // Past its last slot with messages still to send, a campaign runs until the last one has an
    // outcome; a campaign with none is finished at once.
    const open = (id: string) => sent.some((m) => m.campaign_id === id);
    for (const id of [hi.id, lo.id])
      expect(stateOf(id)).toEqual(open(id) ? ['running', null, true] : ['finished', null, false]);
    expect(open(hi.id)).toBe(true);
    expect(await finishDeliveredCampaigns(s.control, NOW)).toEqual([]);
    await s.control.query(`UPDATE outbox SET status = 'sent'`);
    expect((await finishDeliveredCampaigns(s.control, NOW)).sort()).toEqual(
      [hi.id, lo.id].filter(open).sort(),
    );
    await s.control.query(`UPDATE outbox SET status = 'pending'`);

    // Planning the same slot again finds nothing due and writes nothing.
    expect((await runSlot(s, 'default', NOW)).campaigns).toEqual([]);
    expect(await outbox(s)).toHaveLength(sent.length);
  });

  it('two planner runs racing for the same slot plan it once', async () => {
    const { s, a, audienceId } = await setup();
    s.setNow(NOW - HOUR); // approved an hour before today's 20:00 slot
    await approved(s, a, 'Daily', {
      audienceId,
      timing: { kind: 'periodic', cron: '0 20 * * *', timezone: 'Asia/Shanghai' },
      channels: ['push'],
      content: [content[0]],
      holdoutShare: 0,
    });
    s.setNow(NOW);
    const [r1, r2] = await Promise.all([runSlot(s, 'default', NOW), runSlot(s, 'default', NOW)]);
    expect(r1.campaigns.length + r2.campaigns.length).toBe(1);
    const sent = await outbox(s);
    expect(sent.map((m) => m.user_id)).toEqual(['u1', 'u2', 'u3', 'u4']);
    // The next day's slot is owed: 20:00 Shanghai = 12:00 UTC tomorrow.
    const [c] = await s.control.query<{ status: string; next_slot_at: Date }>(
      'SELECT status, next_slot_at FROM campaigns',
    );
    expect(c).toMatchObject({ status: 'running' });
    expect(c?.next_slot_at.getTime()).toBe(NOW + 24 * HOUR);
    // Tomorrow the daily cap (one marketing message a calendar day) is fresh again.
    s.setNow(NOW + 24 * HOUR);
    await runSlot(s, 'default', NOW + 24 * HOUR);
    expect(await outbox(s)).toHaveLength(8);
  });

  it('triggers: an order paid and not dispatched within an hour gets one message; a dispatched one none', async () => {
    const { s, a, audienceId } = await setup();
    await approved(s, a, 'Not dispatched', {
      audienceId,
      class: 'transactional',
      timing: { kind: 'triggered', event: 'order_paid', delayMinutes: 60, unlessEvent: 'order_dispatched' },
      channels: ['push'],
      content: [content[0]],
      holdoutShare: 0,
    });
    const withOrder = (e: EventRow, orderId: string, at: number): EventRow => ({
      ...e,
      orderId,
      receivedAt: at,
    });
    expect(await triggerTick(s)).toEqual({ matched: 0, planned: { sent: 0, holdout: 0, skipped: 0 } });
    await seed(
      s.warehouse,
      [],
      [
        withOrder(event('u1', 'order_paid', NOW + 1000), 'o1', NOW + 1000),
        withOrder(event('u2', 'order_paid', NOW + 1000), 'o2', NOW + 1000),
        withOrder(event('u2', 'view_item', NOW + 1000), 'o2', NOW + 1000),
      ],
    );
    s.setNow(NOW + 2000);
    expect(await triggerTick(s)).toEqual({ matched: 2, planned: { sent: 0, holdout: 0, skipped: 0 } });
    // Seen again behind the cursor's lag: queued once.
    expect((await triggerTick(s)).matched).toBe(0);
    await seed(
      s.warehouse,
      [],
      [withOrder(event('u2', 'order_dispatched', NOW + 30 * 60_000), 'o2', NOW + 30 * 60_000)],
    );
    s.setNow(NOW + 61 * 60_000);
    expect(await triggerTick(s)).toEqual({ matched: 0, planned: { sent: 1, holdout: 0, skipped: 1 } });
    expect((await outbox(s)).map((m) => m.user_id)).toEqual(['u1']);
    const q = await s.control.query<{ user_id: string; status: string; reason: string | null }>(
      'SELECT user_id, status, reason FROM trigger_queue ORDER BY user_id',
    );
    expect(q).toEqual([
      { user_id: 'u1', status: 'sent', reason: null },
      { user_id: 'u2', status: 'skipped', reason: 'condition_met' },
    ]);
  });

  it('a recall ladder escalates only non-responders worth the next channel, then finishes', async () => {
    const { s, a, audienceId } = await setup();
    const DAY = 24 * HOUR;
    await seed(
      s.warehouse,
      [],
      [
        event('u1', 'order', NOW - 10 * DAY, 500),
        event('u3', 'order', NOW - 10 * DAY, 200),
        event('u4', 'order', NOW - 10 * DAY, 50),
      ],
    );
    s.setNow(NOW - HOUR);
    const c = await approved(s, a, 'Win back ladder', {
      audienceId,
      timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
      channels: ['push', 'sms'],
      content,
      holdoutShare: 0,
      ladder: {
        steps: [
          { channel: 'push', waitHours: 24 },
          { channel: 'sms', waitHours: 48, minValueCents: 100_00 },
          { channel: 'push', waitHours: 24, minValueCents: 1000_00 },
        ],
        responseEvents: ['order'],
        doNotDisturbBelowCents: 1_00,
      },
    });
    s.setNow(NOW);
    const first = await runSlot(s, 'default', NOW);
    expect(first.campaigns[0]).toMatchObject({ members: 5, messages: 3, skipped: 2 });
    // u2 and u5 never bought anything: below the ladder's floor, not disturbed at all.
    expect(first.campaigns[0]?.skipReasons).toEqual({ do_not_disturb: 2 });
    const steps = async () =>
      (
        await s.control.query<{ user_id: string; step: string; channel: string }>(
          'SELECT user_id, step, channel FROM outbox ORDER BY user_id, step',
        )
      ).map((r) => `${r.user_id}:${r.step}:${r.channel}`);
    expect(await steps()).toEqual(['u1:0:push', 'u3:0:push', 'u4:0:push']);
    expect((await s.control.query<{ status: string }>('SELECT status FROM campaigns'))[0]?.status).toBe(
      'running',
    );

    // u3 answers with an order; a day later u1 (worth 500 yuan) gets the SMS, u4 (50 yuan) is not worth it.
    await seed(s.warehouse, [], [event('u3', 'order', NOW + 3 * HOUR, 80)]);
    s.setNow(NOW + 12 * HOUR);
    // A response ends the ladder at once; the others wait out the first step's 24 hours.
    expect(await planLadderFollowUps(s)).toEqual([
      { campaignId: c.id, sent: 0, skipped: 0, waiting: 2, done: { responded: 1 } },
    ]);
    s.setNow(NOW + 25 * HOUR);
    expect(await planLadderFollowUps(s)).toEqual([
      { campaignId: c.id, sent: 1, skipped: 0, waiting: 0, done: { responded: 1, not_worth: 1 } },
    ]);
    expect(await steps()).toEqual(['u1:0:push', 'u1:1:sms', 'u3:0:push', 'u4:0:push']);
    // Running it again sends nothing twice.
    expect((await planLadderFollowUps(s))[0]).toMatchObject({ sent: 0, waiting: 1 });
    // Two days after the SMS, the last step needs 1 000 yuan: u1 is done, and so is the ladder.
    s.setNow(NOW + 74 * HOUR);
    expect((await planLadderFollowUps(s))[0]).toMatchObject({
      sent: 0,
      waiting: 0,
      done: { not_worth: 2, responded: 1 },
    });
    // The strategy has run its course, but its last SMS still has no outcome: running until it does.
    const state = () =>
      s.control.query<{ status: string; awaiting_delivery: boolean }>(
        'SELECT status, awaiting_delivery FROM campaigns',
      );
    expect(await state()).toEqual([{ status: 'running', awaiting_delivery: true }]);
    await s.control.query(`UPDATE outbox SET status = 'sent'`);
    expect(await finishDeliveredCampaigns(s.control, NOW + 74 * HOUR)).toEqual([c.id]);
    expect(await state()).toEqual([{ status: 'finished', awaiting_delivery: false }]);
  });

  it('on PostgreSQL, two planner processes (two connection pools) racing for a slot plan it once', async () => {
    const schema = `race_${randomBytes(4).toString('hex')}`;
    const url = inject('postgresUrl');
    const c1 = await openSqlClient({ databaseUrl: url, pgliteDir: '', schema });
    const c2 = await openSqlClient({ databaseUrl: url, pgliteDir: '', schema });
    const warehouse = await Warehouse.open(':memory:');
    try {
      await migrate(c1);
      const clock = () => NOW - HOUR;
      const s1 = { control: c1, warehouse, clock };
      await seed(warehouse, users());
      const op = await makeActor(c1, 'olga', 'operator');
      const rev = await makeActor(c1, 'rita', 'reviewer');
      const aud = await createSavedAudience(s1, op, {
        name: 'All',
        definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
      });
      if (!aud.ok) throw new Error('audience');
      for (const [i, name] of ['First', 'Second'].entries()) {
        const c = await createCampaignAs(s1, op, {
          name,
          definition: {
            audienceId: aud.value.id,
            timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
            channels: ['push'],
            content: [content[0]],
            holdoutShare: 0,
            priority: 10 + i,
          },
        });
        if (!c.ok) throw new Error('campaign');
        await submitCampaignAs(s1, op, c.value.id, 1);
        await reviewCampaignAs(s1, rev, c.value.id, { decision: 'approve', version: 1 });
      }
      const at = { clock: () => NOW };
      const [r1, r2] = await Promise.all([
        runSlot({ control: c1, warehouse, ...at }, 'default', NOW),
        runSlot({ control: c2, warehouse, ...at }, 'default', NOW),
      ]);
      expect(r1.campaigns.length + r2.campaigns.length).toBe(2);
      const rows = await c1.query<{ user_id: string }>('SELECT user_id FROM outbox ORDER BY user_id');
      // One message per user across both campaigns and both processes: the daily cap holds.
      expect(rows.map((r) => r.user_id)).toEqual(['u1', 'u2', 'u3', 'u4']);
      expect(await c1.query('SELECT 1 FROM campaign_runs')).toHaveLength(2);
    } finally {
      await c1.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c1.close();
      await c2.close();
      warehouse.close();
    }
  });

  it('previews a webhook body that prints contacts with them masked (issue 13: clear contacts reach only admins)', async () => {
    const { s, a, audienceId } = await setup();
    const c = await approved(s, a, 'Contacts in a webhook', {
      audienceId,
      timing: { kind: 'one_off', at: new Date(NOW + 24 * HOUR).toISOString() },
      channels: ['webhook'],
      content: [{ channel: 'webhook', body: '{"phone": "{{ user.phone }}"}' }],
      holdoutShare: 0,
    });
    const preview = await previewCampaignAs({ ...s }, a.op, c.id, { userId: 'u1' });
    if (!preview.ok) throw new Error(JSON.stringify(preview.error));
    const hook = preview.value.preview.channels.find((ch) => ch.channel === 'webhook');
    const body = JSON.parse((hook?.rendered as { body: string }).body) as { phone: string };
    expect(body.phone).not.toContain('13800000001');
    expect(body.phone).toMatch(/\*{4}/);
  });

  it('previews content for a user and estimates cost and ROI from a dry run of the planner', async () => {
    const { s, a, audienceId } = await setup();
    await setChannelQuotaAs(s, a.admin, { channel: 'sms', quota: 1000, costCents: 5 });
    await recordUnsubscribeAs(s, a.op, { userId: 'u4', channel: 'all', source: 'reply TD' });
    const c = await approved(s, a, 'With a coupon', {
      audienceId,
      timing: { kind: 'one_off', at: new Date(NOW + 24 * HOUR).toISOString() },
      channels: ['sms', 'push'],
      content: [{ ...content[0], title: '{{ user.user_id }}，送您一张券' }, content[1]],
      holdoutShare: 0,
      offer: {
        kind: 'coupon',
        amount: { type: 'fixed', amount: 500 },
        validityDays: 7,
        expectedRedemptionRate: 0.3,
        costRecognition: 'redemption',
      },
    });
    const ctx = { ...s };
    const preview = await previewCampaignAs(ctx, a.op, c.id, { userId: 'u1' });
    if (!preview.ok) throw new Error(JSON.stringify(preview.error));
    expect(preview.value.offer).toMatchObject({ userId: 'u1', amount: 500, valueCents: 500 });
    const push = preview.value.preview.channels.find((ch) => ch.channel === 'push');
    expect(push?.rendered).toMatchObject({ title: 'u1，送您一张券' });
    const sms = preview.value.preview.channels.find((ch) => ch.channel === 'sms');
    expect(sms?.sms?.segments).toBe(1);

    const estimate = await estimateCampaignAs(ctx, a.rev, c.id, {
      conversionRate: 0.1,
      baselineConversionRate: 0.04,
      averageOrderCents: 100_00,
      marginRate: 0.3,
    });
    if (!estimate.ok) throw new Error(JSON.stringify(estimate.error));
    const e = estimate.value;
    // u1 by SMS (5 cents), u2 and u3 by push; u4 opted out, u5 unreachable; nothing is written.
    expect(e).toMatchObject({
      members: 5,
      messages: 3,
      skipped: 2,
      skipReasons: { unsubscribed: 1, unreachable: 1 },
    });
    expect(e.byChannel.sort((x, y) => x.channel.localeCompare(y.channel))).toEqual([
      { channel: 'push', messages: 2, priceCents: 0 },
      { channel: 'sms', messages: 1, priceCents: 5 },
    ]);
    expect(e.offer).toEqual({ issued: 3, averageValueCents: 500, totalValueCents: 1500, byVariant: [] });
    // The budget would hold the SMS and the three recipients' own coupons.
    expect(e.reservedCents).toBe(5 + 1500);
    // Offers booked at redemption: 3 issued × 30 % × 500 cents = 450.
    expect(e.cost.direct).toEqual({ messages: 5, offers: 450 });
    expect(await outbox(s)).toEqual([]);
    expect(
      (
        await estimateCampaignAs(ctx, { ...a.op, role: 'viewer' }, c.id, {
          conversionRate: 0.1,
          baselineConversionRate: 0.04,
          averageOrderCents: 100_00,
          marginRate: 0.3,
        })
      ).ok,
    ).toBe(false);
  });

  it('issues an offer with each message, reserves its most in the budget, and books its cost at redemption once', async () => {
    const { s, a, audienceId } = await setup();
    const c = await approved(s, a, 'Coupon', {
      audienceId,
      timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
      channels: ['push'],
      content: [{ ...content[0], body: '{{ offer.code }}' }],
      holdoutShare: 0,
      budgetCents: 1000,
      offer: {
        kind: 'coupon',
        amount: { type: 'fixed', amount: 500 },
        validityDays: 7,
        expectedRedemptionRate: 0.3,
        costRecognition: 'redemption',
      },
    });
    const report = await runSlot(s, 'default', NOW);
    // Each message reserves the coupon's 500 cents: the 1 000-cent budget pays for two.
    expect(report.campaigns[0]).toMatchObject({ messages: 2, spendCents: 1000 });
    expect(report.campaigns[0]?.skipReasons).toMatchObject({ campaign_budget: 2 });
    const sent = await outbox(s);
    const offers = await s.control.query<{
      code: string;
      user_id: string;
      idempotency_key: string;
      cost_at_issue: string;
    }>('SELECT code, user_id, idempotency_key, cost_at_issue FROM offers_issued ORDER BY user_id');
    expect(offers.map((o) => o.user_id)).toEqual(sent.map((m) => m.user_id));
    expect(offers.map((o) => o.idempotency_key)).toEqual(sent.map((m) => m.idempotency_key));
    expect(new Set(offers.map((o) => o.code)).size).toBe(2);
    expect(offers.every((o) => Number(o.cost_at_issue) === 0)).toBe(true);

    const code = offers[0]?.code ?? '';
    const first = await redeemOfferAs(s, a.op, code.toLowerCase());
    expect(first).toMatchObject({
      ok: true,
      value: { campaignId: c.id, costAtRedemption: 500, alreadyRedeemed: false },
    });
    expect(await redeemOfferAs(s, a.op, code)).toMatchObject({ ok: true, value: { alreadyRedeemed: true } });
    expect(await redeemOfferAs(s, a.op, 'NOPE-NOPE')).toMatchObject({
      ok: false,
      error: { type: 'not_found' },
    });
    expect((await redeemOfferAs(s, { ...a.op, role: 'viewer' }, code)).ok).toBe(false);
  });
});
