import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Role } from '../src/core/auth/roles.ts';
import { DEFAULT_SCORE_CONFIG } from '../src/core/scores/config.ts';
import { auditFor } from '../src/storage/control/audit-log.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { NOW, TEST_CONFIG, seedSevenUsers } from './support/score-scenario.ts';

/**
 * The score, analysis, warning-rule and churn-reason API end to end: HTTP → control plane
 * (PostgreSQL and PGlite) → DuckDB, on the seven hand-made users with a fixed clock.
 */

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
    controlSchema: `scr_${randomBytes(4).toString('hex')}`,
  }),
};

type Tokens = Record<'admin' | 'alice' | 'bob' | 'viewer', string>;
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
  };
};

const api = (s: TestServer) => async (method: string, path: string, token: string | null, body?: unknown) => {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

const WATCH = {
  name: 'Silent or churned',
  level: 'warning',
  definition: { kind: 'score', score: 'lifecycle_stage', op: 'in', values: ['silent', 'churned'] },
};

describe.each(Object.entries(backends))('scores over HTTP, control plane on %s', (_name, backend) => {
  const start = async () => {
    server = await startTestServer({ clock: () => NOW, ...backend() });
    await seedSevenUsers(server.rt.warehouse);
    return { s: server, tokens: await makeUsers(server), call: api(server) };
  };
  const configure = async (call: ReturnType<typeof api>, admin: string) => {
    const put = await call('PUT', '/v1/scores/config', admin, { version: 0, config: TEST_CONFIG });
    expect(put.status).toBe(200);
  };

  it('configuration: everyone reads, only admins change it, stale versions and bad documents are refused', async () => {
    const { s, tokens, call } = await start();
    const read = await call('GET', '/v1/scores/config', tokens.viewer);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({
      version: 0,
      isDefault: true,
      updatedAt: null,
      config: DEFAULT_SCORE_CONFIG,
    });
    expect((await call('GET', '/v1/scores/config', null)).status).toBe(401);

    for (const t of [tokens.viewer, tokens.alice]) {
      const no = await call('PUT', '/v1/scores/config', t, { version: 0, config: TEST_CONFIG });
      expect(no.status).toBe(403);
      expect(no.json['error']).toMatch(/may not change the scoring configuration/);
    }
    const bad = await call('PUT', '/v1/scores/config', tokens.admin, {
      version: 0,
      config: { ...TEST_CONFIG, churn: { events: ['login'], days: 0 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json['errors']).toEqual([{ path: 'config.churn.days', message: expect.any(String) }]);

    const put = await call('PUT', '/v1/scores/config', tokens.admin, { version: 0, config: TEST_CONFIG });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ version: 1, isDefault: false, config: TEST_CONFIG });
    expect(
      (await call('PUT', '/v1/scores/config', tokens.admin, { version: 0, config: TEST_CONFIG })).status,
    ).toBe(409);
    const audit = await auditFor(s.rt.control, 'default', 'score_config', 'default');
    expect(audit.map((a) => a.action)).toEqual(['scores.configure']);
  });

  it('computes on demand (operators), then serves the summary, audiences and the churn structure to everyone', async () => {
    const { tokens, call } = await start();
    await configure(call, tokens.admin);
    expect((await call('POST', '/v1/scores/compute', tokens.viewer, {})).status).toBe(403);
    const run = await call('POST', '/v1/scores/compute', tokens.alice);
    expect(run.status).toBe(200);
    expect(run.json).toMatchObject({
      asOf: new Date(NOW).toISOString(),
      configVersion: 1,
      users: 7,
      stages: { new: 1, growing: 2, mature: 1, silent: 2, churned: 1 },
      tiers: { high: 1, medium: 1, low: 2, none: 3 },
      tierChanged: 0,
      lifecycleChanged: 0,
    });

    // Scores never go back in time: a run as of an earlier instant would reverse the transitions.
    const back = await call('POST', '/v1/scores/compute', tokens.alice, { asOf: '2026-06-01T00:00:00Z' });
    expect(back.status).toBe(409);
    expect(back.json['error']).toMatch(/back in time/);

    const summary = await call('GET', '/v1/scores/summary', tokens.viewer);
    expect(summary.json).toMatchObject({ users: 7, computedAt: new Date(NOW).toISOString() });
    const high = await call('POST', '/v1/audiences/preview', tokens.viewer, {
      definition: { kind: 'score', score: 'rfm_tier', op: 'eq', value: 'high' },
    });
    expect(high.json).toMatchObject({ count: 1, sample: [{ userId: 'm1' }] });

    const structure = await call('GET', '/v1/analysis/churn-structure', tokens.viewer);
    expect(structure.status).toBe(200);
    expect(structure.json).toMatchObject({ users: 7, eligible: 5, churned: 1, churnRate: 0.2, tooNew: 2 });
    expect(structure.json['byStage'][1]).toEqual({
      stage: 'growing',
      reached: 5,
      churned: 1,
      churnRate: 0.2,
      shareOfChurned: 1,
    });
    expect(structure.json['byChannel'][0]).toMatchObject({ key: 'distribution', users: 2, churnRate: 0.5 });
    const past = await call('GET', '/v1/analysis/churn-structure?asOf=2026-06-01T00:00:00Z', tokens.viewer);
    expect(past.json['asOf']).toBe('2026-06-01T00:00:00.000Z');
  });

  it('warning rules: roles like audiences, evaluation once per spell, the warned users page by page', async () => {
    const { s, tokens, call } = await start();
    await configure(call, tokens.admin);
    expect((await call('POST', '/v1/warning-rules', tokens.viewer, WATCH)).status).toBe(403);
    const invalid = await call('POST', '/v1/warning-rules', tokens.alice, {
      ...WATCH,
      definition: { kind: 'score', score: 'lifecycle_stage', op: 'eq', value: 'asleep' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json['errors']).toEqual([
      { path: 'definition.value', message: expect.stringContaining('silent') },
    ]);
    expect((await call('POST', '/v1/warning-rules', tokens.alice, { ...WATCH, level: 'panic' })).status).toBe(
      400,
    );

    const created = await call('POST', '/v1/warning-rules', tokens.alice, WATCH);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: WATCH.name,
      level: 'warning',
      enabled: true,
      version: 1,
      warnedNow: 0,
    });
    const id = created.json['id'] as string;
    expect(id).toMatch(/^wrn_[0-9a-f]{16}$/);
    expect((await call('POST', '/v1/warning-rules', tokens.bob, WATCH)).status).toBe(409);

    expect(
      (await call('PATCH', `/v1/warning-rules/${id}`, tokens.bob, { version: 1, level: 'info' })).status,
    ).toBe(403);
    const patched = await call('PATCH', `/v1/warning-rules/${id}`, tokens.admin, {
      version: 1,
      level: 'critical',
    });
    expect(patched.json).toMatchObject({ version: 2, level: 'critical' });
    expect(
      (await call('PATCH', `/v1/warning-rules/${id}`, tokens.alice, { version: 1, level: 'info' })).status,
    ).toBe(409);

    const run = await call('POST', '/v1/scores/compute', tokens.alice, {});
    expect(run.json['warnings']).toMatchObject({
      raised: 3,
      rules: [{ ruleId: id, level: 'critical', matching: 3, raised: 3 }],
    });
    expect((await call('POST', '/v1/scores/compute', tokens.alice, {})).json['warnings']['raised']).toBe(0);
    const list = await call('GET', '/v1/warning-rules', tokens.viewer);
    expect(list.json['rules']).toEqual([expect.objectContaining({ id, warnedNow: 3 })]);
    const page1 = await call('GET', `/v1/warning-rules/${id}/warned?limit=2`, tokens.viewer);
    expect(page1.json).toMatchObject({
      users: [
        { userId: 'c1', level: 'critical' },
        { userId: 'n2', level: 'critical' },
      ],
      next: 'n2',
    });
    const page2 = await call('GET', `/v1/warning-rules/${id}/warned?limit=2&after=n2`, tokens.viewer);
    expect(page2.json).toMatchObject({
      users: [{ userId: 's1', raisedAt: new Date(NOW).toISOString() }],
      next: null,
    });

    expect((await call('DELETE', `/v1/warning-rules/${id}`, tokens.viewer)).status).toBe(403);
    expect((await call('DELETE', `/v1/warning-rules/${id}`, tokens.bob)).status).toBe(403);
    expect((await call('DELETE', `/v1/warning-rules/${id}`, tokens.alice)).json).toEqual({
      id,
      deleted: true,
    });
    expect((await call('GET', `/v1/warning-rules/${id}`, tokens.viewer)).status).toBe(404);
    const audit = await auditFor(s.rt.control, 'default', 'warning_rule', id);
    expect(audit.map((a) => a.action)).toEqual([
      'warning_rule.create',
      'warning_rule.update',
      'warning_rule.delete',
    ]);
  });

  it('churn reasons: recorded by operators, listed for everyone, usable in audiences', async () => {
    const { tokens, call } = await start();
    await configure(call, tokens.admin);
    const body = { reason: 'economic', note: 'buying a car', answeredAt: '2026-11-19T10:00:00Z' };
    expect((await call('POST', '/v1/users/c1/churn-reasons', tokens.viewer, body)).status).toBe(403);
    const bad = await call('POST', '/v1/users/c1/churn-reasons', tokens.alice, { reason: 'bored' });
    expect(bad.status).toBe(400);
    expect(bad.json['errors']).toEqual([
      { path: 'reason', message: expect.stringContaining("unknown code 'bored'") },
    ]);
    expect((await call('POST', '/v1/users/nobody/churn-reasons', tokens.alice, body)).status).toBe(404);
    const created = await call('POST', '/v1/users/c1/churn-reasons', tokens.alice, body);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      userId: 'c1',
      reason: 'economic',
      note: 'buying a car',
      answeredAt: '2026-11-19T10:00:00.000Z',
      recordedBy: 'alice',
      source: 'api',
    });
    const list = await call('GET', '/v1/users/c1/churn-reasons', tokens.viewer);
    expect(list.json['reasons']).toHaveLength(1);
    const preview = await call('POST', '/v1/audiences/preview', tokens.viewer, {
      definition: { kind: 'attribute', attribute: 'churn_reason', op: 'eq', value: 'economic' },
    });
    expect(preview.json).toMatchObject({ count: 1, sample: [{ userId: 'c1' }] });
  });
});

describe('OpenAPI for scores', () => {
  it('documents the score, analysis, warning-rule and reason routes from their schemas', async () => {
    server = await startTestServer();
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/scores/config',
        '/v1/scores/compute',
        '/v1/scores/summary',
        '/v1/analysis/churn-structure',
        '/v1/warning-rules',
        '/v1/warning-rules/{id}',
        '/v1/warning-rules/{id}/warned',
        '/v1/users/{id}/churn-reasons',
      ]),
    );
    expect(JSON.stringify(doc.paths['/v1/warning-rules']?.['post'])).toContain(
      '#/components/schemas/AudienceNode',
    );
    // The configuration's schema is a component (by its $id), with the bin kinds spelled out.
    expect(JSON.stringify(doc.paths['/v1/scores/config']?.['get'])).toContain('"config":{"$ref"');
    expect(JSON.stringify(doc)).toContain('"enum":["quantile"]');
  });
});
