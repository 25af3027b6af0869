import { afterEach, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { cancelCampaignAs } from '../src/campaigns/campaigns.ts';
import type { PlannedMessage } from '../src/core/planner/types.ts';
import { batchesOf, expandDueBatches, writeOutboxBatches } from '../src/outbox/batches.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { recordUnsubscribeAs, setChannelQuotaAs } from '../src/planner/settings-service.ts';
import { committedSpendSql } from '../src/storage/control/planned-spend.ts';
import { approvedCampaign, distributionUsers, plannerActors } from './support/planner-scenario.ts';
import { openScenario, profile, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * A slot with more messages than the inline limit is committed as `outbox_batches` and expanded
 * into outbox rows by delivery (migration 013). Each test plans with the limit at 0, so even a
 * handful of users takes that path, and checks it against the inline path on the same input.
 */

const NOW = Date.UTC(2026, 10, 20, 12); // 20:00 in Shanghai, 07:00 in New York
const HOUR = 3_600_000;

const stores: ScenarioStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

const content = [
  { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' },
  { channel: 'sms', text: '您的专属券已到账 https://example.com/a 回T退订', signature: '【Rekindle】' },
];

/** Six users in two time zones, a quota-priced SMS, an opt-out; two campaigns and one audience. */
const setup = async () => {
  const s = await openScenario();
  stores.push(s);
  s.setNow(NOW - HOUR + 60_000);
  await seed(s.warehouse, [
    ...distributionUsers(NOW),
    profile('u6', NOW - 100 * 24 * HOUR, {
      acquisition_channel: 'distribution',
      timezone: 'Asia/Shanghai',
      phone: '13800000006',
      consent_sms: true,
    }),
  ]);
  const { op, rev, admin } = await plannerActors(s.control);
  await setChannelQuotaAs(s, admin, { channel: 'sms', quota: 1000, costCents: 5 });
  await recordUnsubscribeAs(s, op, { userId: 'u4', channel: 'all', source: 'reply TD' });
  const aud = await createSavedAudience(s, op, {
    name: 'Distribution users',
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
  });
  if (!aud.ok) throw new Error('audience');
  const approved = (name: string, definition: Record<string, unknown>) =>
    approvedCampaign(s, { op, rev }, name, { audienceId: aud.value.id, holdoutShare: 0, ...definition });
  const hi = await approved('High', {
    timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
    channels: ['sms', 'push'],
    content,
    priority: 80,
    budgetCents: 5,
  });
  const lo = await approved('Low', {
    timing: { kind: 'periodic', cron: '0 * * * *', timezone: 'Asia/Shanghai' },
    channels: ['push'],
    content: [content[0]],
    priority: 50,
  });
  s.setNow(NOW);
  return { s, op, hi, lo };
};

interface Planned {
  idempotency_key: string;
  campaign_id: string;
  user_id: string;
  channel: string;
  send_at: Date;
  cost_cents: number;
  status: string;
}
const planned = (s: ScenarioStore, from: 'planned_messages' | 'outbox') =>
  s.control.query<Planned>(
    `SELECT idempotency_key, campaign_id, user_id, channel, send_at, cost_cents, status FROM ${from}
     ORDER BY idempotency_key`,
  );
const count = async (s: ScenarioStore, table: string) =>
  Number((await s.control.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n);

describe('outbox batches', () => {
  it('commit the same messages the inline path writes, then expand into identical outbox rows', async () => {
    const inline = await setup();
    const batched = await setup();
    const a = await runSlot(inline.s, 'default', NOW);
    const b = await runSlot(batched.s, 'default', NOW, { inlineLimit: 0 });
    // Campaign ids differ between the two stores: compare with them replaced.
    const norm = (rows: Planned[], ids: Record<string, string>) =>
      rows
        .map((r) => {
          let key = r.idempotency_key;
          for (const [id, name] of Object.entries(ids)) key = key.replaceAll(id, name);
          return {
            ...r,
            idempotency_key: key,
            campaign_id: ids[r.campaign_id],
            cost_cents: Number(r.cost_cents),
          };
        })
        .sort((x, y) => x.idempotency_key.localeCompare(y.idempotency_key));
    const inlineRows = norm(await planned(inline.s, 'outbox'), {
      [inline.hi.id]: 'HI',
      [inline.lo.id]: 'LO',
    });
    expect(inlineRows.length).toBeGreaterThan(2);
    expect(await count(batched.s, 'outbox')).toBe(0);
    expect(await count(batched.s, 'outbox_batches')).toBeGreaterThan(0);
    const ids = { [batched.hi.id]: 'HI', [batched.lo.id]: 'LO' };
    expect(norm(await planned(batched.s, 'planned_messages'), ids)).toEqual(inlineRows);
    expect(b.campaigns.map((c) => c.messages).sort()).toEqual(a.campaigns.map((c) => c.messages).sort());

    // u3 is in New York (07:00): held to 08:00 local, spread over its first two hours (issue 17),
    // at least an hour after the rest. Expanding what is due now leaves u3's batch; expanding three
    // hours later takes it too.
    const dueNow = inlineRows.filter((r) => r.send_at.getTime() <= NOW).length;
    expect(dueNow).toBeLessThan(inlineRows.length);
    while ((await expandDueBatches(batched.s.control, NOW)) > 0);
    expect(await count(batched.s, 'outbox')).toBe(dueNow);
    while ((await expandDueBatches(batched.s.control, NOW + 3 * HOUR)) > 0);
    expect(await count(batched.s, 'outbox_batches')).toBe(0);
    expect(norm(await planned(batched.s, 'outbox'), ids)).toEqual(inlineRows);
    // planned_messages never counts a message twice.
    expect(await count(batched.s, 'planned_messages')).toBe(inlineRows.length);
  });

  it('caps, spend and budgets see batches that are not expanded yet', async () => {
    const inline = await setup();
    const { s, hi, lo } = await setup();
    await runSlot(inline.s, 'default', NOW);
    await runSlot(s, 'default', NOW, { inlineLimit: 0 });
    const first = await planned(s, 'planned_messages');
    expect(first.length).toBeGreaterThan(0);
    expect(await count(s, 'outbox')).toBe(0);
    // The booked spend of the SMS campaign counts its batch rows (5 cents each, budget 5).
    const [spend] = await s.control.query<{ spent: string }>(
      `SELECT ${committedSpendSql('$2', '$1', '$3::timestamptz')} AS spent`,
      ['default', hi.id, new Date(NOW)],
    );
    const hiRows = first.filter((r) => r.campaign_id === hi.id);
    expect(Number(spend?.spent)).toBe(hiRows.reduce((t, r) => t + Number(r.cost_cents), 0));
    expect(Number(spend?.spent)).toBe(5);
    // An hour later the hourly campaign is due again: everyone the first slot reached is at the
    // daily cap, exactly as when the first slot's messages were outbox rows.
    for (const x of [inline.s, s]) x.setNow(NOW + HOUR);
    const want = await runSlot(inline.s, 'default', NOW + HOUR);
    const again = await runSlot(s, 'default', NOW + HOUR, { inlineLimit: 0 });
    const run = again.campaigns.find((c) => c.campaignId === lo.id);
    expect(run?.messages).toBe(0);
    expect(run?.skipReasons['cap_total']).toBeGreaterThanOrEqual(3);
    expect(run?.skipReasons).toEqual(want.campaigns.find((c) => c.campaignId === inline.lo.id)?.skipReasons);
    expect(await count(s, 'planned_messages')).toBe(first.length);
  });

  it('cancelling a campaign stops its batched messages, each logged as a dead letter', async () => {
    const { s, op, hi, lo } = await setup();
    expect((await cancelCampaignAs(s, op, hi.id)).ok).toBe(true);
    await runSlot(s, 'default', NOW, { inlineLimit: 0 });
    const mine = (await planned(s, 'planned_messages')).filter((r) => r.campaign_id === lo.id);
    expect(mine.length).toBeGreaterThan(0);
    const r = await cancelCampaignAs(s, op, lo.id);
    expect(r.ok).toBe(true);
    const after = (await planned(s, 'planned_messages')).filter((x) => x.campaign_id === lo.id);
    expect(after.map((x) => x.status)).toEqual(mine.map(() => 'dead'));
    const logged = await s.control.query<{ n: string }>(
      `SELECT count(*) AS n FROM message_log WHERE campaign_id = $1 AND kind = 'dead'`,
      [lo.id],
    );
    expect(Number(logged[0]?.n)).toBe(mine.length);
    expect(
      Number(
        (
          await s.control.query<{ n: string }>(
            'SELECT count(*) AS n FROM outbox_batches WHERE campaign_id = $1',
            [lo.id],
          )
        )[0]?.n,
      ),
    ).toBe(0);
  });

  it('keeps any user id intact through the batch and its expansion', async () => {
    const s = await openScenario();
    stores.push(s);
    const ids = [
      'plain',
      'with "quotes"',
      'back\\slash',
      'a,b',
      '{braces}',
      'new\nline',
      ' space ',
      'NULL',
      '中文',
    ];
    await s.control.transaction((tx) =>
      writeOutboxBatches(
        tx,
        'default',
        [
          {
            campaignId: 'c',
            runId: 'c@1',
            step: '0',
            channel: 'push',
            class: 'marketing',
            variant: null,
            sendAt: NOW,
            costCents: 0,
            userIds: ids,
          },
        ],
        NOW,
      ),
    );
    const read = async (from: string) =>
      (await s.control.query<{ user_id: string }>(`SELECT user_id FROM ${from}`))
        .map((r) => r.user_id)
        .sort();
    expect(await read('planned_messages')).toEqual([...ids].sort());
    expect(await expandDueBatches(s.control, NOW)).toBe(ids.length);
    expect(await read('outbox')).toEqual([...ids].sort());
  });

  it('groups messages by what they share, in planning order, at most `size` users a batch', () => {
    const m = (
      userId: string,
      channel: 'push' | 'sms',
      sendAt: number,
      variant: string | null = null,
    ): PlannedMessage => ({
      campaignId: 'c',
      runId: 'c@1',
      step: '0',
      userId,
      channel,
      variant,
      sendAt,
      costCents: channel === 'sms' ? 5 : 0,
      idempotencyKey: `c:c@1:0:${userId}`,
    });
    const batches = batchesOf(
      [
        m('a', 'push', 1),
        m('b', 'sms', 1),
        m('c', 'push', 1),
        m('d', 'push', 2),
        m('e', 'push', 1),
        m('f', 'push', 1, 'B'),
      ],
      () => 'marketing',
      2,
    );
    expect(batches.map((b) => [b.channel, b.sendAt, b.variant, b.userIds])).toEqual([
      ['push', 1, null, ['a', 'c']],
      ['sms', 1, null, ['b']],
      ['push', 2, null, ['d']],
      ['push', 1, null, ['e']],
      ['push', 1, 'B', ['f']],
    ]);
  });
});
