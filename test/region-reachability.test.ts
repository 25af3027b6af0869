import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { DEFAULT_POLICY } from '../src/core/campaigns/policy-schema.ts';
import {
  callerNumbersDown,
  listedRegions,
  pickCallerNumber,
  regionBlocksOf,
} from '../src/core/planner/channel-reach.ts';
import { hashString } from '../src/core/planner/hash.ts';
import { planSlot } from '../src/core/planner/plan-slot.ts';
import { callListAdapter } from '../src/delivery/providers/adapters/call-list.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { issueApiToken } from '../src/storage/control/users.ts';
import { campaign, policy, user } from './support/planner-input.ts';
import { approvedCampaign, plannerActors } from './support/planner-scenario.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { outgoingMessage } from './support/outgoing-message.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';
import { profile, seed } from './support/score-scenario.ts';

/**
 * Issue 17: region reachability per channel (calls to some regions fail: users there are left out
 * of that channel, with the reason, and the campaign's next channel is tried) and the call
 * channel's caller numbers with their health (a number flagged as harassment is retired; with
 * none healthy, calls are skipped with the reason). Ladders going past a blocked step are in
 * ladder-pricing.test.ts.
 */

const SMS_XJ =
  "短信无法触达该地区（新疆），按工作区的渠道地区设置跳过 / SMS cannot reach the user's region 新疆 (the workspace's unreachable regions)";
const CALL_XZ =
  "外呼无法触达该地区（西藏），按工作区的渠道地区设置跳过 / Call cannot reach the user's region 西藏 (the workspace's unreachable regions)";
const NO_CALLER =
  '没有可用的外呼号码（全部已停用或被标记为骚扰），跳过外呼 / no healthy caller number left (all retired or flagged as harassment): no call';

describe('channel reach, pure', () => {
  it('matches a profile place exactly against each channel’s list, in words', () => {
    const lists = { sms: ['新疆'], call: ['西藏', '新疆'] };
    expect(regionBlocksOf(lists, ['乌鲁木齐', '新疆'])).toEqual({
      sms: SMS_XJ,
      call: "外呼无法触达该地区（新疆），按工作区的渠道地区设置跳过 / Call cannot reach the user's region 新疆 (the workspace's unreachable regions)",
    });
    expect(regionBlocksOf(lists, ['北京'])).toBeUndefined();
    expect(regionBlocksOf(undefined, ['新疆'])).toBeUndefined();
    expect(listedRegions(lists)).toEqual(['新疆', '西藏']);
  });

  it('takes the call channel down only when numbers are kept and none is healthy; picks healthy numbers only', () => {
    expect(callerNumbersDown([])).toEqual({});
    expect(callerNumbersDown([{ status: 'retired' }, { status: 'healthy' }])).toEqual({});
    expect(callerNumbersDown([{ status: 'retired' }, { status: 'flagged' }])).toEqual({ call: NO_CALLER });
    const numbers = [
      { number: '95001', status: 'retired' as const },
      { number: '95002', status: 'healthy' as const },
      { number: '95003', status: 'healthy' as const },
      { number: '95004', status: 'flagged' as const },
    ];
    const picked = new Set(
      Array.from({ length: 50 }, (_, i) => pickCallerNumber(numbers, hashString(`u${i}`))),
    );
    expect(picked).toEqual(new Set(['95002', '95003']));
    expect(pickCallerNumber(numbers, hashString('u1'))).toBe(pickCallerNumber(numbers, hashString('u1')));
    expect(pickCallerNumber(numbers.slice(0, 1), 7)).toBeNull();
  });

  it('planSlot tries the next channel past a blocked one, and explains a skip when none is left', () => {
    const S = Date.UTC(2026, 10, 20, 2); // 10:00 in Shanghai
    const r = planSlot({
      slotAt: S,
      campaigns: [
        campaign('A', { channels: ['sms', 'push'] }),
        campaign('C', { channels: ['call'], priority: 40 }),
      ],
      members: new Map([
        ['A', ['xj', 'xj-sms-only', 'bj']],
        ['C', ['caller']],
      ]),
      users: new Map(
        [
          user('xj'),
          user('xj-sms-only', { reachable: { sms: true } }),
          user('bj'),
          user('caller', { reachable: { call: true } }),
        ].map((u) => [u.userId, u]),
      ),
      history: new Map(),
      policy: policy(),
      channelBlocks: new Map([
        ['xj', { sms: SMS_XJ }],
        ['xj-sms-only', { sms: SMS_XJ }],
      ]),
      channelsDown: { call: NO_CALLER },
    });
    expect(r.messages.map((m) => `${m.userId}:${m.channel}`).sort()).toEqual(['bj:sms', 'xj:push']);
    expect(r.skipped).toEqual([
      { campaignId: 'A', userId: 'xj-sms-only', reason: 'unreachable', detail: SMS_XJ },
      { campaignId: 'C', userId: 'caller', reason: 'unreachable', detail: NO_CALLER },
    ]);
  });
});

describe('region reachability and caller numbers on the server', () => {
  const NOW = Date.UTC(2026, 10, 20, 2); // 10:00 in Shanghai: inside the call window
  const HOUR = 3_600_000;
  let now = NOW - HOUR;
  let s: TestServer;
  let adminToken = '';
  let opToken = '';
  let a: Awaited<ReturnType<typeof plannerActors>>;
  const audiences: Record<string, string> = {};

  beforeAll(async () => {
    s = await startTestServer({ clock: () => now });
    const at = NOW - 100 * 24 * HOUR;
    const base = { timezone: 'Asia/Shanghai' } as const;
    await seed(s.rt.warehouse, [
      profile('r1', at, {
        ...base,
        acquisition_channel: 'g1',
        city: '新疆',
        phone: '13800000001',
        consent_sms: true,
        push_token: 't1',
      }),
      profile('r2', at, {
        ...base,
        acquisition_channel: 'g1',
        city: '新疆',
        phone: '13800000002',
        consent_sms: true,
      }),
      profile(
        'r3',
        at,
        { ...base, acquisition_channel: 'g2', phone: '13800000003', consent_call: true },
        { province: '西藏' },
      ),
      profile('r4', at, {
        ...base,
        acquisition_channel: 'g2',
        city: '北京',
        phone: '13800000004',
        consent_call: true,
      }),
      profile('r5', at, {
        ...base,
        acquisition_channel: 'g3',
        city: '上海',
        phone: '13800000005',
        consent_call: true,
      }),
    ]);
    a = await plannerActors(s.rt.control);
    adminToken = await issueApiToken(s.rt.control, a.admin.userId);
    opToken = await issueApiToken(s.rt.control, a.op.userId);
    for (const g of ['g1', 'g2', 'g3']) {
      const aud = await createSavedAudience(s.rt, a.op, {
        name: g,
        definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: g },
      });
      if (!aud.ok) throw new Error('audience');
      audiences[g] = aud.value.id;
    }
  });
  afterAll(async () => {
    await s.stop();
    s.cleanup();
  });

  const skips = async (campaignId: string) =>
    s.rt.warehouse.query<{ user_id: string; reason: string; detail: string }>(
      `SELECT user_id, reason, detail FROM decided_members WHERE campaign_id = $1 AND decision = 'skipped' ORDER BY user_id`,
      [campaignId],
    );
  const planned = async (campaignId: string) =>
    (
      await s.rt.control.query<{ user_id: string; channel: string }>(
        'SELECT user_id, channel FROM outbox WHERE campaign_id = $1 ORDER BY user_id',
        [campaignId],
      )
    ).map((r) => `${r.user_id}:${r.channel}`);

  it('keeps unreachable regions in the policy (admin) and plans around them', async () => {
    const got = await apiCall(s.url, adminToken, 'GET', '/v1/planner/policy');
    const version = got.json['version'] as number;
    const bad = await apiCall(s.url, adminToken, 'PUT', '/v1/planner/policy', {
      version,
      policy: { ...DEFAULT_POLICY, unreachableRegions: { fax: ['新疆'] } },
    });
    expect(bad.status).toBe(400);
    const put = await apiCall(s.url, adminToken, 'PUT', '/v1/planner/policy', {
      version,
      policy: { ...DEFAULT_POLICY, unreachableRegions: { sms: ['新疆'], call: ['西藏'] } },
    });
    expect(put.status).toBe(200);
    expect((await apiCall(s.url, opToken, 'GET', '/v1/planner/policy')).json['policy']).toMatchObject({
      unreachableRegions: { sms: ['新疆'], call: ['西藏'] },
    });

    const one = { kind: 'one_off', at: new Date(NOW).toISOString() };
    const sms = {
      channel: 'sms',
      text: '您的专属券已到账 https://example.com/a 回T退订',
      signature: '【Rekindle】',
    };
    const push = {
      channel: 'push',
      title: '好久不见',
      body: '回来看看',
      landingUrl: 'https://example.com/a',
    };
    const call = { channel: 'call', script: '您好，这里是 Rekindle 回访' };
    const smsFirst = await approvedCampaign(s.rt, a, 'SMS first', {
      audienceId: audiences['g1'],
      timing: one,
      channels: ['sms', 'push'],
      content: [sms, push],
      holdoutShare: 0,
    });
    const calls = await approvedCampaign(s.rt, a, 'Calls', {
      audienceId: audiences['g2'],
      timing: one,
      channels: ['call'],
      content: [call],
      holdoutShare: 0,
    });
    now = NOW;
    await runSlot(s.rt, 'default', NOW);
    // r1 in 新疆 gets the push instead; r2 (SMS only) and r3 (西藏 by its province trait) are left out, saying why.
    expect(await planned(smsFirst.id)).toEqual(['r1:push']);
    expect(await skips(smsFirst.id)).toEqual([{ user_id: 'r2', reason: 'unreachable', detail: SMS_XJ }]);
    expect(await planned(calls.id)).toEqual(['r4:call']);
    expect(await skips(calls.id)).toEqual([{ user_id: 'r3', reason: 'unreachable', detail: CALL_XZ }]);
  });

  it('lists, adds, flags and retires caller numbers (admin, audited); with none healthy calls are skipped', async () => {
    expect(
      (await apiCall(s.url, opToken, 'POST', '/v1/planner/caller-numbers', { number: '95001' })).status,
    ).toBe(403);
    expect(
      (await apiCall(s.url, adminToken, 'POST', '/v1/planner/caller-numbers', { number: 'abc12' })).status,
    ).toBe(400);
    expect(
      (await apiCall(s.url, adminToken, 'POST', '/v1/planner/caller-numbers', { number: '95001' })).status,
    ).toBe(200);
    const two = await apiCall(s.url, adminToken, 'POST', '/v1/planner/caller-numbers', {
      number: '+8602150001234',
      note: '上海线路',
    });
    expect(two.status).toBe(200);
    expect(
      (await apiCall(s.url, adminToken, 'POST', '/v1/planner/caller-numbers', { number: '95001' })).status,
    ).toBe(409);
    // Flagged as harassment (标记为骚扰): retired at once, and for good.
    const flagged = await apiCall(s.url, adminToken, 'POST', '/v1/planner/caller-numbers/95001/flag', {
      flag: 'harassment',
      note: '用户投诉',
    });
    expect(flagged.status).toBe(200);
    expect(
      (await apiCall(s.url, adminToken, 'POST', '/v1/planner/caller-numbers/95001/clear', {})).status,
    ).toBe(409);
    expect(
      (await apiCall(s.url, adminToken, 'POST', '/v1/planner/caller-numbers/95999/retire', {})).status,
    ).toBe(404);
    const list = await fetch(`${s.url}/v1/planner/caller-numbers`, {
      headers: { authorization: `Bearer ${opToken}` },
    });
    expect(
      ((await list.json()) as { number: string; status: string; flag: string | null }[]).map((n) => [
        n.number,
        n.status,
        n.flag,
      ]),
    ).toEqual([
      ['+8602150001234', 'healthy', null],
      ['95001', 'retired', 'harassment'],
    ]);

    // One healthy number left: calls go out.
    now = NOW + 10 * 60_000;
    const one = { kind: 'one_off', at: new Date(now).toISOString() };
    const call = { channel: 'call', script: '您好，这里是 Rekindle 回访' };
    const c1 = await approvedCampaign(s.rt, a, 'Calls with a number', {
      audienceId: audiences['g3'],
      timing: one,
      channels: ['call'],
      content: [call],
      holdoutShare: 0,
    });
    await runSlot(s.rt, 'default', now);
    expect(await planned(c1.id)).toEqual(['r5:call']);

    // The last one flagged otherwise: none healthy, the next call campaign is skipped with the reason.
    expect(
      (
        await apiCall(s.url, adminToken, 'POST', '/v1/planner/caller-numbers/%2B8602150001234/flag', {
          flag: 'other',
          note: '接通率骤降',
        })
      ).status,
    ).toBe(200);
    await s.rt.control.query('DELETE FROM outbox'); // a fresh month for the call cap
    now = NOW + 20 * 60_000;
    const c2 = await approvedCampaign(s.rt, a, 'Calls without numbers', {
      audienceId: audiences['g3'],
      timing: { kind: 'one_off', at: new Date(now).toISOString() },
      channels: ['call'],
      content: [call],
      holdoutShare: 0,
    });
    await runSlot(s.rt, 'default', now);
    expect(await planned(c2.id)).toEqual([]);
    expect(await skips(c2.id)).toEqual([{ user_id: 'r5', reason: 'unreachable', detail: NO_CALLER }]);

    const audit = await s.rt.control.query<{ action: string; object_id: string }>(
      `SELECT action, object_id FROM audit_log WHERE object_type = 'caller_number' ORDER BY id`,
    );
    expect(audit.map((r) => `${r.action} ${r.object_id}`)).toEqual([
      'caller_number.add 95001',
      'caller_number.add +8602150001234',
      'caller_number.flag 95001',
      'caller_number.flag +8602150001234',
    ]);
  });

  it('gives a new call task a healthy number (never a retired one), and refuses the call when none is left', async () => {
    expect(
      (await apiCall(s.url, adminToken, 'POST', '/v1/planner/caller-numbers', { number: '95003' })).status,
    ).toBe(200);
    const vendor = await startFakeVendor((_r, res) => json(res, 200, {}));
    const adapter = callListAdapter(
      'p-call',
      { webhookUrl: `${vendor.url}/tasks` },
      {},
      {
        db: s.rt.control,
        fetch,
        now: () => NOW,
      },
    );
    const signal = new AbortController().signal;
    const message = (key: string) =>
      outgoingMessage(
        { channel: 'call', script: '您好' },
        { idempotencyKey: key, recipient: { userId: 'r5', phone: '+8613800000005' } },
      );
    expect(await adapter.send(message('call-a'), signal)).toEqual({
      kind: 'accepted',
      providerMessageId: 'call-a',
    });
    expect(JSON.parse(vendor.requests[0]?.body ?? '{}')).toMatchObject({
      callerNumber: '95003',
      phone: '+8613800000005',
    });
    const task = await s.rt.control.query<{ caller_number: string }>(
      `SELECT caller_number FROM call_tasks WHERE idempotency_key = 'call-a'`,
    );
    expect(task).toEqual([{ caller_number: '95003' }]);
    expect(
      (await apiCall(s.url, adminToken, 'POST', '/v1/planner/caller-numbers/95003/retire', { note: '到期' }))
        .status,
    ).toBe(200);
    expect(await adapter.send(message('call-b'), signal)).toMatchObject({
      kind: 'failed',
      retry: 'never',
      code: 'no_caller_number',
    });
    expect(vendor.requests).toHaveLength(1);
    await vendor.close();
  });
});
