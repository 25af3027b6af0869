import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { startDeliveryWorker } from '../src/delivery/worker.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startFakeWechatOa, startFakeWecom, type FakeWechat } from './support/fake-wechat.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';
import { profile, seed } from './support/score-scenario.ts';

/**
 * The WeCom channel as an operator sets it up (issue 14): a WeCom application (企业微信应用消息)
 * first and a WeChat Official Account (微信公众号模板消息) second, configured through the API,
 * each faked on loopback as its vendor documents. A shipping notice goes to four users through
 * the notification API: members reach WeCom by their userid, a follower with only an open id
 * falls through to the Official Account at once, and a user with neither is not queued.
 */

const NOW = Date.UTC(2026, 10, 20, 3); // 11:00 in Shanghai
const DAY = 86_400_000;
// Time moves (the providers' rate limiters refill with it), from a fixed daytime start.
const started = Date.now();
const clock = () => NOW + (Date.now() - started);

describe('WeCom channel with both WeChat kinds, end to end', () => {
  let server: TestServer;
  let wecom: FakeWechat;
  let oa: FakeWechat;
  const tokens: Record<string, string> = {};
  const providerIds: Record<string, string> = {};
  let campaignId = '';

  const call = (who: string, method: string, path: string, body?: unknown) =>
    apiCall(server.url, tokens[who] ?? '', method, path, body);

  beforeAll(async () => {
    wecom = await startFakeWecom('ww0001', 'corp-secret', 1000002, ['zhangsan', 'lisi']);
    oa = await startFakeWechatOa('wx0001', 'app-secret', ['oOPEN2', 'oOPEN3']);
    server = await startTestServer({ clock });
    for (const [name, role] of [
      ['ada', 'admin'],
      ['olga', 'operator'],
      ['rita', 'reviewer'],
    ] as const) {
      const u = await createUser(server.rt.control, { name, role });
      if (!u.ok) throw new Error('user exists');
      tokens[name] = await issueApiToken(server.rt.control, u.value.id);
    }
    for (const body of [
      {
        kind: 'wecom',
        name: '企业微信应用',
        priority: 0,
        ratePerSecond: 100,
        config: { corpId: 'ww0001', agentId: 1000002, apiBaseUrl: wecom.url },
        secrets: { corpSecret: 'corp-secret' },
      },
      {
        kind: 'wechat_oa',
        name: '服务号',
        priority: 1,
        ratePerSecond: 100,
        config: { appId: 'wx0001', apiBaseUrl: oa.url },
        secrets: { appSecret: 'app-secret' },
      },
    ]) {
      const r = await call('ada', 'POST', '/v1/providers', body);
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      providerIds[body.kind] = String(r.json['id']);
    }
    const base = {
      acquisition_channel: 'distribution',
      timezone: 'Asia/Shanghai',
      consent_wecom: true,
    } as const;
    await seed(server.rt.warehouse, [
      profile('u1', NOW - 100 * DAY, base, { wecom_userid: 'zhangsan' }),
      profile('u2', NOW - 100 * DAY, base, { wecom_openid: 'oOPEN2' }),
      profile('u3', NOW - 100 * DAY, base, { wecom_userid: 'lisi', wecom_openid: 'oOPEN3' }),
      profile('u4', NOW - 100 * DAY, base),
    ]);
    const aud = await call('olga', 'POST', '/v1/audiences', {
      name: 'Everyone',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    const created = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Shipping notice',
      definition: {
        audienceId: String(aud.json['id']),
        class: 'transactional',
        timing: { kind: 'triggered', event: 'api_notification' },
        channels: ['wecom'],
        holdoutShare: 0,
        content: [
          {
            channel: 'wecom',
            templateId: 'TPL_SHIPPED',
            title: '发货通知',
            fields: { thing1: '订单 {{ data.order_id }} 已发货', time2: '今天' },
            landingUrl: 'https://shop.example.com/orders',
          },
        ],
      },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    campaignId = String(created.json['id']);
    await call('olga', 'POST', `/v1/campaigns/${campaignId}/submit`, { version: 1 });
    const r = await call('rita', 'POST', `/v1/campaigns/${campaignId}/review`, {
      decision: 'approve',
      version: 1,
    });
    expect(r.json['status']).toBe('running');
  }, 60_000);

  afterAll(async () => {
    await server.stop();
    server.cleanup();
    await wecom.close();
    await oa.close();
  });

  it('reaches members on WeCom, a follower on the Official Account, and nobody twice', async () => {
    const queued: Record<string, string> = {};
    for (const userId of ['u1', 'u2', 'u3', 'u4']) {
      const r = await call('olga', 'POST', '/v1/notifications', {
        campaignId,
        userId,
        data: { order_id: `o-${userId}` },
        idempotencyKey: `shipped-${userId}`,
      });
      expect(r.status, JSON.stringify(r.json)).toBe(202);
      queued[userId] = String(r.json['status']);
    }
    // u4 consented but has neither id: the planner does not count WeCom as a way to reach them.
    expect(queued).toEqual({ u1: 'queued', u2: 'queued', u3: 'queued', u4: 'skipped' });

    const errors: string[] = [];
    const worker = startDeliveryWorker(server.rt, providersOf(server.rt).registry, {
      idleMs: 20,
      log: (msg, e) => errors.push(`${msg}: ${e instanceof Error ? e.message : String(e)}`),
    });
    await worker.drained();
    await worker.stop();
    expect(errors).toEqual([]);

    // WeCom: a textcard to each member, with the agent id and the rendered order number.
    const cards = wecom.accepted.map((b) => ({
      touser: b['touser'],
      agentid: b['agentid'],
      card: b['textcard'] as Record<string, unknown>,
    }));
    expect(cards.map((c) => c.touser).sort()).toEqual(['lisi', 'zhangsan']);
    for (const c of cards) {
      expect(c.agentid).toBe(1000002);
      expect(c.card['title']).toBe('发货通知');
      expect(String(c.card['description'])).toMatch(/订单 o-u[13] 已发货/);
    }
    // The Official Account: the template to the one user WeCom could not address.
    expect(oa.accepted).toHaveLength(1);
    expect(oa.accepted[0]).toMatchObject({
      touser: 'oOPEN2',
      template_id: 'TPL_SHIPPED',
      data: { thing1: { value: '订单 o-u2 已发货' } },
    });
    // One token each, shared by every send.
    expect([wecom.tokenFetches(), oa.tokenFetches()]).toEqual([1, 1]);

    const rows = await server.rt.control.query<{
      user_id: string;
      status: string;
      provider_id: string;
      attempts: number;
    }>('SELECT user_id, status, provider_id, attempts FROM outbox WHERE campaign_id = $1 ORDER BY user_id', [
      campaignId,
    ]);
    expect(rows).toEqual([
      { user_id: 'u1', status: 'sent', provider_id: providerIds['wecom'], attempts: 1 },
      // WeCom had no member id for u2: the next kind took it in the same wave.
      { user_id: 'u2', status: 'sent', provider_id: providerIds['wechat_oa'], attempts: 2 },
      { user_id: 'u3', status: 'sent', provider_id: providerIds['wecom'], attempts: 1 },
    ]);
  }, 60_000);
});
