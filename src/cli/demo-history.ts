import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/clock.ts';
import { providersOf } from '../delivery/providers/provider-runtime.ts';
import { startDeliveryWorker } from '../delivery/worker.ts';
import { shipFacts } from '../facts/ship.ts';
import type { Runtime } from '../runtime.ts';
import { buildServer } from '../server/app.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { createUser, findUserByName, issueApiToken, revokeApiTokens } from '../storage/control/users.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import {
  countCampaignsNamed,
  deliveredInbox,
  heldOutUsers,
  issuedCodes,
} from '../storage/demo/demo-history-reads.ts';

/**
 * Campaigns that already ran, so a fresh demo shows the whole loop (issue 18): each goes through
 * the product as a team would — an audience saved, a campaign with a holdout and a coupon created
 * by an operator, approved by a reviewer, planned by the planner at a slot in the past days,
 * delivered by the real delivery worker to the in-app inbox (the `inbox` provider stores the
 * message where the app reads it), clicked through its tracked short links, then orders tracked
 * through the ingestion API, coupons redeemed and conversions attributed. Only the users'
 * behaviour is simulated (who clicks, who buys), deterministically from their ids.
 *
 * The API is called in process (`inject`) on a server whose clock is moved to each step's time,
 * so every timestamp (sent, clicked, redeemed) falls on the past day it belongs to.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WS = 'default';
// Login names as a Chinese team writes them (pinyin): the operator who ran the campaigns and the reviewer.
const OPERATOR = 'wangfang';
const REVIEWER = 'lijing';

interface DemoCampaign {
  name: string;
  audience: { name: string; description: string; definition: Record<string, unknown> };
  /** Days before `now` (00:00 UTC of today) at 02:00 UTC, 10:00 in Shanghai. */
  daysAgo: number;
  title: string;
  body: string;
  landing: string;
  couponFen: number;
  /** Of the users sent a message, who taps it; of those, who orders (and redeems). */
  clickRate: number;
  buyAfterClick: number;
  /** Who orders anyway within the goal window: the holdout and the users who did not click. */
  baseline: number;
  /** An order's amount in yuan: from `minYuan` up to `minYuan + spreadYuan`. */
  minYuan: number;
  spreadYuan: number;
}

export const DEMO_CAMPAIGNS: readonly DemoCampaign[] = [
  {
    name: '沉睡老客召回 · 满 100 减 20',
    audience: {
      name: '沉睡老客（半年下单 3 次以上，30 天未下单）',
      description: '近 180 天下单至少 3 次，近 30 天没有下单。',
      definition: {
        kind: 'and',
        children: [
          {
            kind: 'metric',
            event: 'order',
            fn: 'count',
            window: { type: 'last_days', days: 180 },
            op: 'gte',
            value: 3,
          },
          { kind: 'did_not', event: 'order', window: { type: 'last_days', days: 30 } },
        ],
      },
    },
    daysAgo: 6,
    title: '好久不见，送你一张 20 元券',
    body: '满 100 减 20，7 天内有效，券码 {{ offer.code }}',
    landing: 'https://shop.example.com/coupons?from=recall',
    couponFen: 2000,
    clickRate: 0.22,
    buyAfterClick: 0.4,
    baseline: 0.03,
    minYuan: 100,
    spreadYuan: 300,
  },
  {
    name: '加购未下单提醒 · 包邮券',
    audience: {
      name: '近 14 天加购未下单',
      description: '近 14 天加入购物车，且这 14 天没有下单。',
      definition: {
        kind: 'and',
        children: [
          { kind: 'did', event: 'add_to_cart', window: { type: 'last_days', days: 14 } },
          { kind: 'did_not', event: 'order', window: { type: 'last_days', days: 14 } },
        ],
      },
    },
    daysAgo: 4,
    title: '购物车里的宝贝还在等你',
    body: '送你一张 10 元包邮券，券码 {{ offer.code }}',
    landing: 'https://shop.example.com/cart?from=reminder',
    couponFen: 1000,
    clickRate: 0.3,
    buyAfterClick: 0.45,
    baseline: 0.05,
    minYuan: 60,
    spreadYuan: 200,
  },
  {
    name: '新客首单激励 · 15 元券',
    audience: {
      name: '近 14 天注册未下单的新客',
      description: '近 14 天注册，还没有下过单。',
      definition: {
        kind: 'and',
        children: [
          { kind: 'attribute', attribute: 'register_time', op: 'within_last', days: 14 },
          { kind: 'did_not', event: 'order', window: { type: 'last_days', days: 14 } },
        ],
      },
    },
    daysAgo: 2,
    title: '新人专享 15 元券',
    body: '首单立减 15 元，券码 {{ offer.code }}',
    landing: 'https://shop.example.com/new?from=welcome',
    couponFen: 1500,
    clickRate: 0.25,
    buyAfterClick: 0.3,
    baseline: 0.02,
    minYuan: 50,
    spreadYuan: 150,
  },
];

/** A stable number in [0, 1) for a user and a purpose: the same demo every time. */
const chance = (...parts: string[]): number =>
  createHash('sha256').update(parts.join('|')).digest().readUInt32BE(0) / 2 ** 32;

export interface DemoHistoryReport {
  /** false: the campaigns were there already (a second start). */
  seeded: boolean;
  campaigns: number;
  sent: number;
  clicked: number;
  orders: number;
  ms: number;
}

const demoMember = async (control: SqlClient, name: string, role: 'operator' | 'reviewer') => {
  const found = await findUserByName(control, name);
  if (found) return found;
  const created = await createUser(control, { name, role });
  if (!created.ok) throw new Error(`could not create the demo user '${name}'`);
  return created.value;
};

/** Whether the demo's campaigns are there already (any of them: a second start seeds nothing). */
export const demoHistorySeeded = async (control: SqlClient): Promise<boolean> =>
  (await countCampaignsNamed(
    control,
    WS,
    DEMO_CAMPAIGNS.map((c) => c.name),
  )) > 0;

/**
 * Seeds the demo campaigns' history once; `now` is the demo's "today" (00:00 UTC, as the demo
 * data were generated). `adminToken`: an admin's API token (providers, attribution); `writeKey`:
 * the workspace's write key the users' orders are tracked with.
 */
export const seedDemoHistory = async (
  rt: Runtime,
  options: {
    now: number;
    adminToken: string;
    writeKey: string;
    log?: (line: string) => void;
  },
): Promise<DemoHistoryReport> => {
  const started = performance.now();
  const none = { campaigns: 0, sent: 0, clicked: 0, orders: 0 };
  if (await demoHistorySeeded(rt.control)) return { seeded: false, ...none, ms: 0 };
  // The clock reads the step's time plus the real time since it was set, so rate limiters refill.
  let at = options.now - 7 * DAY;
  let setAt = performance.now();
  const moveTo = (ms: number) => {
    at = ms;
    setAt = performance.now();
  };
  const clock: Clock = () => at + Math.round(performance.now() - setAt);
  // The same stores, seen through a clock this seeding moves (the server's own stays the real one).
  const past: Runtime = { ...rt, clock, config: { ...rt.config } };
  const app = buildServer(past);
  const operator = await demoMember(rt.control, OPERATOR, 'operator');
  const reviewer = await demoMember(rt.control, REVIEWER, 'reviewer');
  const tokens = {
    admin: options.adminToken,
    operator: await issueApiToken(rt.control, operator.id),
    reviewer: await issueApiToken(rt.control, reviewer.id),
  };
  const writeKey = options.writeKey;
  const report = { campaigns: 0, sent: 0, clicked: 0, orders: 0 };
  try {
    const call = async (
      who: keyof typeof tokens,
      method: 'GET' | 'POST' | 'PUT',
      url: string,
      body?: unknown,
    ) => {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${tokens[who]}` },
        ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
      });
      if (res.statusCode >= 300)
        throw new Error(
          `demo history: ${method} ${url} answered ${res.statusCode}: ${res.body.slice(0, 500)}`,
        );
      return res.json<Record<string, unknown>>();
    };
    // The in-app inbox: Rekindle's own store the app reads (GET /v1/inbox), a real delivery.
    const providers = (await call('admin', 'GET', '/v1/providers'))['providers'] as { channel: string }[];
    if (!providers.some((p) => p.channel === 'in_app'))
      await call('admin', 'POST', '/v1/providers', {
        kind: 'inbox',
        name: 'App 站内信',
        ratePerSecond: 2000,
        config: {},
        secrets: {},
      });

    for (const c of DEMO_CAMPAIGNS) {
      const slot = options.now - c.daysAgo * DAY + 2 * HOUR;
      moveTo(slot - 3 * HOUR);
      const audience = await call('operator', 'POST', '/v1/audiences', c.audience);
      const created = await call('operator', 'POST', '/v1/campaigns', {
        name: c.name,
        definition: {
          audienceId: String(audience['id']),
          timing: { kind: 'one_off', at: new Date(slot).toISOString() },
          channels: ['in_app'],
          content: [{ channel: 'in_app', title: c.title, body: c.body, landingUrl: c.landing }],
          holdoutShare: 0.15,
          goal: { event: 'order', withinDays: 3 },
          offer: {
            kind: 'coupon',
            amount: { type: 'fixed', amount: c.couponFen },
            validityDays: 7,
            expectedRedemptionRate: 0.3,
            costRecognition: 'redemption',
          },
        },
      });
      const id = String(created['id']);
      moveTo(slot - 150 * 60_000);
      await call('operator', 'POST', `/v1/campaigns/${id}/submit`, { version: 1 });
      moveTo(slot - 90 * 60_000);
      await call('reviewer', 'POST', `/v1/campaigns/${id}/review`, { decision: 'approve', version: 1 });
      // The planner at the slot, as the scheduler would have run it then.
      moveTo(slot);
      await call('operator', 'POST', '/v1/planner/run', {});
      // Delivered a minute later; messages held for a user's night go at their window's start.
      for (const after of [60_000, 14 * HOUR]) {
        moveTo(slot + after);
        const worker = startDeliveryWorker(past, providersOf(past).registry, {
          idleMs: 10,
          log: (m, e) => options.log?.(`demo history: ${m}: ${e instanceof Error ? e.message : String(e)}\n`),
        });
        await worker.drained();
        await worker.stop();
      }
      report.campaigns += 1;
      const r = await simulateUsers(rt.control, rt.warehouse, call, moveTo, {
        campaign: c,
        id,
        slot,
        writeKey,
        inject: app,
      });
      report.sent += r.sent;
      report.clicked += r.clicked;
      report.orders += r.orders;
    }
    // The facts the reports read, then conversions attributed, as the server's workers do.
    moveTo(options.now);
    await shipFacts(rt.control, rt.warehouse, { clock });
    await call('admin', 'POST', '/v1/conversions/attribute', {});
  } finally {
    await providersOf(past).registry.close();
    await app.close();
    await revokeApiTokens(rt.control, operator.id);
    await revokeApiTokens(rt.control, reviewer.id);
  }
  const ms = Math.round(performance.now() - started);
  options.log?.(
    `Demo history: ${report.campaigns} campaigns ran in the past days (${report.sent} sent, ${report.clicked} clicked, ${report.orders} orders) in ${(ms / 1000).toFixed(1)} s.\n`,
  );
  return { seeded: true, ...report, ms };
};

type Call = (
  who: 'admin' | 'operator' | 'reviewer',
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  body?: unknown,
) => Promise<Record<string, unknown>>;

/**
 * The users' side: who opened the message and tapped its link (the tracked short link, through
 * `/l/:code`), who then bought (an `order` through `/v1/batch`) and redeemed the coupon; and the
 * baseline: held-out users and those who did not tap buy now and then anyway.
 */
const simulateUsers = async (
  control: SqlClient,
  warehouse: WarehouseSql,
  call: Call,
  setClock: (ms: number) => void,
  o: { campaign: DemoCampaign; id: string; slot: number; writeKey: string; inject: FastifyInstance },
): Promise<{ sent: number; clicked: number; orders: number }> => {
  const c = o.campaign;
  const inbox = await deliveredInbox(control, WS, o.id);
  const codes = await issuedCodes(control, WS, o.id);
  const held = await heldOutUsers(warehouse, o.id);
  type Action = { at: number; kind: 'click' | 'order'; user: string; url?: string };
  const actions: Action[] = [];
  const order = (user: string, from: number) =>
    actions.push({
      at: from + Math.round(chance(c.name, user, 'when') * 40 * HOUR) + HOUR,
      kind: 'order',
      user,
    });
  for (const m of inbox) {
    const sentAt = new Date(m.at).getTime();
    if (m.landing_url !== null && chance(c.name, m.user_id, 'click') < c.clickRate) {
      const clickAt = sentAt + Math.round(chance(c.name, m.user_id, 'click-at') * 20 * HOUR) + 5 * 60_000;
      actions.push({ at: clickAt, kind: 'click', user: m.user_id, url: m.landing_url });
      if (chance(c.name, m.user_id, 'buy') < c.buyAfterClick) order(m.user_id, clickAt);
    } else if (chance(c.name, m.user_id, 'buy') < c.baseline) order(m.user_id, sentAt);
  }
  for (const h of held) if (chance(c.name, h, 'buy') < c.baseline) order(h, o.slot);
  actions.sort((a, b) => a.at - b.at || a.user.localeCompare(b.user));
  let clicked = 0;
  const batch: Record<string, unknown>[] = [];
  for (const a of actions) {
    setClock(a.at);
    if (a.kind === 'click') {
      const path = new URL(a.url ?? '').pathname;
      const res = await o.inject.inject({
        method: 'GET',
        url: path,
        headers: { 'user-agent': 'RekindleDemo/1.0 (iPhone)' },
      });
      if (res.statusCode === 302) clicked += 1;
      continue;
    }
    const yuan = c.minYuan + Math.round(chance(c.name, a.user, 'amount') * c.spreadYuan);
    batch.push({
      type: 'track',
      userId: a.user,
      event: 'order',
      properties: { amount: yuan, currency: 'CNY', order_id: `demo-${o.id}-${a.user}` },
      timestamp: new Date(a.at).toISOString(),
      messageId: `demo-order-${o.id}-${a.user}`,
    });
    const code = codes.get(a.user);
    if (code !== undefined) await call('operator', 'POST', `/v1/offers/${code}/redeem`);
  }
  const auth = `Basic ${Buffer.from(`${o.writeKey}:`).toString('base64')}`;
  for (let i = 0; i < batch.length; i += 200) {
    const res = await o.inject.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: auth },
      payload: { batch: batch.slice(i, i + 200) },
    });
    if (res.statusCode !== 200) throw new Error(`demo history: orders refused: ${res.body.slice(0, 500)}`);
  }
  return { sent: inbox.length, clicked, orders: batch.length };
};
