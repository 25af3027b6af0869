import { afterEach, describe, expect, it } from 'vitest';
import type { Role } from '../src/core/auth/roles.ts';
import type { EventRow } from '../src/core/events/rows.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { NOW, TEST_CONFIG } from './support/score-scenario.ts';
import { syntheticBuyers } from './support/value-buyers.ts';

/**
 * `GET /v1/scores/value-model` and the value figures on the user page, end to end: HTTP →
 * scoring run → DuckDB, fixed clock; a trusted fit, then one that degenerates and is reported
 * instead of used.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server?.cleanup();
  server = undefined;
});

const DAY = 86_400_000;

const token = async (s: TestServer, name: string, role: Role) => {
  const u = await createUser(s.rt.control, { name, role });
  if (!u.ok) throw new Error('user exists');
  return issueApiToken(s.rt.control, u.value.id);
};

const api = (s: TestServer) => async (method: string, path: string, tok: string | null, body?: unknown) => {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: {
      ...(tok ? { authorization: `Bearer ${tok}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

/** Weekly `subscription_fee` payments that never stop: the fit degenerates (see value-model.test.ts). */
const weeklyPayers = (asOf: number): EventRow[] => {
  const out: EventRow[] = [];
  for (let u = 0; u < 40; u++)
    for (let day = 150 + (u % 10); day >= 1; day -= 7)
      out.push({
        messageId: `wk-${u}-${day}`,
        userId: `w${u}`,
        anonymousId: null,
        event: 'subscription_fee',
        ts: asOf - day * DAY,
        receivedAt: asOf - day * DAY,
        amount: 9.9,
        currency: 'CNY',
        productId: null,
        category: null,
        orderId: null,
        platform: null,
        properties: '{}',
        source: 'import',
      });
  return out;
};

describe('value model over HTTP', () => {
  it('serves the latest run, the user figures, and a degenerate fit as a warning that changes nothing', async () => {
    let now = NOW;
    server = await startTestServer({ clock: () => now });
    const s = server;
    const call = api(s);
    const admin = await token(s, 'root', 'admin');
    const operator = await token(s, 'alice', 'operator');
    const viewer = await token(s, 'vera', 'viewer');
    expect((await call('PUT', '/v1/scores/config', admin, { version: 0, config: TEST_CONFIG })).status).toBe(
      200,
    );

    expect((await call('GET', '/v1/scores/value-model', null)).status).toBe(401);
    const before = await call('GET', '/v1/scores/value-model', viewer);
    expect(before).toEqual({ status: 200, json: { latest: null, valuesAsOf: null } });

    await s.rt.warehouse.commit({
      events: [...syntheticBuyers(NOW), ...weeklyPayers(NOW)],
      identifies: [],
      rejections: [],
    });
    const computed = await call('POST', '/v1/scores/compute', operator, {});
    expect(computed.status).toBe(200);
    expect(computed.json['valueModel']).toEqual({
      ran: true,
      customers: 300,
      repeatCustomers: expect.any(Number),
      users: 300,
      warnings: [],
    });
    expect(computed.json['elapsedMs'].valueModel).toBeGreaterThan(0);
    const good = await call('GET', '/v1/scores/value-model', viewer);
    expect(good.status).toBe(200);
    const latest = good.json['latest'];
    expect(good.json['valuesAsOf']).toBe(new Date(NOW).toISOString());
    expect(latest).toMatchObject({
      asOf: new Date(NOW).toISOString(),
      customers: 300,
      converged: true,
      written: true,
      users: 300,
      warnings: [],
      settings: { purchaseEvent: 'order', amount: 'amount', refundEvent: 'refund', horizonDays: 90 },
    });
    expect(latest.bgnbd.params.r).toBeGreaterThan(0.5);
    expect(latest.bgnbd.params.r).toBeLessThan(5);
    expect(latest.gammaGamma.params.q).toBeGreaterThan(1);
    expect(latest.logLikelihood).toBe(latest.bgnbd.logLikelihood);
    expect(latest.summary.meanPAlive).toBeGreaterThan(0.5);
    expect(latest.summary.meanPAlive).toBeLessThan(1);

    const user = await call('GET', '/v1/console/users/b1', viewer);
    expect(user.status).toBe(200);
    const figures = user.json['scores'];
    expect(figures.pAlive).toBeGreaterThan(0);
    expect(figures.pAlive).toBeLessThanOrEqual(1);
    expect(figures.expectedPurchases).toBeGreaterThan(0);
    expect(figures.ltv).toBeGreaterThan(0);

    // The workspace points the model at the weekly fee: the fit runs off to its bounds.
    const cfg = await call('GET', '/v1/scores/config', admin);
    const put = await call('PUT', '/v1/scores/config', admin, {
      version: cfg.json['version'],
      config: { ...TEST_CONFIG, valueModel: { purchaseEvent: 'subscription_fee', horizonDays: 30 } },
    });
    expect(put.status).toBe(200);
    now = NOW + DAY;
    expect((await call('POST', '/v1/scores/compute', operator, {})).status).toBe(200);
    const bad = (await call('GET', '/v1/scores/value-model', viewer)).json;
    expect(bad['latest']).toMatchObject({
      asOf: new Date(NOW + DAY).toISOString(),
      customers: 40,
      written: false,
      users: 0,
      converged: false,
      summary: null,
      settings: { purchaseEvent: 'subscription_fee', horizonDays: 30 },
    });
    const warnings = bad['latest'].warnings as { code: string; model: string; message: string }[];
    expect(warnings.map((w) => w.code)).toContain('parameter_at_bound');
    expect(warnings.every((w) => w.message.length > 20)).toBe(true);
    // The previous trusted figures stay, dated by the run that wrote them.
    expect(bad['valuesAsOf']).toBe(new Date(NOW).toISOString());
    const still = await call('GET', '/v1/console/users/b1', viewer);
    expect(still.json['scores'].ltv).toBe(figures.ltv);

    // An invalid value-model setting is refused with its path.
    const wrong = await call('PUT', '/v1/scores/config', admin, {
      version: put.json['version'],
      config: { ...TEST_CONFIG, valueModel: { purchaseEvent: 'order', refundEvent: 'order' } },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json['errors']).toEqual([
      { path: 'config.valueModel.refundEvent', message: expect.any(String) },
    ]);
  }, 60_000);
});
