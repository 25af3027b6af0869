import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { recordUnsubscribeAs } from '../src/planner/settings-service.ts';
import { issueApiToken } from '../src/storage/control/users.ts';
import { approvedCampaign, distributionUsers, plannerActors } from './support/planner-scenario.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';
import { profile, seed } from './support/score-scenario.ts';

/**
 * "Why wasn't this user reached?" (issue 17) on a real slot: the planner's decision for each
 * user — planned, skipped with the reason in words and the slot time, held out — and, for users
 * the planner never looked at, why (not in the audience, unknown, campaign not run yet).
 */

const NOW = Date.UTC(2026, 10, 20, 4); // 12:00 in Shanghai
const HOUR = 3_600_000;
let now = NOW - HOUR;
let s: TestServer;
let token = '';
const ids: Record<string, string> = {};

type Decision = {
  outcome: string;
  summary: { zhCN: string; en: string };
  notConsidered: { code: string }[];
  messages: { channel: string; status: string; sendAt: string }[];
  decisions: {
    decision: string;
    reason: string | null;
    slotAt: string;
    words: { zhCN: string; en: string };
  }[];
};

const decision = async (campaign: string, user: string) => {
  const r = await apiCall(
    s.url,
    token,
    'GET',
    `/v1/campaigns/${campaign}/users/${encodeURIComponent(user)}/decision`,
  );
  return { status: r.status, d: r.json as unknown as Decision };
};

beforeAll(async () => {
  s = await startTestServer({ clock: () => now });
  const rt = s.rt;
  await seed(rt.warehouse, [
    ...distributionUsers(NOW),
    profile('p1', NOW - 100 * 24 * HOUR, { acquisition_channel: 'organic', push_token: 'tp' }),
    ...Array.from({ length: 12 }, (_, i) =>
      profile(`h${i}`, NOW - 100 * 24 * HOUR, {
        acquisition_channel: 'holdout_test',
        timezone: 'Asia/Shanghai',
        push_token: `th${i}`,
      }),
    ),
  ]);
  const { op, rev } = await plannerActors(rt.control);
  token = await issueApiToken(rt.control, op.userId);
  await recordUnsubscribeAs(rt, op, { userId: 'u4', channel: 'all', source: 'reply TD' });
  const audience = async (name: string, value: string) => {
    const a = await createSavedAudience(rt, op, {
      name,
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value },
    });
    if (!a.ok) throw new Error('audience');
    return a.value.id;
  };
  const push = { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' };
  const campaign = async (name: string, audienceId: string, at: number, holdoutShare = 0) =>
    (
      await approvedCampaign(rt, { op, rev }, name, {
        audienceId,
        holdoutShare,
        timing: { kind: 'one_off', at: new Date(at).toISOString() },
        channels: ['push'],
        content: [push],
        priority: 50,
      })
    ).id;
  ids['now'] = await campaign('Now', await audience('Distribution', 'distribution'), NOW);
  ids['held'] = await campaign('Held', await audience('Holdout test', 'holdout_test'), NOW, 0.5);
  ids['later'] = await campaign('Later', await audience('Organic', 'organic'), NOW + 48 * HOUR);
  now = NOW;
  await runSlot(rt, 'default', NOW);
});

afterAll(async () => {
  await s.stop();
  s.cleanup();
});

describe('GET /v1/campaigns/:id/users/:userId/decision', () => {
  it('says a planned user is planned, with the message and its send time', async () => {
    const { status, d } = await decision(ids['now'] ?? '', 'u2');
    expect(status).toBe(200);
    expect(d.outcome).toBe('planned');
    expect(d.messages).toEqual([
      expect.objectContaining({ channel: 'push', status: 'pending', sendAt: new Date(NOW).toISOString() }),
    ]);
    expect(d.summary.zhCN).toBe('已规划，等待发送');
  });

  it('gives a skipped user the skip reason in words and the slot time', async () => {
    const opted = (await decision(ids['now'] ?? '', 'u4')).d;
    expect(opted.outcome).toBe('skipped');
    expect(opted.decisions[0]).toMatchObject({
      decision: 'skipped',
      reason: 'unsubscribed',
      slotAt: new Date(NOW).toISOString(),
    });
    expect(opted.summary.zhCN).toBe('用户已退订该渠道（或全部渠道）');
    const unreachable = (await decision(ids['now'] ?? '', 'u5')).d;
    expect(unreachable).toMatchObject({ outcome: 'skipped', decisions: [{ reason: 'unreachable' }] });
    expect(unreachable.summary.en).toBe('no contact or consent on the campaign’s channels');
  });

  it('names the holdout group for held-out members', async () => {
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => decision(ids['held'] ?? '', `h${i}`)));
    const held = all.filter((x) => x.d.outcome === 'holdout');
    const planned = all.filter((x) => x.d.outcome === 'planned');
    expect(held.length).toBeGreaterThan(0);
    expect(planned.length).toBeGreaterThan(0);
    expect(held.length + planned.length).toBe(12);
    for (const h of held) {
      expect(h.d.decisions[0]?.decision).toBe('holdout');
      expect(h.d.summary.zhCN).toContain('对照组');
    }
  });

  it('explains users the planner never considered', async () => {
    const outsider = (await decision(ids['now'] ?? '', 'p1')).d;
    expect(outsider.outcome).toBe('not_considered');
    expect(outsider.notConsidered.map((n) => n.code)).toEqual(['not_in_audience']);
    expect(outsider.summary.zhCN).toBe('执行时该用户不在人群快照中');
    const ghost = (await decision(ids['now'] ?? '', 'ghost-42')).d;
    expect(ghost.notConsidered.map((n) => n.code)).toEqual(['user_unknown', 'not_in_audience']);
    const early = (await decision(ids['later'] ?? '', 'p1')).d;
    expect(early.notConsidered.map((n) => n.code)).toEqual(['campaign_not_run']);
    expect(early.summary.zhCN).toContain('任务尚未执行过');
  });

  it('answers 404 for a campaign of nobody', async () => {
    expect((await decision('cmp_nope', 'u1')).status).toBe(404);
  });
});
