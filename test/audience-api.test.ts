import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Role } from '../src/core/auth/roles.ts';
import { auditFor } from '../src/storage/control/audit-log.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * The saved-audience API end to end: HTTP → control plane (PostgreSQL and PGlite) → DuckDB.
 * Scenario: six users with known profiles and orders at known times; the clock is fixed.
 */
const NOW = Date.UTC(2026, 10, 20, 12);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server?.cleanup();
  server = undefined;
});

const backends = {
  pglite: () => ({}),
  postgres: () => ({
    config: { databaseUrl: inject('postgresUrl') },
    controlSchema: `aud_${randomBytes(4).toString('hex')}`,
  }),
};

const PROFILES = [
  {
    userId: 'u1',
    channel: 'distribution',
    city: 'Shanghai',
    phone: '13800000001',
    email: 'lisa@example.com',
  },
  { userId: 'u2', channel: 'organic', city: 'Beijing', phone: '13800000002', email: 'wang@example.com' },
  {
    userId: 'u3',
    channel: 'distribution',
    city: '=HYPERLINK("http://evil")',
    phone: '+8613800000003',
    email: null,
  },
  { userId: 'u4', channel: 'social', city: 'Shenzhen', phone: null, email: 'zhao@example.com' },
  { userId: 'u5', channel: 'distribution', city: 'Hangzhou', phone: '13800000005', email: null },
  { userId: 'u6', channel: 'organic', city: 'Chengdu', phone: '13800000006', email: 'li@example.com' },
];
// Orders: u1 twice long ago (drifting), u2 recently, u3 once 40 days ago, u5 twice long ago.
const ORDERS: [string, number][] = [
  ['u1', 90],
  ['u1', 60],
  ['u2', 3],
  ['u3', 40],
  ['u5', 100],
  ['u5', 70],
];

const seed = async (s: TestServer) => {
  const batch = [
    ...PROFILES.map((p) => ({
      type: 'identify',
      userId: p.userId,
      timestamp: iso(NOW - 200 * DAY),
      traits: {
        acquisitionChannel: p.channel,
        city: p.city,
        createdAt: iso(NOW - 200 * DAY),
        ...(p.phone ? { phone: p.phone } : {}),
        ...(p.email ? { email: p.email } : {}),
      },
    })),
    ...ORDERS.map(([userId, daysAgo], i) => ({
      type: 'track',
      userId,
      event: 'order',
      messageId: `order-${i}`,
      timestamp: iso(NOW - daysAgo * DAY),
      properties: { amount: 100 + i },
    })),
  ];
  const r = await postJson(`${s.url}/v1/batch`, { batch });
  expect(r.json).toMatchObject({ accepted: batch.length, rejected: 0 });
};

type Tokens = Record<'admin' | 'alice' | 'bob' | 'viewer' | 'reviewer', string>;
const makeUsers = async (s: TestServer): Promise<Tokens> => {
  const make = async (name: string, role: Role) => {
    const u = await createUser(s.rt.control, { name, role });
    if (!u.ok) throw new Error('user exists');
    return issueApiToken(s.rt.control, u.value.id);
  };
  return {
    admin: await make('root', 'admin'),
    alice: await make('alice', 'operator'),
    bob: await make('bob', 'operator'),
    viewer: await make('vera', 'viewer'),
    reviewer: await make('rita', 'reviewer'),
  };
};

const api = (s: TestServer) => {
  const call = async (method: string, path: string, token: string | null, body?: unknown) => {
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return {
      status: res.status,
      headers: res.headers,
      text,
      json: (type.includes('json') ? JSON.parse(text) : null) as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    };
  };
  return call;
};

/** Ordered at least twice, never in the last 30 days. */
const DRIFTING = {
  kind: 'and',
  children: [
    { kind: 'metric', event: 'order', fn: 'count', op: 'gte', value: 2 },
    { kind: 'did_not', event: 'order', window: { type: 'last_days', days: 30 } },
  ],
};
const DISTRIBUTION = { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' };

describe.each(Object.entries(backends))(
  'saved audiences over HTTP, control plane on %s',
  (_name, backend) => {
    const start = async () => {
      server = await startTestServer({ clock: () => NOW, ...backend() });
      await seed(server);
      return { s: server, tokens: await makeUsers(server), call: api(server) };
    };

    it('needs a valid API token; the write key is not one', async () => {
      const { s, call } = await start();
      expect((await call('GET', '/v1/audiences', null)).status).toBe(401);
      expect((await call('GET', '/v1/audiences', 'rkt_not-a-token')).status).toBe(401);
      const withWriteKey = await fetch(`${s.url}/v1/audiences`, {
        headers: { authorization: `Basic ${Buffer.from('rk_test_key_for_this_suite:').toString('base64')}` },
      });
      expect(withWriteKey.status).toBe(401);
      expect(withWriteKey.headers.get('www-authenticate')).toContain('Bearer');
    });

    it('creates, lists, previews with masked contacts, and audits', async () => {
      const { s, tokens, call } = await start();
      const created = await call('POST', '/v1/audiences', tokens.alice, {
        name: 'Drifting buyers',
        description: 'two orders, none in 30 days',
        definition: DRIFTING,
      });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ name: 'Drifting buyers', version: 1, owner: { name: 'alice' } });
      const id = created.json['id'] as string;
      expect(id).toMatch(/^aud_[0-9a-f]{16}$/);

      const list = await call('GET', '/v1/audiences', tokens.viewer);
      expect(list.json['audiences'].map((a: { id: string }) => a.id)).toEqual([id]);
      expect((await call('GET', '/v1/audiences?owner=me', tokens.bob)).json['audiences']).toEqual([]);
      expect((await call('GET', '/v1/audiences?search=DRIFT', tokens.bob)).json['audiences']).toHaveLength(1);

      const preview = await call('GET', `/v1/audiences/${id}/preview?sample=10`, tokens.viewer);
      expect(preview.status).toBe(200);
      expect(preview.json['count']).toBe(2);
      const sample = preview.json['sample'] as {
        userId: string;
        phone: string | null;
        email: string | null;
      }[];
      expect(sample.map((r) => r.userId).sort()).toEqual(['u1', 'u5']);
      expect(sample.find((r) => r.userId === 'u1')).toMatchObject({
        phone: '138****0001',
        email: 'l***@example.com',
      });
      expect(preview.text).not.toContain('13800000001');
      expect(preview.text).not.toContain('lisa@');
      expect(preview.json['asOf']).toBe(iso(NOW));

      // As of 35 days ago u1's last order (60 days ago) was 25 days old, u5's (70 days ago) 35: only u5.
      const past = await call('POST', '/v1/audiences/preview', tokens.viewer, {
        definition: DRIFTING,
        asOf: iso(NOW - 35 * DAY),
        sample: 0,
      });
      expect(past.json).toMatchObject({ count: 1, sample: [] });

      const audit = await auditFor(s.rt.control, 'default', 'audience', id);
      expect(audit.map((a) => a.action)).toEqual(['audience.create']);
      expect(audit[0]?.details).toMatchObject({ name: 'Drifting buyers' });
    });

    it('refuses bad input precisely, without storing anything', async () => {
      const { tokens, call } = await start();
      const bad = await call('POST', '/v1/audiences', tokens.alice, {
        name: 'x',
        definition: {
          kind: 'and',
          children: [DISTRIBUTION, { kind: 'did', event: 'login', window: { type: 'last_days', days: -3 } }],
        },
      });
      expect(bad.status).toBe(400);
      expect(bad.json['errors']).toEqual([
        expect.objectContaining({ path: 'definition.children[1].window.days' }),
      ]);

      const injection = await call('POST', '/v1/audiences', tokens.alice, {
        name: "Robert'); DROP TABLE audiences;--",
        definition: { kind: 'attribute', attribute: 'city; DROP TABLE profiles', op: 'exists' },
      });
      expect(injection.status).toBe(400);
      expect(injection.json['errors'][0].path).toBe('definition.attribute');

      const noName = await call('POST', '/v1/audiences', tokens.alice, {
        name: '  ',
        definition: DISTRIBUTION,
      });
      expect(noName.status).toBe(400);
      expect(noName.json['errors'][0].path).toBe('name');

      const extra = await call('POST', '/v1/audiences', tokens.alice, {
        name: 'a',
        definition: DISTRIBUTION,
        owner: 9,
      });
      expect(extra.status).toBe(400);

      const sample = await call('GET', '/v1/audiences/aud_0/preview?sample=1000', tokens.alice);
      expect(sample.status).toBe(400);
      expect(sample.json['errors'][0].path).toBe('query.sample');

      // A name with quotes is just a name.
      const quoted = await call('POST', '/v1/audiences', tokens.alice, {
        name: "Robert'); DROP TABLE audiences;--",
        definition: DISTRIBUTION,
      });
      expect(quoted.status).toBe(201);
      expect((await call('GET', '/v1/audiences', tokens.alice)).json['audiences']).toHaveLength(1);
      const dup = await call('POST', '/v1/audiences', tokens.bob, {
        name: "robert'); drop table audiences;--",
        definition: DRIFTING,
      });
      expect(dup.status).toBe(409);
    });

    it('lets only the owner or an admin change or delete, with optimistic versions', async () => {
      const { s, tokens, call } = await start();
      const a = (
        await call('POST', '/v1/audiences', tokens.alice, { name: 'Distribution', definition: DISTRIBUTION })
      ).json;
      expect(
        (await call('POST', '/v1/audiences', tokens.viewer, { name: 'v', definition: DISTRIBUTION })).status,
      ).toBe(403);
      expect(
        (await call('PATCH', `/v1/audiences/${a['id']}`, tokens.bob, { version: 1, name: 'Mine now' }))
          .status,
      ).toBe(403);
      expect((await call('DELETE', `/v1/audiences/${a['id']}`, tokens.bob)).status).toBe(403);

      const renamed = await call('PATCH', `/v1/audiences/${a['id']}`, tokens.alice, {
        version: 1,
        name: 'Distribution users',
      });
      expect(renamed.json).toMatchObject({
        version: 2,
        name: 'Distribution users',
        definition: DISTRIBUTION,
      });
      const stale = await call('PATCH', `/v1/audiences/${a['id']}`, tokens.admin, {
        version: 1,
        description: 'late',
      });
      expect(stale.status).toBe(409);
      expect(stale.json['error']).toContain('version 2');
      const byAdmin = await call('PATCH', `/v1/audiences/${a['id']}`, tokens.admin, {
        version: 2,
        description: 'checked',
      });
      expect(byAdmin.json).toMatchObject({ version: 3, description: 'checked', owner: { name: 'alice' } });

      // References: b uses a; a may not then use b (a cycle), and a may not be deleted while b uses it.
      const b = (
        await call('POST', '/v1/audiences', tokens.bob, {
          name: 'Drifting distribution',
          definition: { kind: 'and', children: [{ kind: 'audience', id: a['id'] }, DRIFTING] },
        })
      ).json;
      expect((await call('GET', `/v1/audiences/${b['id']}/preview`, tokens.bob)).json['count']).toBe(2);
      const cycle = await call('PATCH', `/v1/audiences/${a['id']}`, tokens.alice, {
        version: 3,
        definition: { kind: 'or', children: [DISTRIBUTION, { kind: 'audience', id: b['id'] }] },
      });
      expect(cycle.status).toBe(400);
      expect(cycle.json['errors'][0].message).toContain('cycle');
      const inUse = await call('DELETE', `/v1/audiences/${a['id']}`, tokens.alice);
      expect(inUse.status).toBe(409);
      expect(inUse.json['by']).toEqual([{ id: b['id'], name: 'Drifting distribution' }]);

      expect((await call('DELETE', `/v1/audiences/${b['id']}`, tokens.admin)).json).toEqual({
        id: b['id'],
        deleted: true,
      });
      // A warning rule that uses it holds it too.
      const rule = await call('POST', '/v1/warning-rules', tokens.alice, {
        name: 'Quiet distribution users',
        level: 'warning',
        definition: { kind: 'audience', id: a['id'] },
      });
      expect(rule.status).toBe(201);
      const heldByRule = await call('DELETE', `/v1/audiences/${a['id']}`, tokens.alice);
      expect(heldByRule.status).toBe(409);
      expect(heldByRule.json['by']).toEqual([{ id: rule.json['id'], name: 'Quiet distribution users' }]);
      expect((await call('DELETE', `/v1/warning-rules/${rule.json['id']}`, tokens.alice)).status).toBe(200);
      expect((await call('DELETE', `/v1/audiences/${a['id']}`, tokens.alice)).status).toBe(200);
      expect((await call('GET', `/v1/audiences/${a['id']}`, tokens.alice)).status).toBe(404);
      const audit = await auditFor(s.rt.control, 'default', 'audience', a['id']);
      expect(audit.map((e) => e.action)).toEqual([
        'audience.create',
        'audience.update',
        'audience.update',
        'audience.delete',
      ]);
    });

    it('freezes members in a snapshot that later events do not change, and pages through them', async () => {
      const { s, tokens, call } = await start();
      const a = (
        await call('POST', '/v1/audiences', tokens.alice, { name: 'Distribution', definition: DISTRIBUTION })
      ).json;
      expect((await call('POST', `/v1/audiences/${a['id']}/snapshots`, tokens.viewer, {})).status).toBe(403);
      const snap = await call('POST', `/v1/audiences/${a['id']}/snapshots`, tokens.reviewer, {
        purpose: 'campaign:42',
      });
      expect(snap.status).toBe(201);
      expect(snap.json).toMatchObject({
        memberCount: 3,
        asOf: iso(NOW),
        takenAt: iso(NOW),
        purpose: 'campaign:42',
        audienceVersion: 1,
      });

      // u2 switches channel: the live audience grows, the snapshot does not.
      await postJson(`${s.url}/v1/identify`, {
        userId: 'u2',
        traits: { acquisitionChannel: 'distribution' },
      });
      await s.rt.ingest.drained();
      expect((await call('GET', `/v1/audiences/${a['id']}/preview`, tokens.alice)).json['count']).toBe(4);

      const page1 = await call('GET', `/v1/snapshots/${snap.json['id']}/members?limit=2`, tokens.viewer);
      expect(page1.json).toMatchObject({ memberCount: 3, userIds: ['u1', 'u3'], next: 'u3' });
      const page2 = await call(
        'GET',
        `/v1/snapshots/${snap.json['id']}/members?limit=2&after=u3`,
        tokens.viewer,
      );
      expect(page2.json).toMatchObject({ userIds: ['u5'], next: null });

      const second = await call('POST', `/v1/audiences/${a['id']}/snapshots`, tokens.alice);
      expect(second.json['memberCount']).toBe(4);
      const list = await call('GET', `/v1/audiences/${a['id']}/snapshots`, tokens.viewer);
      expect(list.json['snapshots'].map((x: { memberCount: number }) => x.memberCount).sort()).toEqual([
        3, 4,
      ]);
      expect((await call('GET', `/v1/snapshots/${snap.json['id']}`, tokens.viewer)).json['memberCount']).toBe(
        3,
      );
    });

    it('exports CSV with masked contacts by default, clear ones only for admins, safe from formulas', async () => {
      const { s, tokens, call } = await start();
      const a = (
        await call('POST', '/v1/audiences', tokens.alice, { name: 'Distribution', definition: DISTRIBUTION })
      ).json;
      expect((await call('GET', `/v1/audiences/${a['id']}/export.csv`, tokens.viewer)).status).toBe(403);
      expect(
        (await call('GET', `/v1/audiences/${a['id']}/export.csv?contacts=clear`, tokens.alice)).status,
      ).toBe(403);
      const bad = await call(
        'GET',
        `/v1/audiences/${a['id']}/export.csv?columns=city,password`,
        tokens.alice,
      );
      expect(bad.status).toBe(400);
      expect(bad.json['error']).toContain("'password'");

      const masked = await call('GET', `/v1/audiences/${a['id']}/export.csv`, tokens.alice);
      expect(masked.status).toBe(200);
      expect(masked.headers.get('content-type')).toContain('text/csv');
      expect(masked.text.split('\r\n')).toEqual([
        'user_id,acquisition_channel,city,phone,email',
        'u1,distribution,Shanghai,138****0001,l***@example.com',
        `u3,distribution,"'=HYPERLINK(""http://evil"")",138****0003,`,
        'u5,distribution,Hangzhou,138****0005,',
        '',
      ]);
      const snapshotId = masked.headers.get('x-rekindle-snapshot');
      expect(snapshotId).toMatch(/^snap_/);

      const clear = await call(
        'GET',
        `/v1/snapshots/${snapshotId}/export.csv?contacts=clear&columns=phone,balance`,
        tokens.admin,
      );
      expect(clear.text.split('\r\n').slice(0, 3)).toEqual([
        'user_id,phone,balance',
        'u1,+8613800000001,',
        'u3,+8613800000003,',
      ]);
      const none = await call('GET', `/v1/snapshots/${snapshotId}/export.csv?contacts=none`, tokens.alice);
      expect(none.text.split('\r\n')[0]).toBe('user_id,acquisition_channel,city');

      const audit = await auditFor(s.rt.control, 'default', 'audience', a['id']);
      expect(audit.filter((e) => e.action === 'audience.export').map((e) => e.details['contacts'])).toEqual([
        'masked',
        'clear',
        'none',
      ]);
    });
  },
);

describe('OpenAPI', () => {
  it('documents the audience API from the same schemas, with the audience tree as a component', async () => {
    server = await startTestServer();
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/audiences',
        '/v1/audiences/{id}',
        '/v1/audiences/{id}/snapshots',
        '/v1/snapshots/{id}/export.csv',
      ]),
    );
    const body = doc.paths['/v1/audiences']?.['post']?.requestBody?.content['application/json']?.schema;
    expect(JSON.stringify(body)).toContain('"#/components/schemas/AudienceNode"');
    expect(JSON.stringify(doc.components.schemas['AudienceNode'])).toContain('"sequence"');
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
    expect((await fetch(`${server.url}/docs`)).status).toBeLessThan(400);
  });
});
