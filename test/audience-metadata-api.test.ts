import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/core/auth/roles.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { apiCall, postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * The metadata API and the audience warnings over HTTP: a viewer reads the vocabulary of the
 * data, previews and saves answer with did-you-mean warnings, `asOf` refuses score conditions
 * for the past with the condition's path. Fixed clock 2026-06-01T10:00:00Z.
 */
const NOW = Date.UTC(2026, 5, 1, 10);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

let s: TestServer;
const tokens: Partial<Record<Role, string>> = {};
const call = (role: Role, method: string, path: string, body?: unknown) =>
  apiCall(s.url, tokens[role] ?? '', method, path, body);

beforeAll(async () => {
  s = await startTestServer({ clock: () => NOW });
  const batch = [
    {
      type: 'identify',
      userId: 'u1',
      timestamp: iso(NOW - 100 * DAY),
      traits: { city: 'Shanghai', tier: 'gold' },
    },
    {
      type: 'identify',
      userId: 'u2',
      timestamp: iso(NOW - 100 * DAY),
      traits: { city: 'Beijing', tier: 'gold' },
    },
    // u3 appears 5 days ago.
    { type: 'identify', userId: 'u3', timestamp: iso(NOW - 5 * DAY), traits: { city: 'Shanghai' } },
    ...[1, 2, 3].map((d) => ({
      type: 'track',
      userId: 'u1',
      event: 'login',
      messageId: `l${d}`,
      timestamp: iso(NOW - d * DAY),
      properties: { platform: 'ios', method: 'sms' },
    })),
    {
      type: 'track',
      userId: 'u2',
      event: 'add_to_cart',
      messageId: 'c1',
      timestamp: iso(NOW - 2 * DAY),
      properties: { product_id: 'p1' },
    },
    {
      type: 'track',
      userId: 'u3',
      event: 'login',
      messageId: 'l9',
      timestamp: iso(NOW - 1 * DAY),
      properties: { method: 'password' },
    },
  ];
  const r = await postJson(`${s.url}/v1/batch`, { batch });
  expect(r.json).toMatchObject({ accepted: batch.length, rejected: 0 });
  for (const role of ['viewer', 'operator'] as const) {
    const u = await createUser(s.rt.control, { name: role, role });
    if (!u.ok) throw new Error('user exists');
    tokens[role] = await issueApiToken(s.rt.control, u.value.id);
  }
});
afterAll(async () => {
  await s.stop();
  s.cleanup();
});

describe('metadata API', () => {
  it('needs a signed-in user', async () => {
    const res = await fetch(`${s.url}/v1/metadata/events`);
    expect(res.status).toBe(401);
  });

  it('lists events, property keys with types, top values and attributes to a viewer', async () => {
    const events = await call('viewer', 'GET', '/v1/metadata/events');
    expect(events.status).toBe(200);
    expect(events.json['events']).toEqual([
      { event: 'login', count: 4, lastSeen: iso(NOW - DAY) },
      { event: 'add_to_cart', count: 1, lastSeen: iso(NOW - 2 * DAY) },
    ]);

    const props = await call('viewer', 'GET', '/v1/metadata/events/login/properties');
    expect(props.status).toBe(200);
    expect(props.json).toMatchObject({ event: 'login', sample: { days: 30, rows: 10_000 }, sampled: 4 });
    expect(props.json['properties']).toEqual([
      { key: 'platform', type: 'string', count: 3, types: { string: 3 } },
      { key: 'method', type: 'string', count: 4, types: { string: 4 } },
    ]);

    const values = await call('viewer', 'GET', '/v1/metadata/properties/method/values?event=login');
    expect(values.json).toEqual({
      key: 'method',
      event: 'login',
      values: [
        { value: 'sms', count: 3 },
        { value: 'password', count: 1 },
      ],
    });
    const bad = await call('viewer', 'GET', `/v1/metadata/properties/${encodeURIComponent('a b')}/values`);
    expect(bad.status).toBe(400);

    const attrs = await call('viewer', 'GET', '/v1/metadata/attributes');
    expect(attrs.status).toBe(200);
    const columns = attrs.json['columns'] as { name: string; type: string; topValues: unknown[] }[];
    expect(columns.find((c) => c.name === 'city')).toMatchObject({
      type: 'string',
      topValues: [
        { value: 'Shanghai', count: 2 },
        { value: 'Beijing', count: 1 },
      ],
    });
    expect(columns.find((c) => c.name === 'register_time')).toMatchObject({ type: 'time' });
    expect(attrs.json['traits']).toEqual([
      {
        key: 'tier',
        type: 'string',
        count: 2,
        types: { string: 2 },
        topValues: [{ value: 'gold', count: 2 }],
      },
    ]);
  });
});

describe('warnings and asOf over HTTP', () => {
  const typo = {
    kind: 'and',
    children: [
      { kind: 'did', event: 'logn' },
      { kind: 'did', event: 'login', where: [{ property: 'metod', op: 'eq', value: 'sms' }] },
    ],
  };

  it('previews, validates and saves with did-you-mean warnings', async () => {
    const preview = await call('viewer', 'POST', '/v1/audiences/preview', { definition: typo, sample: 0 });
    expect(preview.status).toBe(200);
    expect(preview.json['count']).toBe(0);
    expect(preview.json['warnings']).toEqual([
      {
        path: 'definition.children[0].event',
        what: 'event',
        name: 'logn',
        suggestion: 'login',
        message: "event 'logn' has never been seen — did you mean 'login'?",
      },
      {
        path: 'definition.children[1].where[0].property',
        what: 'property',
        name: 'metod',
        event: 'login',
        suggestion: 'method',
        message: "property 'metod' has not been seen on recent 'login' events — did you mean 'method'?",
      },
    ]);

    const valid = await call('viewer', 'POST', '/v1/audiences/validate', { definition: typo });
    expect(valid.json).toMatchObject({ valid: true, errors: [] });
    expect((valid.json['warnings'] as unknown[]).length).toBe(2);
    const invalid = await call('viewer', 'POST', '/v1/audiences/validate', {
      definition: { kind: 'did', event: 'login', window: { type: 'last_days', days: 0 } },
    });
    expect(invalid.status).toBe(200);
    expect(invalid.json).toMatchObject({
      valid: false,
      errors: [{ path: 'definition.window.days' }],
      warnings: [],
    });

    const saved = await call('operator', 'POST', '/v1/audiences', { name: 'typo', definition: typo });
    expect(saved.status).toBe(201);
    expect((saved.json['warnings'] as { suggestion: string }[]).map((w) => w.suggestion)).toEqual([
      'login',
      'method',
    ]);
    const fine = await call('operator', 'POST', '/v1/audiences', {
      name: 'fine',
      definition: { kind: 'did', event: 'login' },
    });
    expect(fine.json['warnings']).toEqual([]);
  });

  it('excludes users who did not exist yet, and refuses scores as of the past', async () => {
    const everyone = { kind: 'and', children: [] };
    const now = await call('viewer', 'POST', '/v1/audiences/preview', { definition: everyone, sample: 0 });
    expect(now.json['count']).toBe(3);
    const past = await call('viewer', 'POST', '/v1/audiences/preview', {
      definition: everyone,
      sample: 0,
      asOf: iso(NOW - 10 * DAY),
    });
    expect(past.json['count']).toBe(2);

    const risky = {
      kind: 'or',
      children: [{ kind: 'score', score: 'churn_risk_level', op: 'eq', value: 'high' }],
    };
    const refused = await call('viewer', 'POST', '/v1/audiences/preview', {
      definition: risky,
      asOf: iso(NOW - 10 * DAY),
    });
    expect(refused.status).toBe(400);
    expect(refused.json['errors']).toEqual([
      {
        path: 'definition.children[0].score',
        message:
          "score 'churn_risk_level' is only stored as its current value, so it cannot be evaluated as of " +
          '2026-05-22T10:00:00.000Z (before now); remove the score condition or evaluate the audience now',
      },
    ]);
    const current = await call('viewer', 'POST', '/v1/audiences/preview', {
      definition: risky,
      asOf: iso(NOW),
    });
    expect(current.status).toBe(200);
  });
});
