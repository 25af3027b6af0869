import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import {
  createManagementFixtures,
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
  await createManagementFixtures(
    server.url,
    token,
    async (batch) => {
      expect((await postJson(`${server.url}/v1/batch`, { batch })).json).toMatchObject({ rejected: 0 });
    },
    NOW,
  );
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

const raw = async (method: string, path: string, body: string) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, json: (await res.json()) as { errors?: { path: string; message: string }[] } };
};

const firstError = async (method: string, path: string, body: unknown) => {
  const r = await raw(method, path, typeof body === 'string' ? body : JSON.stringify(body));
  return { status: r.status, ...r.json.errors?.[0] };
};

const did = (event: string) => ({ kind: 'did', event });
const orOf = (n: number, child: (i: number) => unknown) => ({
  kind: 'or',
  children: Array.from({ length: n }, (_, i) => child(i)),
});

describe('the cases named in issue 13', () => {
  it('out-of-range numbers and times in audience trees name their place', async () => {
    const preview = (definition: unknown) => firstError('POST', '/v1/audiences/preview', { definition });
    const metric = (value: unknown) => ({ kind: 'metric', event: 'order', fn: 'count', op: 'gte', value });
    expect(await preview({ kind: 'and', children: [metric(1e308)] })).toMatchObject({
      status: 400,
      path: 'definition.children[0].value',
      message: expect.stringContaining('2^53'),
    });
    expect(await preview(metric(2 ** 63))).toMatchObject({ status: 400, path: 'definition.value' });
    expect(await preview(metric('NaN'))).toMatchObject({ status: 400, path: 'definition.value' });
    expect(
      await raw(
        'POST',
        '/v1/audiences/preview',
        '{"definition":' + JSON.stringify(metric(0)).replace('0}', '-0}') + '}',
      ),
    ).toMatchObject({ status: 200 });
    const window = (from: unknown, to: unknown) => ({
      kind: 'did',
      event: 'order',
      window: { type: 'between', from, to },
    });
    expect(await preview(window('+275760-09-13T00:00:00Z', '2026-01-01'))).toMatchObject({
      status: 400,
      path: 'definition.window.from',
    });
    expect(await preview(window(-8.64e15 - 1, 0))).toMatchObject({
      status: 400,
      path: 'definition.window.from',
    });
    expect(await preview(window({ daysAgo: 1e15 }, { daysAgo: 0 }))).toMatchObject({
      status: 400,
      path: 'definition.window.from.daysAgo',
    });
    // The edges of JavaScript time are valid and answered.
    expect(
      (await raw('POST', '/v1/audiences/preview', JSON.stringify({ definition: window(-8.64e15, 8.64e15) })))
        .status,
    ).toBe(200);
  });

  it('an OR of 1 000 attribute children is answered; 1 000 event conditions are refused with the limit', async () => {
    const attrs = await raw(
      'POST',
      '/v1/audiences/preview',
      JSON.stringify({
        definition: orOf(1000, (i) => ({ kind: 'attribute', attribute: 'city', op: 'eq', value: `c${i}` })),
      }),
    );
    expect(attrs.status).toBe(200);
    const events = await firstError('POST', '/v1/audiences/preview', {
      definition: orOf(1000, (i) => did(`e${i % 5}`)),
    });
    expect(events).toMatchObject({ status: 400, path: 'definition.children[64]' });
    expect(events.message).toContain('more than 64 event conditions');
    expect(
      (
        await raw(
          'POST',
          '/v1/audiences/preview',
          JSON.stringify({ definition: orOf(64, (i) => did(`e${i % 5}`)) }),
        )
      ).status,
    ).toBe(200);
    const big = await firstError('POST', '/v1/audiences/preview', {
      definition: orOf(2500, () => ({ kind: 'attribute', attribute: 'city', op: 'exists' })),
    });
    expect(big).toMatchObject({ status: 400, message: expect.stringContaining('2000 nodes') });
  });

  it('NUL bytes, lone surrogates and 10 000-character names', async () => {
    const def = { kind: 'attribute', attribute: 'city', op: 'exists' };
    expect(await firstError('POST', '/v1/audiences', { name: 'a\u0000b', definition: def })).toMatchObject({
      status: 400,
      path: 'name',
      message: expect.stringContaining('NUL'),
    });
    expect(await firstError('POST', '/v1/audiences', { name: 'a\ud800', definition: def })).toMatchObject({
      status: 400,
      path: 'name',
      message: expect.stringContaining('surrogate'),
    });
    expect(
      await firstError('POST', '/v1/audiences', { name: 'x'.repeat(10_000), definition: def }),
    ).toMatchObject({
      status: 400,
      path: 'name',
    });
    expect(await firstError('POST', '/v1/campaigns', { name: '\u0000', definition: {} })).toMatchObject({
      status: 400,
      path: 'name',
    });
    expect(await firstError('GET', '/v1/console/users/a%00b', undefined)).toMatchObject({
      status: 400,
      path: 'params.id',
    });
    // A right-to-left mark is text like any other.
    const rtl = await raw('POST', '/v1/audiences', JSON.stringify({ name: '\u200fלקוחות', definition: def }));
    expect(rtl.status).toBe(201);
  });

  it('prototype keys and bodies nested 5 000 deep', async () => {
    expect(
      await firstError(
        'POST',
        '/v1/audiences/preview',
        '{"definition":{"kind":"and","children":[],"__proto__":{"x":1}}}',
      ),
    ).toMatchObject({ status: 400, path: 'definition.__proto__' });
    expect(
      await firstError(
        'PUT',
        '/v1/planner/budgets/growth',
        '{"limitCents":1,"constructor":{"prototype":{"x":1}}}',
      ),
    ).toMatchObject({ status: 400, path: 'constructor.prototype' });
    const deep = `{"definition":${'{"kind":"not","child":'.repeat(5000)}{"kind":"and","children":[]}${'}'.repeat(5000)}}`;
    expect(await firstError('POST', '/v1/audiences/preview', deep)).toMatchObject({
      status: 400,
      message: 'is nested deeper than 64 levels',
    });
    expect(await firstError('POST', '/v1/campaigns', `${'['.repeat(5000)}${']'.repeat(5000)}`)).toMatchObject(
      {
        status: 400,
      },
    );
  });
});

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
