import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import {
  generateManagementBadInputs,
  runManagementBadInputs,
  type Fixtures,
} from './support/bad-input-management.ts';
import { postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Hundreds of malformed management requests (out-of-range numbers, NUL bytes and lone surrogates,
 * extreme dates, prototype keys, bodies nested 5 000 deep, trees of thousands of nodes, …) against
 * a real server: none answers 5xx, every refusal names the field and the reason, and the saved
 * audience, campaign, provider and warning rule they aimed at are unchanged.
 */
const NOW = Date.UTC(2026, 10, 20, 12);
const SEED = 13;
const COUNT = 400;

let server: TestServer;
let token: string;

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
  const admin = await createUser(server.rt.control, { name: 'root', role: 'admin' });
  if (!admin.ok) throw new Error('admin exists');
  token = await issueApiToken(server.rt.control, admin.value.id);
  const batch = ['u1', 'u2', 'u3'].map((userId) => ({
    type: 'identify',
    userId,
    timestamp: new Date(NOW - 86_400_000).toISOString(),
    traits: { city: 'Shanghai', email: `${userId}@example.com` },
  }));
  expect((await postJson(`${server.url}/v1/batch`, { batch })).json).toMatchObject({ rejected: 0 });
  const audience = await call('POST', '/v1/audiences', {
    name: 'Shanghai',
    definition: { kind: 'attribute', attribute: 'city', op: 'eq', value: 'Shanghai' },
  });
  expect(audience.status).toBe(201);
  const campaign = await call('POST', '/v1/campaigns', {
    name: 'Welcome back',
    definition: {
      audienceId: audience.json['id'],
      timing: { kind: 'periodic', cron: '0 9 * * *', timezone: 'Asia/Shanghai' },
      channels: ['push'],
      content: [{ channel: 'push', title: 'Hi', body: 'Come back', landingUrl: 'https://example.com/a' }],
      priority: 60,
      budgetCents: 50_000,
    },
  });
  expect(campaign.status).toBe(201);
  const provider = await call('POST', '/v1/providers', {
    kind: 'smtp',
    name: 'Main SMTP',
    priority: 1,
    ratePerSecond: 20,
    config: { host: 'smtp.example.com', port: 587, secure: false, from: 'news@example.com' },
    secrets: { username: 'mailer', password: 'pw' },
  });
  expect(provider.status).toBe(201);
  const rule = await call('POST', '/v1/warning-rules', {
    name: 'Quiet',
    level: 'warning',
    definition: { kind: 'audience', id: audience.json['id'] },
  });
  expect(rule.status).toBe(201);
});

afterAll(async () => {
  await server.stop();
  server.cleanup();
});

const FIXTURES: Fixtures = {
  audienceId: 'aud_x',
  audienceVersion: 1,
  campaignId: 'cmp_x',
  campaignVersion: 1,
  providerId: 'prv_x',
  providerVersion: 1,
  warningRuleId: 'wr_x',
  warningRuleVersion: 1,
};

describe('malformed management requests', () => {
  it('are generated the same from the same seed, across the API', () => {
    const a = generateManagementBadInputs(SEED, COUNT, FIXTURES);
    expect(generateManagementBadInputs(SEED, COUNT, FIXTURES)).toEqual(a);
    expect(a).toHaveLength(COUNT);
    const routes = new Set(
      a.map((r) => `${r.method} ${r.path.split('?')[0]?.replace(/\/(aud|cmp|prv|wr)_x/, '/:id')}`),
    );
    expect(routes.size).toBeGreaterThanOrEqual(20);
  });

  it('answer 4xx naming the field and the reason, never 5xx, and change nothing', async () => {
    const state = async () =>
      Promise.all(
        ['/v1/audiences', '/v1/campaigns', '/v1/providers', '/v1/warning-rules', '/v1/scores/config'].map(
          async (p) => (await call('GET', p)).json,
        ),
      );
    const before = await state();
    const report = await runManagementBadInputs({ baseUrl: server.url, token, seed: SEED, count: COUNT });
    expect(report.requests).toBe(COUNT);
    expect(report.examples, report.examples.join('\n')).toEqual([]);
    expect(report.fiveXX).toBe(0);
    expect(report.imprecise).toBe(0);
    expect(report.wronglyAccepted).toBe(0);
    const [audiences, campaigns, providers, rules, config] = await state();
    // Updates were all refused: the objects they aimed at are as they were.
    const byId = (list: unknown) => new Map((list as { id: string }[]).map((x) => [x.id, x]));
    for (const [b, a, key] of [
      [before[0], audiences, 'audiences'],
      [before[1], campaigns, 'campaigns'],
      [before[2], providers, 'providers'],
      [before[3], rules, 'rules'],
    ] as const) {
      const now = byId(a?.[key]);
      // All but the live count of warned users, which a (valid) scoring run moves.
      const kept = (x: unknown) => ({ ...(x as object), warnedNow: undefined });
      for (const [id, was] of byId(b?.[key])) expect(kept(now.get(id)), `${key} ${id}`).toEqual(kept(was));
    }
    expect(config).toEqual(before[4]);
  }, 180_000);
});
