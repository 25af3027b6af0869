import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { startDeliveryWorker } from '../src/delivery/worker.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { runSlot, type CampaignRunReport } from '../src/planner/run-slot.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { apiCall, postJson, startTestServer, type TestServer } from './support/runtime.ts';
import { event, profile, seed } from './support/score-scenario.ts';

/**
 * Campaigns as tasks (issue 18): `POST /v1/campaigns/:id/copy` and `GET /v1/campaigns/:id/progress`
 * through the HTTP API on PGlite and DuckDB with an injected clock. A small SMS campaign is planned
 * (a budget that fits five messages, one user without a phone, a 20 % holdout), sent by the real
 * delivery worker to a gateway faked at the HTTP level that refuses one number, clicked and
 * converted; the progress must say what the planner decided and what the stats say.
 */

const T = Date.UTC(2026, 10, 20, 4); // 12:00 in Shanghai: outside quiet hours
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const started = Date.now();
let base = T;
const clock = () => base + (Date.now() - started);
const iso = (ms: number) => new Date(ms).toISOString();

const SMS_FEN = 5;
const BUDGET = 5 * SMS_FEN; // five messages at most
/**
 * Twenty members, so that whatever the random 20 % holdout draws (it hashes the campaign's id),
 * the budget for five messages always leaves someone out: the budget skip is never zero.
 */
const USERS = Array.from({ length: 20 }, (_, i) => `p${i + 1}`);
const NO_PHONE = 'p10';
const phoneOf = (u: string) => `+86138000100${u.slice(1).padStart(2, '0')}`;

let server: TestServer;
let vendor: Awaited<ReturnType<typeof startFakeVendor>>;
const tokens: Record<string, string> = {};
const call = (who: string, method: string, path: string, body?: unknown) =>
  apiCall(server.url, tokens[who] ?? '', method, path, body);
let audienceId = '';
let campaignId = '';
let nightId = '';
let refused = ''; // the phone number the gateway refuses (a user the planner chose)
let run: CampaignRunReport | undefined;

const approve = async (name: string, timing: unknown, extra: Record<string, unknown> = {}) => {
  const created = await call('olga', 'POST', '/v1/campaigns', {
    name,
    definition: {
      audienceId,
      timing,
      channels: ['sms'],
      content: [
        { channel: 'sms', text: '回来看看 https://example.com/a 回T退订', signature: '【Rekindle】' },
      ],
      holdoutShare: 0.2,
      goal: { event: 'order', withinDays: 3 },
      budgetCents: BUDGET,
      ...extra,
    },
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const id = String(created.json['id']);
  expect((await call('olga', 'POST', `/v1/campaigns/${id}/submit`, { version: 1 })).status).toBe(200);
  const r = await call('rita', 'POST', `/v1/campaigns/${id}/review`, { decision: 'approve', version: 1 });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return id;
};

beforeAll(async () => {
  vendor = await startFakeVendor((r, res) => {
    const to = (JSON.parse(r.body) as { to?: string }).to;
    if (refused !== '' && to === refused) return json(res, 400, { error: 'invalid number' });
    json(res, 200, { id: `sms-${vendor.requests.length}` });
  });
  server = await startTestServer({ clock });
  for (const [name, role] of [
    ['ada', 'admin'],
    ['olga', 'operator'],
    ['otto', 'operator'],
    ['rita', 'reviewer'],
    ['vera', 'viewer'],
  ] as const) {
    const u = await createUser(server.rt.control, { name, role });
    if (!u.ok) throw new Error('user exists');
    tokens[name] = await issueApiToken(server.rt.control, u.value.id);
  }
  await seed(
    server.rt.warehouse,
    USERS.map((u) =>
      profile(u, T - 100 * DAY, {
        acquisition_channel: 'progress',
        timezone: 'Asia/Shanghai',
        ...(u === NO_PHONE ? {} : { phone: phoneOf(u) }),
        consent_sms: true,
      }),
    ),
    USERS.map((u) => event(u, 'login', T - 40 * DAY)),
  );
  const provider = await call('ada', 'POST', '/v1/providers', {
    kind: 'sms_http',
    name: 'gateway',
    ratePerSecond: 1000,
    config: { url: `${vendor.url}/sms` },
    secrets: { authValue: 'Bearer test' },
  });
  expect(provider.status, JSON.stringify(provider.json)).toBe(201);
  expect(
    (await call('ada', 'PUT', '/v1/planner/quotas/sms', { quota: 1000, costCents: SMS_FEN })).status,
  ).toBe(200);
  const aud = await call('olga', 'POST', '/v1/audiences', {
    name: 'Progress audience',
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'progress' },
  });
  expect(aud.status, JSON.stringify(aud.json)).toBe(201);
  audienceId = String(aud.json['id']);
  campaignId = await approve('Progress', { kind: 'one_off', at: iso(T) });
  // Due every night at 23:00 in Shanghai: inside the default quiet hours (22:00–08:00).
  nightId = await approve('Nightly', { kind: 'periodic', cron: '0 23 * * *', timezone: 'Asia/Shanghai' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  server?.cleanup();
  await vendor?.close();
});

interface Progress {
  status: string;
  funnel: Record<string, number | null>;
  waiting: number;
  channels: {
    channel: string;
    planned: number;
    waiting: number;
    sent: number;
    dead: number;
    failed: number;
    failures: { kind: string; reason: string; count: number; words: { zhCN: string; en: string } }[];
  }[];
  skipped: { total: number; reasons: { reason: string; count: number; words: { zhCN: string } }[] };
  holdout: { users: number; share: number };
  snapshot: { members: number; slotAt: string } | null;
  runs: { count: number };
  nextSlot: { at: string; localTime: string; inQuietHours: boolean; sendsFrom: string | null } | null;
  budget: {
    limitCents: number | null;
    spentCents: number;
    committedCents: number;
    remainingCents: number | null;
  };
  variants: unknown[];
}
const progressOf = async (id: string, who = 'olga'): Promise<Progress> => {
  const r = await call(who, 'GET', `/v1/campaigns/${id}/progress`);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json as unknown as Progress;
};

describe('campaign progress', () => {
  it('before it runs: nothing planned, the next slot, and a night slot says when it really goes', async () => {
    const p = await progressOf(campaignId);
    expect(p.status).toBe('scheduled');
    expect(p.funnel).toMatchObject({ planned: 0, sent: 0, delivered: 0, clicked: 0, converted: 0 });
    expect(p.snapshot).toBeNull();
    expect(p.skipped).toEqual({ total: 0, reasons: [] });
    expect(p.nextSlot).toMatchObject({
      at: iso(T),
      localTime: '12:00',
      inQuietHours: false,
      sendsFrom: null,
    });
    expect(p.budget).toEqual({
      limitCents: BUDGET,
      spentCents: 0,
      committedCents: 0,
      remainingCents: BUDGET,
    });
    const night = await progressOf(nightId);
    expect(night.nextSlot).toMatchObject({ localTime: '23:00', inQuietHours: true, sendsFrom: '08:00' });
    // 23:00 in Shanghai is 15:00 UTC.
    expect(new Date(night.nextSlot?.at ?? '').getUTCHours()).toBe(15);
  });

  it('after planning, sending, a click and an order: the counts and reasons the planner decided', async () => {
    const slot = await runSlot(server.rt, 'default', T);
    run = slot.campaigns.find((c) => c.campaignId === campaignId);
    if (!run) throw new Error('the campaign did not run');
    // The hand facts: twenty members; the one without a phone is never reachable; the budget pays five.
    expect(run.members).toBe(USERS.length);
    expect(run.messages).toBe(Math.min(5, USERS.length - 1 - run.holdout));
    // Whoever is neither held out nor phoneless but finds the budget spent is skipped for the budget.
    expect(run.skipReasons).toEqual({ unreachable: 1, campaign_budget: USERS.length - 1 - run.holdout - 5 });
    expect(run.messages + run.holdout + run.skipped).toBe(USERS.length);

    const planned = await server.rt.control.query<{ user_id: string }>(
      'SELECT user_id FROM outbox WHERE campaign_id = $1 ORDER BY user_id',
      [campaignId],
    );
    expect(planned).toHaveLength(run.messages);
    const before = await progressOf(campaignId);
    expect(before.waiting).toBe(run.messages);
    expect(before.channels).toEqual([
      expect.objectContaining({ channel: 'sms', planned: run.messages, waiting: run.messages, sent: 0 }),
    ]);

    // The gateway refuses the first planned user's number for good.
    refused = phoneOf(planned[0]?.user_id ?? '');
    const errors: string[] = [];
    const worker = startDeliveryWorker(server.rt, providersOf(server.rt).registry, {
      idleMs: 20,
      log: (msg, e) => errors.push(`${msg}: ${e instanceof Error ? e.message : String(e)}`),
    });
    await worker.drained();
    await worker.stop();
    expect(errors).toEqual([]);
    const sentUsers = planned.slice(1).map((r) => r.user_id);

    // One of the sent users clicks the short link in the SMS and orders within the goal's window.
    const clicker = sentUsers[0] ?? '';
    const link = await server.rt.control.query<{ code: string }>(
      `SELECT s.code FROM short_links s JOIN outbox o ON o.idempotency_key = s.idempotency_key
       WHERE o.campaign_id = $1 AND o.user_id = $2`,
      [campaignId, clicker],
    );
    expect(link).toHaveLength(1);
    const click = await fetch(`${server.url}/l/${link[0]?.code ?? ''}`, { redirect: 'manual' });
    expect(click.status).toBe(302);
    base = T + HOUR;
    const order = await postJson(`${server.url}/v1/track`, {
      userId: clicker,
      event: 'order',
      properties: { amount: 120, currency: 'CNY' },
      timestamp: iso(T + HOUR),
      messageId: `order-${clicker}`,
    });
    expect(order.status, JSON.stringify(order.json)).toBe(200);
    await shipFacts(server.rt.control, server.rt.warehouse, { clock });
    expect((await call('olga', 'POST', '/v1/conversions/attribute', {})).status).toBe(200);

    const p = await progressOf(campaignId);
    expect(p.funnel).toMatchObject({
      planned: run.messages,
      sent: sentUsers.length,
      delivered: 0,
      clicked: 1,
      converted: 1,
      users: sentUsers.length,
      sentRate: sentUsers.length / run.messages,
      clickRate: 1 / sentUsers.length,
      conversionRate: 1 / sentUsers.length,
    });
    expect(p.waiting).toBe(0);
    // Skip reasons: exactly the planner's, in words, most first.
    expect(Object.fromEntries(p.skipped.reasons.map((r) => [r.reason, r.count]))).toEqual(run.skipReasons);
    expect(p.skipped.total).toBe(run.skipped);
    const budgetSkip = p.skipped.reasons.find((r) => r.reason === 'campaign_budget');
    expect(budgetSkip?.words.zhCN).toContain('预算不足');
    expect(p.skipped.reasons.find((r) => r.reason === 'unreachable')?.words.zhCN).toMatch(/联系方式/);
    expect(p.holdout).toEqual({ users: run.holdout, share: 0.2 });
    expect(p.snapshot).toEqual({ members: USERS.length, slotAt: iso(T) });
    expect(p.runs.count).toBe(1);
    // Per channel, live: the refused number is a dead letter, with its cause in words.
    const sms = p.channels.find((c) => c.channel === 'sms');
    expect(sms).toMatchObject({
      planned: run.messages,
      waiting: 0,
      sent: sentUsers.length,
      dead: 1,
      failed: 0,
    });
    expect(sms?.failures).toHaveLength(1);
    expect(sms?.failures[0]).toMatchObject({ kind: 'dead', count: 1 });
    expect(sms?.failures[0]?.words.zhCN).toMatch(/[\u4e00-\u9fff]/u);
    // The one-off ran: no next slot. Money: four messages at 5 fen spent and held; the dead one released.
    expect(p.nextSlot).toBeNull();
    expect(p.budget).toEqual({
      limitCents: BUDGET,
      spentCents: sentUsers.length * SMS_FEN,
      committedCents: sentUsers.length * SMS_FEN,
      remainingCents: BUDGET - sentUsers.length * SMS_FEN,
    });
    expect(p.variants).toEqual([]);

    // The same figures as the campaign stats.
    const stats = await call('olga', 'GET', `/v1/campaigns/${campaignId}/stats`);
    const total = stats.json['total'] as Record<string, number>;
    expect([p.funnel['planned'], p.funnel['sent'], p.funnel['clicked'], p.funnel['converted']]).toEqual([
      total['planned'],
      total['sent'],
      total['clicked'],
      total['convertedUsers'],
    ]);
    expect(p.budget.spentCents).toBe(total['costCents']);

    // The list's columns: sent and converted so far per campaign, the same figures.
    const totals = await call('vera', 'GET', '/v1/campaign-totals');
    expect(totals.status).toBe(200);
    expect(totals.json['campaigns']).toEqual([{ campaignId, sent: sentUsers.length, convertedUsers: 1 }]);

    // Every role may read it; an unknown campaign is a 404.
    expect((await progressOf(campaignId, 'vera')).funnel['sent']).toBe(sentUsers.length);
    expect((await call('olga', 'GET', '/v1/campaigns/cmp_nope/progress')).status).toBe(404);
  }, 120_000);
});

describe('copy', () => {
  it('makes the caller a draft with the same definition; a past one-off moves a day ahead', async () => {
    const src = await call('olga', 'GET', `/v1/campaigns/${campaignId}`);
    const r = await call('otto', 'POST', `/v1/campaigns/${campaignId}/copy`);
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const copy = r.json['campaign'] as Record<string, unknown> & { definition: Record<string, unknown> };
    expect(r.json['copiedFrom']).toBe(campaignId);
    expect(r.json['scheduleReset']).toBe(true);
    expect(copy).toMatchObject({
      name: 'Progress 副本',
      status: 'draft',
      version: 1,
      owner: { name: 'otto' },
    });
    expect(copy['id']).not.toBe(campaignId);
    const { timing, ...rest } = copy.definition;
    const { timing: srcTiming, ...srcRest } = (src.json as { definition: Record<string, unknown> })
      .definition;
    expect(rest).toEqual(srcRest); // content, audience, budget, holdout, goal …
    expect(srcTiming).toEqual({ kind: 'one_off', at: iso(T) });
    const at = Date.parse((timing as { at: string }).at);
    const now = clock();
    expect(at).toBeGreaterThan(now + 24 * HOUR - 1);
    expect(at).toBeLessThanOrEqual(now + 25 * HOUR);
    expect(at % HOUR).toBe(0);
    // A second copy takes the next free name; the copy is listed as a draft.
    const again = await call('olga', 'POST', `/v1/campaigns/${campaignId}/copy`);
    expect((again.json['campaign'] as { name: string }).name).toBe('Progress 副本 2');
    const drafts = await call('olga', 'GET', '/v1/campaigns?status=draft');
    expect((drafts.json['campaigns'] as { name: string }[]).map((c) => c.name).sort()).toEqual([
      'Progress 副本',
      'Progress 副本 2',
    ]);
    // Audited, with where it came from.
    const audit = await server.rt.control.query<{ object_id: string; details: unknown }>(
      `SELECT object_id, details FROM audit_log WHERE action = 'campaign.copy' ORDER BY id`,
    );
    expect(audit).toHaveLength(2);
    const details = (
      typeof audit[0]?.details === 'string' ? JSON.parse(audit[0].details) : audit[0]?.details
    ) as Record<string, unknown>;
    expect(audit[0]?.object_id).toBe(copy['id']);
    expect(details).toMatchObject({ from: campaignId, name: 'Progress 副本', scheduleReset: true });
  });

  it('keeps a schedule still ahead, and is refused to roles that may not create', async () => {
    const r = await call('ada', 'POST', `/v1/campaigns/${nightId}/copy`);
    expect(r.status).toBe(201);
    expect(r.json['scheduleReset']).toBe(false);
    expect((r.json['campaign'] as { definition: { timing: unknown } }).definition.timing).toEqual({
      kind: 'periodic',
      cron: '0 23 * * *',
      timezone: 'Asia/Shanghai',
    });
    for (const who of ['vera', 'rita']) {
      const refusedCopy = await call(who, 'POST', `/v1/campaigns/${nightId}/copy`);
      expect(refusedCopy.status).toBe(403);
    }
    expect((await call('olga', 'POST', '/v1/campaigns/cmp_nope/copy')).status).toBe(404);
  });
});
