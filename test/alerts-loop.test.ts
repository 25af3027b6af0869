import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAlerts } from '../src/alerts/run-alerts.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { event, seed } from './support/score-scenario.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Operator alerts (features.md H3) on PGlite and PostgreSQL (+ DuckDB) with a fake webhook receiver and a fake WeCom
 * robot on loopback: each rule fires when its condition holds and not otherwise, reaches both
 * destinations (signed webhook, robot markdown), and does not fire twice within its cooldown.
 */

const T0 = Date.UTC(2026, 10, 20, 12);
const MIN = 60_000;
const ROBOT_KEY = 'robot-key-not-for-logs';
const HOOK_SECRET = 'hook-secret-0123456789';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const backends = {
  pglite: () => ({}),
  postgres: () => ({
    config: { databaseUrl: inject('postgresUrl') },
    controlSchema: `alr_${randomBytes(4).toString('hex')}`,
  }),
};

describe.each(Object.entries(backends))('operator alerts on %s', (_name, backend) => {
  let server: TestServer;
  let receiver: Server;
  let base = '';
  let now = T0;
  let admin = '';
  let operator = '';
  let adminId = 0;
  const received: Received[] = [];
  let hookId = '';
  let robotId = '';

  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };
  const evaluate = async () => {
    received.length = 0;
    const r = await call(admin, 'POST', '/v1/alerts/evaluate');
    expect(r.status).toBe(200);
    return (r.json['fired'] as { condition: { key: string; text: string } }[]).map((f) => f.condition);
  };
  const addRule = async (name: string, params: Record<string, unknown>, cooldownMinutes = 30) => {
    const r = await call(admin, 'POST', '/v1/alerts/rules', {
      name,
      params,
      cooldownMinutes,
      destinationIds: [hookId, robotId],
    });
    expect(r.status).toBe(201);
    return String(r.json['id']);
  };
  const disable = async (id: string) =>
    expect((await call(admin, 'PATCH', `/v1/alerts/rules/${id}`, { enabled: false })).status).toBe(200);

  /** Both destinations got the alert: the webhook signed, the robot as markdown. */
  const expectDelivered = (text: string) => {
    const hook = received.find((r) => r.path === '/hook');
    const robot = received.find((r) => r.path.startsWith('/robot'));
    if (!hook || !robot) throw new Error(`not delivered: ${JSON.stringify(received.map((r) => r.path))}`);
    const ts = String(hook.headers['x-rekindle-timestamp']);
    const mac = createHmac('sha256', HOOK_SECRET).update(`${ts}.${hook.body}`).digest('hex');
    expect(hook.headers['x-rekindle-signature']).toBe(`sha256=${mac}`);
    expect(JSON.parse(hook.body)).toMatchObject({ type: 'rekindle.alert', text });
    expect(robot.path).toBe(`/robot/send?key=${ROBOT_KEY}`);
    const md = JSON.parse(robot.body) as { msgtype: string; markdown: { content: string } };
    expect(md.msgtype).toBe('markdown');
    expect(md.markdown.content).toContain(text);
  };

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(req.url?.startsWith('/robot') ? '{"errcode":0,"errmsg":"ok"}' : '{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    server = await startTestServer({ clock: () => now, ...backend() });
    const a = await createUser(server.rt.control, { name: 'adam', role: 'admin' });
    const o = await createUser(server.rt.control, { name: 'olga', role: 'operator' });
    if (!a.ok || !o.ok) throw new Error('users');
    adminId = a.value.id;
    admin = await issueApiToken(server.rt.control, a.value.id);
    operator = await issueApiToken(server.rt.control, o.value.id);
    const hook = await call(admin, 'POST', '/v1/alerts/destinations', {
      name: 'ops hook',
      kind: 'webhook',
      url: `${base}/hook`,
      secret: HOOK_SECRET,
    });
    const robot = await call(admin, 'POST', '/v1/alerts/destinations', {
      name: 'ops group',
      kind: 'wecom_robot',
      url: `${base}/robot/send?key=${ROBOT_KEY}`,
    });
    expect([hook.status, robot.status]).toEqual([201, 201]);
    hookId = String(hook.json['id']);
    robotId = String(robot.json['id']);
  }, 60_000);
  afterAll(async () => {
    await server.stop();
    server.cleanup();
    await new Promise((r) => receiver.close(r));
  });

  it('keeps destination URLs secret and configuration admin-only', async () => {
    const list = await call(admin, 'GET', '/v1/alerts/destinations');
    expect(JSON.stringify(list.json)).not.toContain(ROBOT_KEY);
    expect(list.json['destinations']).toContainEqual(
      expect.objectContaining({ name: 'ops group', urlHint: `${base}/…`, signed: false }),
    );
    const stored = await server.rt.control.query<{ url_enc: string }>(
      'SELECT url_enc FROM alert_destinations',
    );
    for (const s of stored) expect(s.url_enc).not.toContain(ROBOT_KEY);
    expect((await call(operator, 'GET', '/v1/alerts/destinations')).status).toBe(403);
    expect(
      (
        await call(operator, 'POST', '/v1/alerts/rules', {
          name: 'x',
          params: { kind: 'recall_relapse', threshold: 1 },
        })
      ).status,
    ).toBe(403);
    const unsigned = await call(admin, 'POST', '/v1/alerts/destinations', {
      name: 'h2',
      kind: 'webhook',
      url: `${base}/h`,
    });
    expect(unsigned.status).toBe(400);
    const badRule = await call(admin, 'POST', '/v1/alerts/rules', {
      name: 'bad',
      params: { kind: 'recall_relapse', threshold: 1 },
      destinationIds: [hookId, 'dst_nope'],
    });
    expect(badRule.json['errors']).toEqual([
      { path: 'destinationIds[1]', message: "no destination 'dst_nope'" },
    ]);
    expect((await call(operator, 'GET', '/v1/alerts')).status).toBe(200);
  });

  it('churn risk surge', async () => {
    const id = await addRule('churn', { kind: 'churn_risk_surge', percent: 20 });
    const run = (at: number, high: number) =>
      server.rt.warehouse.write(
        `INSERT INTO churn_risk_runs (model_id, model_version, as_of, scored_at, users, high, medium, low)
         VALUES ('m', 1, $1::TIMESTAMP, $1::TIMESTAMP, 1000, $2, 0, 0)`,
        [new Date(at).toISOString(), high],
      );
    await run(now - 2 * MIN, 100);
    await run(now - MIN, 110);
    expect(await evaluate()).toEqual([]);
    await run(now, 140);
    const fired = await evaluate();
    expect(fired.map((c) => c.key)).toEqual(['churn_risk_surge']);
    expectDelivered('High-risk users rose from 110 to 140 (+27.3%, threshold 20%).');
    now += 29 * MIN;
    expect(await evaluate()).toEqual([]);
    expect(received).toEqual([]);
    now += MIN;
    expect(await evaluate()).toHaveLength(1);
    await disable(id);
  });

  it('delivery failure rate', async () => {
    const id = await addRule('failures', {
      kind: 'delivery_failure_rate',
      percent: 25,
      windowMinutes: 10,
      minMessages: 4,
    });
    const log = (key: string, kind: string, at: number) =>
      server.rt.control.query(
        `INSERT INTO message_log (workspace_id, idempotency_key, campaign_id, run_id, step, user_id, channel, kind, at)
         VALUES ('default', $1, 'c', 'r', '0', 'u', 'sms', $2, $3)`,
        [key, kind, new Date(at)],
      );
    // 4 messages in the window, 1 failed after being sent (counted once): 25 %, not over.
    for (const k of ['m1', 'm2', 'm3', 'm4']) await log(k, 'sent', now - MIN);
    await log('m4', 'failed', now - MIN);
    // Old failures, outside the window.
    for (const k of ['o1', 'o2', 'o3']) await log(k, 'dead', now - 11 * MIN);
    expect(await evaluate()).toEqual([]);
    await log('m5', 'dead', now - MIN);
    const fired = await evaluate();
    expect(fired.map((c) => c.key)).toEqual(['delivery_failure_rate']);
    expectDelivered('2 of 5 messages failed or died in the last 10 minutes (40%, threshold 25%).');
    now += 10 * MIN;
    expect(await evaluate()).toEqual([]);
    await disable(id);
  });

  it('budget near its limit, per campaign and department', async () => {
    const id = await addRule('budget', { kind: 'budget_near_limit', percent: 90 }, 60);
    await server.rt.control.query(
      `INSERT INTO campaigns (id, workspace_id, name, status, definition, owner_id, created_at, updated_at)
       VALUES ('cmp_b', 'default', 'Spring recall', 'running', $1, $2, $3, $3)`,
      [JSON.stringify({ budgetCents: 1000 }), adminId, new Date(now)],
    );
    // A department's committed spend is its campaigns' (issue 17): cmp_d of growth has 5 000 booked.
    await server.rt.control.query(
      `INSERT INTO campaigns (id, workspace_id, name, status, definition, owner_id, created_at, updated_at)
       VALUES ('cmp_d', 'default', 'Growth push', 'running', $1, $2, $3, $3)`,
      [JSON.stringify({ department: 'growth' }), adminId, new Date(now)],
    );
    await server.rt.control.query(
      `INSERT INTO department_budgets (workspace_id, department, limit_cents) VALUES ('default', 'growth', 10000)`,
    );
    const spend = (key: string, cents: number, campaign = 'cmp_b') =>
      server.rt.control.query(
        `INSERT INTO outbox (idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class, send_at, cost_cents, created_at)
         VALUES ($1, 'default', $4, 'r', '0', $1, 'sms', 'marketing', $2, $3, $2)`,
        [key, new Date(now), cents, campaign],
      );
    await spend('d1', 5000, 'cmp_d');
    await spend('b1', 899);
    expect(await evaluate()).toEqual([]);
    await spend('b2', 1);
    expect((await evaluate()).map((c) => c.key)).toEqual(['campaign:cmp_b']);
    expectDelivered('Campaign "Spring recall" has used ¥9.00 of ¥10.00 (90%).');
    await spend('d2', 4500, 'cmp_d');
    // The campaign is in its cooldown; the department is a new condition.
    expect((await evaluate()).map((c) => c.key)).toEqual(['department:growth']);
    expect(await evaluate()).toEqual([]);
    await disable(id);
  });

  it('recall relapse, and the history', async () => {
    const id = await addRule('relapse', { kind: 'recall_relapse', threshold: 2 });
    await seed(
      server.rt.warehouse,
      [],
      [event('u1', 'recall_relapsed', now - 2 * 86_400_000), event('u2', 'recall_relapsed', now - 3_600_000)],
    );
    expect(await evaluate()).toEqual([]);
    await seed(server.rt.warehouse, [], [event('u3', 'recall_relapsed', now - MIN)]);
    expect((await evaluate()).map((c) => c.key)).toEqual(['recall_relapse']);
    expectDelivered('2 recalled users lapsed again in the last 24 hours (threshold 2).');
    expect(await evaluate()).toEqual([]);
    await disable(id);

    const history = await call(operator, 'GET', `/v1/alerts?ruleId=${id}`);
    const alerts = history.json['alerts'] as {
      conditionKey: string;
      deliveries: { ok: boolean; result: string }[];
    }[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.deliveries).toEqual([
      { destinationId: hookId, ok: true, result: 'HTTP 200' },
      { destinationId: robotId, ok: true, result: 'HTTP 200' },
    ]);
  });

  it('the periodic loop evaluates on its own and records a destination that failed', async () => {
    const dead = await call(admin, 'POST', '/v1/alerts/destinations', {
      name: 'gone',
      kind: 'wecom_robot',
      url: 'http://127.0.0.1:1/robot',
    });
    const r = await call(admin, 'POST', '/v1/alerts/rules', {
      name: 'loop',
      params: { kind: 'recall_relapse', threshold: 1 },
      destinationIds: [String(dead.json['id'])],
    });
    const logged: string[] = [];
    const loop = startAlerts(server.rt, {
      everySeconds: 0.05,
      log: { info: (_o, m) => logged.push(m), error: (_o, m) => logged.push(m) },
    });
    const deadline = Date.now() + 5_000;
    while (!logged.includes('alert fired') && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 20));
    await loop.stop();
    expect(logged).toContain('alert fired');
    const history = await call(admin, 'GET', `/v1/alerts?ruleId=${String(r.json['id'])}`);
    const alerts = history.json['alerts'] as { deliveries: { ok: boolean; result: string }[] }[];
    // Fired once in the loop however many looks it took (cooldown), with the failure recorded.
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.deliveries[0]).toMatchObject({ ok: false, result: 'unreachable' });
  });
});
