import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { OutgoingMessage } from '../src/core/delivery/message.ts';
import { inboxAdapter } from '../src/delivery/inbox/inbox-adapter.ts';
import { callListAdapter, signWebhook } from '../src/delivery/providers/adapters/call-list.ts';
import { callTasksCsv } from '../src/delivery/providers/call-tasks.ts';
import { chinaTime, parseReceipts, receiptSignature } from '../src/delivery/providers/receipts.ts';
import { readMessageLog } from '../src/storage/control/message-log.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { basicAuth, startTestServer, TEST_WRITE_KEY, type TestServer } from './support/runtime.ts';

/**
 * Receipts (features.md F1): verified per provider, applied to the outbox and the message log in one
 * transaction, idempotent; the in-app inbox API; the outbound call list. On PGlite and PostgreSQL.
 */

const NOW = Date.UTC(2026, 10, 20, 3, 30);
const RECEIPT_SECRET = 'receipt-secret-0123456789';

const backends = {
  pglite: () => ({}),
  postgres: () => ({
    config: { databaseUrl: inject('postgresUrl') },
    controlSchema: `prv_${randomBytes(4).toString('hex')}`,
  }),
};

describe('receipt parsing', () => {
  it('reads Aliyun and Tencent report shapes and China-time stamps', () => {
    expect(chinaTime('2026-11-20 11:30:00', 0)).toBe(NOW);
    expect(
      parseReceipts(
        'sms_aliyun',
        [
          {
            biz_id: 'B1',
            out_id: 'k1',
            success: false,
            err_code: 'MOBILE_NOT_ON_SERVICE',
            report_time: '2026-11-20 11:30:00',
            phone_number: '13812345678',
          },
        ],
        1,
      ),
    ).toEqual([
      {
        providerMessageId: 'B1:13812345678',
        idempotencyKey: 'k1',
        status: 'failed',
        code: 'MOBILE_NOT_ON_SERVICE',
        at: NOW,
      },
    ]);
    expect(
      parseReceipts(
        'sms_tencent',
        [
          {
            sid: 'S1',
            report_status: 'SUCCESS',
            errmsg: 'DELIVRD',
            user_receive_time: '2026-11-20 11:30:00',
          },
        ],
        1,
      ),
    ).toEqual([{ providerMessageId: 'S1', status: 'delivered', code: 'DELIVRD', at: NOW }]);
    expect(parseReceipts('sms_http', { receipts: [{ messageId: 'x', status: 'bounced' }] }, 1)).toMatch(
      /status/,
    );
  });
});

describe.each(Object.entries(backends))('receipts, inbox and call list on %s', (_name, backend) => {
  let server: TestServer;
  let admin = '';
  let smsId = '';
  let aliId = '';

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      text,
      json: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>,
    };
  };
  const asAdmin = { authorization: '' };

  const outboxRow = async (key: string, providerId: string, providerMessageId: string) =>
    server.rt.control.query(
      `INSERT INTO outbox (idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class, variant,
         send_at, cost_cents, status, created_at, provider_id, provider_message_id, sent_at)
       VALUES ($1, 'default', 'c1', 'r1', 's1', $2, 'sms', 'marketing', NULL, $3, 5, 'sent', $3, $4, $5, $3)`,
      [key, `u-${key}`, new Date(NOW), providerId, providerMessageId],
    );

  beforeAll(async () => {
    server = await startTestServer({ clock: () => NOW, ...backend() });
    const u = await createUser(server.rt.control, { name: 'root', role: 'admin' });
    if (!u.ok) throw new Error('user');
    admin = await issueApiToken(server.rt.control, u.value.id);
    asAdmin.authorization = `Bearer ${admin}`;
    const sms = await call(
      'POST',
      '/v1/providers',
      {
        kind: 'sms_http',
        name: 'gw',
        config: { url: 'http://127.0.0.1:9/' },
        secrets: { authValue: 'x', receiptSecret: RECEIPT_SECRET },
      },
      asAdmin,
    );
    smsId = String(sms.json['id']);
    const ali = await call(
      'POST',
      '/v1/providers',
      {
        kind: 'sms_aliyun',
        name: 'ali',
        config: { templateCode: 'T', templateParams: {} },
        secrets: { accessKeyId: 'a', accessKeySecret: 'b', receiptSecret: RECEIPT_SECRET },
      },
      asAdmin,
    );
    aliId = String(ali.json['id']);
    await outboxRow('k1', smsId, 'gw-1');
    await outboxRow('k2', smsId, 'gw-2');
    await outboxRow('k3', aliId, 'BIZ3');
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('applies a signed generic receipt once: outbox row final, one log entry; duplicates and unknown ids are reported', async () => {
    const body = JSON.stringify({
      receipts: [
        { messageId: 'gw-1', status: 'delivered', at: '2026-11-20T03:31:00Z' },
        { idempotencyKey: 'k2', status: 'failed', code: 'UNDELIV' },
        { messageId: 'nope', status: 'delivered' },
      ],
    });
    const sig = { 'x-rekindle-signature': receiptSignature(RECEIPT_SECRET, body) };
    const first = await call('POST', `/v1/receipts/${smsId}`, body, sig);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ applied: 2, duplicates: 0, unknown: ['nope'] });
    const again = await call('POST', `/v1/receipts/${smsId}`, body, sig);
    expect(again.json).toEqual({ applied: 0, duplicates: 2, unknown: ['nope'] });
    const rows = await server.rt.control.query<{
      idempotency_key: string;
      status: string;
      final_at: Date | string;
    }>(
      `SELECT idempotency_key, status, final_at FROM outbox WHERE idempotency_key IN ('k1', 'k2') ORDER BY 1`,
    );
    expect(rows.map((r) => [r.idempotency_key, r.status, new Date(r.final_at).toISOString()])).toEqual([
      ['k1', 'delivered', '2026-11-20T03:31:00.000Z'],
      ['k2', 'failed', new Date(NOW).toISOString()],
    ]);
    const log = (await readMessageLog(server.rt.control, 0, 100)).filter(
      (e) => e.kind === 'delivered' || e.kind === 'failed',
    );
    expect(log.map((e) => [e.idempotencyKey, e.kind, e.userId, e.properties['code'] ?? null])).toEqual([
      ['k1', 'delivered', 'u-k1', null],
      ['k2', 'failed', 'u-k2', 'UNDELIV'],
    ]);
  });

  it('refuses tampered, unsigned, wrongly signed and foreign receipts with 401', async () => {
    const body = JSON.stringify({ messageId: 'gw-1', status: 'failed' });
    const good = receiptSignature(RECEIPT_SECRET, body);
    const tampered = body.replace('failed', 'delivered');
    expect(
      (await call('POST', `/v1/receipts/${smsId}`, tampered, { 'x-rekindle-signature': good })).status,
    ).toBe(401);
    expect((await call('POST', `/v1/receipts/${smsId}`, body)).status).toBe(401);
    expect((await call('POST', `/v1/receipts/${smsId}?token=${RECEIPT_SECRET}`, body)).status).toBe(401);
    expect(
      (
        await call('POST', `/v1/receipts/${smsId}`, body, {
          'x-rekindle-signature': receiptSignature('another-secret-123456', body),
        })
      ).status,
    ).toBe(401);
    expect(
      (await call('POST', `/v1/receipts/prv_unknown`, body, { 'x-rekindle-signature': good })).status,
    ).toBe(401);
  });

  it("accepts Aliyun's report push with the callback token and answers in Aliyun's shape", async () => {
    const body = JSON.stringify([
      {
        biz_id: 'BIZ3',
        out_id: 'k3',
        success: true,
        err_code: 'DELIVERED',
        report_time: '2026-11-20 11:31:00',
        phone_number: '13812345678',
      },
    ]);
    expect((await call('POST', `/v1/receipts/${aliId}?token=wrong-token-000000000`, body)).status).toBe(401);
    const r = await call('POST', `/v1/receipts/${aliId}?token=${RECEIPT_SECRET}`, body);
    expect(r.json).toEqual({ code: 0, msg: '成功', applied: 1, duplicates: 0, unknown: [] });
    const rows = await server.rt.control.query<{ status: string }>(
      `SELECT status FROM outbox WHERE idempotency_key = 'k3'`,
    );
    expect(rows[0]?.status).toBe('delivered');
  });

  const inApp = (key: string, userId: string, title: string): OutgoingMessage => ({
    idempotencyKey: key,
    workspaceId: 'default',
    campaignId: 'c1',
    runId: 'r1',
    step: 's1',
    variant: null,
    channel: 'in_app',
    class: 'marketing',
    recipient: { userId },
    content: { channel: 'in_app', title, body: 'b', landingUrl: 'myapp://x' },
  });

  it('inbox: the adapter stores once per key; the app lists, counts unread and marks read with the write key', async () => {
    const a = inboxAdapter('p-inbox', { db: server.rt.control, now: () => NOW });
    const s = new AbortController().signal;
    const first = await a.send(inApp('i1', 'ann', 'First'), s);
    expect(await a.send(inApp('i1', 'ann', 'First'), s)).toEqual(first);
    await a.send(inApp('i2', 'ann', 'Second'), s);
    await a.send(inApp('i3', 'bob', 'Bob only'), s);
    // The app's server gets each signed-in user's token; the app sends it with the write key.
    const tokenOf = async (user: string) =>
      String((await call('POST', `/v1/users/${user}/inbox-token`, {}, asAdmin)).json['token']);
    const annToken = await tokenOf('ann');
    const bobToken = await tokenOf('bob');
    const writeKey = { authorization: basicAuth(TEST_WRITE_KEY) };
    const auth = { ...writeKey, 'x-rekindle-user-token': annToken };
    expect((await call('GET', '/v1/inbox?userId=ann')).status).toBe(401);
    expect(
      (
        await call('GET', '/v1/inbox?userId=ann', undefined, {
          authorization: basicAuth('wrong'),
          'x-rekindle-user-token': annToken,
        })
      ).status,
    ).toBe(401);
    // The write key alone (public inside the app) reads nobody's inbox; nor does another user's token.
    expect((await call('GET', '/v1/inbox?userId=ann', undefined, writeKey)).status).toBe(401);
    expect(
      (
        await call('GET', '/v1/inbox?userId=ann', undefined, {
          ...writeKey,
          'x-rekindle-user-token': bobToken,
        })
      ).status,
    ).toBe(401);
    const tampered = `${annToken.slice(0, -2)}${annToken.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(
      (
        await call('GET', '/v1/inbox?userId=ann', undefined, {
          ...writeKey,
          'x-rekindle-user-token': tampered,
        })
      ).status,
    ).toBe(401);
    const list = await call('GET', '/v1/inbox?userId=ann', undefined, auth);
    expect(list.json['unread']).toBe(2);
    const msgs = list.json['messages'] as {
      id: number;
      title: string;
      readAt: string | null;
      landingUrl: string;
    }[];
    expect(msgs.map((m) => m.title)).toEqual(['Second', 'First']);
    expect(msgs[0]!.landingUrl).toBe('myapp://x');
    const firstId = msgs[1]!.id;
    const read = await call('POST', `/v1/inbox/${firstId}/read`, { userId: 'ann' }, auth);
    expect(read.json).toEqual({ id: firstId, read: true, unread: 1 });
    expect((await call('POST', `/v1/inbox/${firstId}/read`, { userId: 'ann' }, auth)).json['unread']).toBe(1);
    expect((await call('POST', `/v1/inbox/${firstId}/read`, { userId: 'bob' }, auth)).status).toBe(401);
    expect(
      (
        await call(
          'POST',
          `/v1/inbox/${firstId}/read`,
          { userId: 'bob' },
          { ...writeKey, 'x-rekindle-user-token': bobToken },
        )
      ).status,
    ).toBe(404);
    const page = await call('GET', `/v1/inbox?userId=ann&before=${msgs[0]!.id}`, undefined, auth);
    expect(
      (page.json['messages'] as { title: string; readAt: string | null }[]).map((m) => [m.title, m.readAt]),
    ).toEqual([['First', new Date(NOW).toISOString()]]);
  });

  it('call list: tasks stored once, pushed signed to the smart-call webhook, exported as defused CSV and JSON (admin)', async () => {
    let status = 500;
    const vendor = await startFakeVendor((_r, res) => json(res, status, {}));
    const a = callListAdapter(
      'p-call',
      { webhookUrl: `${vendor.url}/tasks` },
      { webhookSecret: 'call-secret-0123456789' },
      { db: server.rt.control, fetch, now: () => NOW },
    );
    const m: OutgoingMessage = {
      ...inApp('call-1', 'ann', 'x'),
      channel: 'call',
      recipient: { userId: 'ann', phone: '+8613812345678' },
      content: { channel: 'call', script: '=HYPERLINK("http://evil")' },
    };
    const s = new AbortController().signal;
    expect(await a.send(m, s)).toMatchObject({ kind: 'failed', retry: 'same_provider' });
    status = 200;
    expect(await a.send(m, s)).toEqual({ kind: 'accepted', providerMessageId: 'call-1' });
    expect(await a.send(m, s)).toEqual({ kind: 'accepted', providerMessageId: 'call-1' });
    expect(vendor.requests).toHaveLength(2);
    const r = vendor.requests[1]!;
    expect(r.headers['x-rekindle-signature']).toBe(signWebhook('call-secret-0123456789', r.body, NOW));
    expect(JSON.parse(r.body)).toMatchObject({
      idempotencyKey: 'call-1',
      phone: '+8613812345678',
      userId: 'ann',
    });
    await vendor.close();
    const csv = await fetch(`${server.url}/v1/call-tasks?format=csv`, { headers: asAdmin });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toBe('idempotency_key,campaign_id,user_id,phone,script,status,created_at');
    expect(text).toContain(
      `call-1,c1,ann,+8613812345678,"'=HYPERLINK(""http://evil"")",pushed,${new Date(NOW).toISOString()}`,
    );
    const j = await call('GET', '/v1/call-tasks?status=pushed', undefined, asAdmin);
    expect((j.json['tasks'] as { idempotencyKey: string }[]).map((t) => t.idempotencyKey)).toEqual([
      'call-1',
    ]);
    expect(callTasksCsv([])).toBe('idempotency_key,campaign_id,user_id,phone,script,status,created_at\r\n');
  });
});
