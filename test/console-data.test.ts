import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * The console's read-only views (src/server/routes/console-data.ts) on hand-made users with a
 * fixed clock: recency classes per week end, one user's timeline with masked contacts, the audit
 * log (admins and reviewers only) and the team list.
 */

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 20); // a day boundary: the last week end is NOW itself
const at = (daysAgo: number) => new Date(NOW - daysAgo * DAY + 3_600_000).toISOString();

let server: TestServer;
let admin = '';
let operator = '';

const get = async (path: string, token: string) => {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
  const batch = [
    {
      type: 'identify',
      userId: 'a',
      traits: { phone: '13812348000', email: 'lisa@example.com', city: 'Shanghai' },
    },
    { type: 'track', userId: 'a', event: 'order', timestamp: at(1), properties: { amount: 129 } },
    { type: 'track', userId: 'a', event: 'login', timestamp: at(20) },
    { type: 'track', userId: 'b', event: 'login', timestamp: at(10) },
    { type: 'track', userId: 'c', event: 'login', timestamp: at(40) },
  ];
  const r = await postJson(`${server.url}/v1/batch`, { batch });
  expect(r.status).toBe(200);
  expect(r.json['accepted']).toBe(batch.length);
  const a = await createUser(server.rt.control, { name: 'ada', role: 'admin' });
  const o = await createUser(server.rt.control, { name: 'otto', role: 'operator' });
  if (!a.ok || !o.ok) throw new Error('users');
  admin = await issueApiToken(server.rt.control, a.value.id);
  operator = await issueApiToken(server.rt.control, o.value.id);
});

afterAll(async () => {
  await server?.stop();
  server?.cleanup();
});

describe('console data', () => {
  it('classifies users at each week end by the time since their last event', async () => {
    const r = await get('/v1/console/activity?weeks=3', operator);
    expect(r.status).toBe(200);
    // At NOW-14d: a (last event 20 d ago → 6 d) active, c (40 d → 26 d) silent, b not yet seen.
    // At NOW-7d:  a 13 d silent, b 3 d active, c 33 d churned.
    // At NOW:     a 1 d active, b 10 d silent, c 40 d churned.
    expect(r.json).toEqual({
      activeDays: 7,
      churnDays: 30,
      points: [
        { at: new Date(NOW - 14 * DAY).toISOString(), active: 1, silent: 1, churned: 0 },
        { at: new Date(NOW - 7 * DAY).toISOString(), active: 1, silent: 1, churned: 1 },
        { at: new Date(NOW).toISOString(), active: 1, silent: 1, churned: 1 },
      ],
    });
    const narrower = await get('/v1/console/activity?weeks=1&activeDays=1&churnDays=15', operator);
    expect(narrower.json['points']).toEqual([
      { at: new Date(NOW).toISOString(), active: 0, silent: 2, churned: 1 },
    ]);
    expect((await get('/v1/console/activity?activeDays=30&churnDays=30', operator)).status).toBe(400);
  });

  it("shows a user's events newest first with contacts masked, and 404 for an unknown user", async () => {
    const r = await get('/v1/console/users/a', operator);
    expect(r.status).toBe(200);
    const profile = r.json['profile'] as Record<string, unknown>;
    expect(profile['phone']).toBe('138****8000');
    expect(profile['email']).toBe('l***@example.com');
    expect(profile['city']).toBe('Shanghai');
    expect(profile).not.toHaveProperty('push_token');
    expect(JSON.stringify(r.json)).not.toContain('13812348000');
    expect(
      (r.json['events'] as { event: string; amount: number | null }[]).map((e) => [e.event, e.amount]),
    ).toEqual([
      ['order', 129],
      ['login', null],
    ]);
    expect(r.json['messages']).toEqual([]);
    expect((await get('/v1/console/users/nobody', operator)).status).toBe(404);
  });

  it('shows the audit log to admins (newest first) and refuses operators', async () => {
    const created = await fetch(`${server.url}/v1/audiences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Audit me', definition: { kind: 'did', event: 'login' } }),
    });
    expect(created.status).toBe(201);
    const denied = await get('/v1/console/audit', operator);
    expect(denied.status).toBe(403);
    const r = await get('/v1/console/audit?limit=5', admin);
    expect(r.status).toBe(200);
    const entries = r.json['entries'] as {
      id: number;
      actor: string | null;
      action: string;
      objectType: string;
    }[];
    // The refusal itself is the newest entry (issue 17), then the audience.
    expect(entries[0]).toMatchObject({ actor: 'otto', action: 'access.refused', objectType: 'route' });
    expect(entries[1]).toMatchObject({ actor: 'otto', objectType: 'audience' });
    const ids = entries.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
  });

  it('lists the team with roles, and answers an empty risk distribution and funnel before any run', async () => {
    const team = await get('/v1/console/team', operator);
    expect(team.json['users']).toEqual([
      expect.objectContaining({ name: 'ada', role: 'admin', disabled: false }),
      expect.objectContaining({ name: 'otto', role: 'operator', disabled: false }),
    ]);
    const risk = await get('/v1/console/risk', operator);
    expect(risk.json['scored']).toBe(0);
    expect((risk.json['bins'] as unknown[]).length).toBe(10);
    // Scores are 0–100 (round(p × 100)); 100 falls in the last bin.
    await server.rt.warehouse.write(
      `INSERT INTO user_scores (user_id, churn_risk_score, churn_risk_level) VALUES ('a', 100, 'high'), ('b', 35, 'medium'), ('c', 39, 'medium')`,
    );
    const scored = await get('/v1/console/risk', operator);
    expect(scored.json['scored']).toBe(3);
    expect((scored.json['bins'] as { from: number; users: number }[]).filter((b) => b.users > 0)).toEqual([
      { from: 30, to: 40, users: 2 },
      { from: 90, to: 100, users: 1 },
    ]);
    expect(scored.json['levels']).toEqual([
      { level: 'high', users: 1 },
      { level: 'medium', users: 2 },
    ]);
    const funnel = await get('/v1/console/funnel?days=30', operator);
    expect(funnel.json).toMatchObject({ recipients: 0, conversions: 0, cost: 0, roi: null });
  });
});
