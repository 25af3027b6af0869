import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { profile, seed } from './support/score-scenario.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * The notification API (features.md H1) end to end on PGlite and PostgreSQL: a transactional message goes out to a user
 * the marketing rules would hold back (daily cap reached, quiet hours), a marketing campaign is
 * refused, a repeated idempotency key answers the same without a second message, and an
 * unreachable user is recorded as skipped with the planner's reason.
 */

const NOW = Date.UTC(2026, 10, 20, 15); // 23:00 in Shanghai: inside the default quiet hours
const DAY = 86_400_000;

const backends = {
  pglite: () => ({}),
  postgres: () => ({
    config: { databaseUrl: inject('postgresUrl') },
    controlSchema: `ntf_${randomBytes(4).toString('hex')}`,
  }),
};

describe.each(Object.entries(backends))('notification API on %s', (_name, backend) => {
  let server: TestServer;
  const tokens: Record<string, string> = {};
  let transactional = '';
  let marketing = '';

  const call = (who: string, method: string, path: string, body?: unknown) =>
    apiCall(server.url, tokens[who] ?? '', method, path, body);

  const campaign = async (name: string, cls: 'marketing' | 'transactional', audienceId: string) => {
    const created = await call('olga', 'POST', '/v1/campaigns', {
      name,
      definition: {
        audienceId,
        class: cls,
        timing: { kind: 'triggered', event: 'api_notification' },
        channels: ['sms'],
        holdoutShare: cls === 'transactional' ? 0 : 0.1,
        content: [{ channel: 'sms', text: '订单 {{ data.order_id }} 已发货', signature: '【Rekindle】' }],
      },
    });
    if (created.status !== 201) throw new Error(JSON.stringify(created.json));
    const id = String(created.json['id']);
    await call('olga', 'POST', `/v1/campaigns/${id}/submit`, { version: 1 });
    const r = await call('rita', 'POST', `/v1/campaigns/${id}/review`, { decision: 'approve', version: 1 });
    if (r.json['status'] !== 'running') throw new Error(JSON.stringify(r.json));
    return id;
  };

  const outbox = () =>
    server.rt.control.query<{ idempotency_key: string; user_id: string; class: string; payload: unknown }>(
      `SELECT idempotency_key, user_id, class, payload FROM outbox WHERE class = 'transactional' ORDER BY idempotency_key`,
    );

  beforeAll(async () => {
    server = await startTestServer({ clock: () => NOW, ...backend() });
    for (const [name, role] of [
      ['olga', 'operator'],
      ['rita', 'reviewer'],
      ['vic', 'viewer'],
    ] as const) {
      const u = await createUser(server.rt.control, { name, role });
      if (!u.ok) throw new Error('user exists');
      tokens[name] = await issueApiToken(server.rt.control, u.value.id);
    }
    const base = { acquisition_channel: 'distribution', timezone: 'Asia/Shanghai' } as const;
    await seed(server.rt.warehouse, [
      profile('u1', NOW - 100 * DAY, { ...base, phone: '13800000001', consent_sms: true }),
      profile('u2', NOW - 100 * DAY, { ...base }),
    ]);
    const aud = await call('olga', 'POST', '/v1/audiences', {
      name: 'Everyone',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    transactional = await campaign('Shipping notice', 'transactional', String(aud.json['id']));
    marketing = await campaign('Promo', 'marketing', String(aud.json['id']));
    // u1 already had today's one marketing message: the daily cap is reached.
    await server.rt.control.query(
      `INSERT INTO outbox (idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class, send_at,
                           cost_cents, created_at)
       VALUES ('earlier:r:0:u1', 'default', $1, 'r', '0', 'u1', 'sms', 'marketing', $2, 0, $2)`,
      [marketing, new Date(NOW - 3_600_000)],
    );
  }, 60_000);
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('sends a transactional message past the marketing cap and quiet hours, with data as payload', async () => {
    const r = await call('olga', 'POST', '/v1/notifications', {
      campaignId: transactional,
      userId: 'u1',
      data: { order_id: 'o-42', items: [{ sku: 'a' }] },
      idempotencyKey: 'order-o-42-shipped',
    });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ status: 'queued', reason: null, userId: 'u1', campaignId: transactional });
    const messages = r.json['messages'] as { key: string; channel: string; sendAt: string; status: string }[];
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      channel: 'sms',
      status: 'pending',
      sendAt: new Date(NOW).toISOString(),
    });
    const rows = await outbox();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.idempotency_key).toBe(messages[0]?.key);
    expect(rows[0]?.payload).toEqual({ order_id: 'o-42', items: [{ sku: 'a' }] });

    const status = await call('rita', 'GET', '/v1/notifications/order-o-42-shipped');
    expect(status.status).toBe(200);
    expect(status.json).toEqual(r.json);
  });

  it('answers a repeated key with the first answer and no second message; a reused key with other data is a conflict', async () => {
    const body = {
      campaignId: transactional,
      userId: 'u1',
      data: { order_id: 'o-7' },
      idempotencyKey: 'o-7',
    };
    const first = await call('olga', 'POST', '/v1/notifications', body);
    const before = (await outbox()).length;
    const again = await call('olga', 'POST', '/v1/notifications', { ...body, data: { order_id: 'o-7' } });
    expect(again.status).toBe(202);
    expect(again.json).toEqual(first.json);
    // Two at once with a new key: still one message.
    const racing = { ...body, idempotencyKey: 'o-7-race' };
    const both = await Promise.all([
      call('olga', 'POST', '/v1/notifications', racing),
      call('olga', 'POST', '/v1/notifications', racing),
    ]);
    expect(both.map((b) => b.status)).toEqual([202, 202]);
    expect(both[0]?.json).toEqual(both[1]?.json);
    expect((await outbox()).length).toBe(before + 1);
    const other = await call('olga', 'POST', '/v1/notifications', { ...body, data: { order_id: 'o-8' } });
    expect(other.status).toBe(409);
    expect(String(other.json['error'])).toContain("idempotencyKey 'o-7' was already used");
  });

  it('refuses a marketing campaign, naming the field', async () => {
    const r = await call('olga', 'POST', '/v1/notifications', {
      campaignId: marketing,
      userId: 'u1',
      data: {},
      idempotencyKey: 'm-1',
    });
    expect(r.status).toBe(400);
    expect(r.json['errors']).toEqual([
      {
        path: 'campaignId',
        message: `campaign '${marketing}' is a marketing campaign; notifications go through a transactional one`,
      },
    ]);
    expect((await call('olga', 'GET', '/v1/notifications/m-1')).status).toBe(404);
  });

  it('answers 404 for an unknown user or campaign and records nothing', async () => {
    const r = await call('olga', 'POST', '/v1/notifications', {
      campaignId: transactional,
      userId: 'nobody',
      data: {},
      idempotencyKey: 'n-1',
    });
    expect(r.status).toBe(404);
    expect(r.json['error']).toBe("user 'nobody' not found");
    const c = await call('olga', 'POST', '/v1/notifications', {
      campaignId: 'cmp_missing',
      userId: 'u1',
      data: {},
      idempotencyKey: 'n-2',
    });
    expect(c.status).toBe(404);
    const rows = await server.rt.control.query('SELECT 1 FROM notifications WHERE request_key IN ($1, $2)', [
      'n-1',
      'n-2',
    ]);
    expect(rows).toHaveLength(0);
  });

  it('records an unreachable user as skipped with the reason', async () => {
    const r = await call('olga', 'POST', '/v1/notifications', {
      campaignId: transactional,
      userId: 'u2',
      data: {},
      idempotencyKey: 'u2-1',
    });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ status: 'skipped', reason: 'unreachable', messages: [] });
    expect((await call('vic', 'GET', '/v1/notifications/u2-1')).json).toMatchObject({
      reason: 'unreachable',
    });
  });

  it('validates fields precisely and allows operators and admins only', async () => {
    const bad = await call('olga', 'POST', '/v1/notifications', {
      campaignId: transactional,
      userId: 'u1',
      data: 'x',
      idempotencyKey: 'has space',
    });
    expect(bad.status).toBe(400);
    const paths = (bad.json['errors'] as { path: string }[]).map((e) => e.path);
    expect(paths).toContain('data');
    expect(paths).toContain('idempotencyKey');
    const big = await call('olga', 'POST', '/v1/notifications', {
      campaignId: transactional,
      userId: 'u1',
      data: { blob: 'x'.repeat(20_000) },
      idempotencyKey: 'big',
    });
    expect(big.status).toBe(400);
    expect(big.json['errors']).toEqual([
      { path: 'data', message: 'must serialise to at most 16384 bytes of JSON' },
    ]);
    const viewer = await call('vic', 'POST', '/v1/notifications', {
      campaignId: transactional,
      userId: 'u1',
      data: {},
      idempotencyKey: 'v-1',
    });
    expect(viewer.status).toBe(403);
  });
});
