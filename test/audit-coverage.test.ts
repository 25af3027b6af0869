import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { authContextOf } from '../src/auth/context.ts';
import { disableUser } from '../src/auth/disable-user.ts';
import { setPassword } from '../src/auth/passwords.ts';
import { changeRole, createTeamMember } from '../src/auth/team.ts';
import { planLadderFollowUps } from '../src/campaigns/ladder-follow-ups.ts';
import { triggerTick } from '../src/campaigns/triggers.ts';
import type { Actor } from '../src/core/auth/roles.ts';
import type { EventRow } from '../src/core/events/rows.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import type { SqlClient } from '../src/storage/control/sql-client.ts';
import { issueApiToken } from '../src/storage/control/users.ts';
import { approvedCampaign, distributionUsers, plannerActors } from './support/planner-scenario.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';
import { event, openScenario, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * Issue 17: the audit log records user and role changes, alert rules, catalog uploads, refused
 * attempts (403s and failed logins, without secrets), ladder steps and trigger sends — each with
 * who (a person, or the system), what, and on what.
 */

type Entry = {
  actorId: number | null;
  action: string;
  objectType: string;
  objectId: string;
  details: Record<string, unknown>;
};

const entries = async (db: SqlClient, action: string): Promise<Entry[]> =>
  (
    await db.query<Record<string, unknown>>(
      'SELECT actor_id, action, object_type, object_id, details FROM audit_log WHERE action = $1 ORDER BY id',
      [action],
    )
  ).map((r) => ({
    actorId: r['actor_id'] === null ? null : Number(r['actor_id']),
    action: String(r['action']),
    objectType: String(r['object_type']),
    objectId: String(r['object_id']),
    details: (typeof r['details'] === 'string' ? JSON.parse(r['details']) : r['details']) as Record<
      string,
      unknown
    >,
  }));

describe('audited through the API', () => {
  let s: TestServer;
  let admin: Actor;
  const tokens: Record<string, string> = {};
  const NOW = Date.UTC(2026, 2, 10, 4);

  beforeAll(async () => {
    s = await startTestServer({ clock: () => NOW });
    const ctx = authContextOf(s.rt);
    const a = await createTeamMember(ctx, null, { name: 'ada', role: 'admin' });
    if (!a.ok) throw new Error('admin');
    admin = { userId: a.value.id, workspaceId: 'default', name: 'ada', role: 'admin' };
    tokens['ada'] = await issueApiToken(s.rt.control, a.value.id);
    const v = await createTeamMember(ctx, admin, { name: 'vic', role: 'viewer' });
    if (!v.ok) throw new Error('viewer');
    tokens['vic'] = await issueApiToken(s.rt.control, v.value.id);
  });
  afterAll(async () => {
    await s.stop();
    s.cleanup();
  });

  it('team members: created (CLI and admin), role changed, password reset, disabled', async () => {
    const ctx = authContextOf(s.rt);
    const created = await entries(s.rt.control, 'user.created');
    expect(
      created.map((e) => [e.actorId, e.objectType, e.details['name'], e.details['role'], e.details['by']]),
    ).toEqual([
      [null, 'user', 'ada', 'admin', 'cli'],
      [admin.userId, 'user', 'vic', 'viewer', 'ada'],
    ]);
    const olga = await createTeamMember(ctx, admin, { name: 'olga', role: 'viewer' });
    if (!olga.ok) throw new Error('olga');
    // Only admins manage the team; a refusal writes nothing.
    const byViewer = { ...admin, userId: olga.value.id, name: 'olga', role: 'viewer' as const };
    expect((await changeRole(ctx, byViewer, olga.value, 'admin')).ok).toBe(false);
    const promoted = await changeRole(ctx, admin, olga.value, 'operator');
    expect(promoted.ok).toBe(true);
    const roles = await entries(s.rt.control, 'user.role_changed');
    expect(roles).toEqual([
      expect.objectContaining({
        actorId: admin.userId,
        objectType: 'user',
        objectId: String(olga.value.id),
        details: expect.objectContaining({ from: 'viewer', to: 'operator' }),
      }),
    ]);
    expect((await setPassword(ctx, admin, olga.value, 'a long enough passphrase 7')).ok).toBe(true);
    expect((await disableUser(ctx, admin, olga.value)).ok).toBe(true);
    const pw = await entries(s.rt.control, 'auth.password_set');
    expect(pw.at(-1)).toMatchObject({ actorId: admin.userId, objectId: String(olga.value.id) });
    expect(JSON.stringify(pw)).not.toContain('passphrase');
    expect((await entries(s.rt.control, 'user.disabled')).at(-1)).toMatchObject({
      actorId: admin.userId,
      objectId: String(olga.value.id),
    });
  });

  it('team members through the API (admin only): create, role, password reset, disable — each audited', async () => {
    const ada = tokens['ada'] ?? '';
    const refused = await apiCall(s.url, tokens['vic'] ?? '', 'POST', '/v1/team/members', {
      name: 'mallory',
      role: 'admin',
    });
    expect(refused.status).toBe(403);
    const made = await apiCall(s.url, ada, 'POST', '/v1/team/members', {
      name: 'paula',
      role: 'viewer',
      password: 'a long enough passphrase 8',
    });
    expect(made.status).toBe(201);
    const id = Number(made.json['id']);
    expect(
      (await apiCall(s.url, ada, 'PUT', `/v1/team/members/${id}/role`, { role: 'reviewer' })).json,
    ).toMatchObject({
      role: 'reviewer',
    });
    const pw = await apiCall(s.url, ada, 'PUT', `/v1/team/members/${id}/password`, {
      password: 'another long passphrase 9',
    });
    expect(pw.status).toBe(200);
    expect((await apiCall(s.url, ada, 'POST', `/v1/team/members/${id}/disable`, {})).status).toBe(200);
    const trail = await s.rt.control.query<{ action: string; actor_id: unknown }>(
      `SELECT action, actor_id FROM audit_log WHERE object_type = 'user' AND object_id = $1 ORDER BY id`,
      [String(id)],
    );
    expect(trail.map((r) => [r.action, Number(r.actor_id)])).toEqual([
      ['user.created', admin.userId],
      ['auth.password_set', admin.userId],
      ['user.role_changed', admin.userId],
      ['auth.password_set', admin.userId],
      ['user.disabled', admin.userId],
    ]);
    expect(JSON.stringify(await s.rt.control.query('SELECT details FROM audit_log'))).not.toContain(
      'passphrase',
    );
    const denied = await entries(s.rt.control, 'access.refused');
    expect(denied.at(-1)).toMatchObject({ objectId: 'POST /v1/team/members' });
    expect(JSON.stringify(denied.at(-1))).not.toContain('mallory');
  });

  it('alert rules: create, update, delete', async () => {
    const made = await apiCall(s.url, tokens['ada'] ?? '', 'POST', '/v1/alerts/rules', {
      name: 'Budget watch',
      params: { kind: 'budget_near_limit', percent: 80 },
    });
    expect(made.status).toBe(201);
    const id = String(made.json['id']);
    expect(
      (await apiCall(s.url, tokens['ada'] ?? '', 'PATCH', `/v1/alerts/rules/${id}`, { enabled: false }))
        .status,
    ).toBe(200);
    expect((await apiCall(s.url, tokens['ada'] ?? '', 'DELETE', `/v1/alerts/rules/${id}`)).status).toBe(204);
    for (const action of ['alert_rule.create', 'alert_rule.update', 'alert_rule.delete'])
      expect(await entries(s.rt.control, action)).toEqual([
        expect.objectContaining({ actorId: admin.userId, objectType: 'alert_rule', objectId: id }),
      ]);
    expect((await entries(s.rt.control, 'alert_rule.update'))[0]?.details['changed']).toEqual(['enabled']);
  });

  it('catalog uploads, with what was stored and refused', async () => {
    const r = await apiCall(s.url, tokens['ada'] ?? '', 'POST', '/v1/catalog/items', {
      items: [
        {
          id: 'fund-1',
          name: '稳健基金',
          category: 'fund',
          priceCents: 100,
          landingUrl: 'https://example.com/f1',
        },
        { id: 'bad', name: 'x' },
      ],
    });
    expect(r.json).toMatchObject({ stored: 1 });
    expect(await entries(s.rt.control, 'catalog.upload')).toEqual([
      expect.objectContaining({
        actorId: admin.userId,
        objectType: 'catalog',
        details: { format: 'json', stored: 1, problems: 3 },
      }),
    ]);
  });

  it('refused attempts: a 403 on a role check, and failed logins without the password', async () => {
    const refused = await apiCall(s.url, tokens['vic'] ?? '', 'POST', '/v1/catalog/items', { items: [] });
    expect(refused.status).toBe(403);
    const denied = await entries(s.rt.control, 'access.refused');
    expect(denied.at(-1)).toMatchObject({
      objectType: 'route',
      objectId: 'POST /v1/catalog/items',
      details: { role: 'viewer', reason: "role 'viewer' may not change the catalog" },
    });
    expect(denied.at(-1)?.actorId).not.toBeNull();
    // Allowed requests leave no refusal behind.
    const before = denied.length;
    expect((await apiCall(s.url, tokens['vic'] ?? '', 'GET', '/v1/catalog/items')).status).toBe(200);
    expect(await entries(s.rt.control, 'access.refused')).toHaveLength(before);

    const login = await fetch(`${s.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'vic', password: 'guessed secret 123' }),
    });
    expect(login.status).toBe(401);
    const failed = await entries(s.rt.control, 'auth.login_failed');
    expect(failed.at(-1)).toMatchObject({
      objectType: 'user',
      details: expect.objectContaining({ name: 'vic' }),
    });
    expect(JSON.stringify(await s.rt.control.query('SELECT details FROM audit_log'))).not.toContain(
      'guessed secret',
    );
  });

  it('the console audit page lists the new actions with their actor', async () => {
    const r = await apiCall(s.url, tokens['ada'] ?? '', 'GET', '/v1/console/audit?limit=200');
    const actions = (r.json['entries'] as { action: string; actor: string | null }[]).map(
      (e) => `${e.actor}:${e.action}`,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        'ada:user.role_changed',
        'ada:alert_rule.create',
        'ada:catalog.upload',
        'vic:access.refused',
      ]),
    );
  });
});

describe('audited system sends', () => {
  const NOW = Date.UTC(2026, 10, 20, 4); // 12:00 in Shanghai
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  let store: ScenarioStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  const push = { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' };
  const sms = {
    channel: 'sms',
    text: '您的专属券已到账 https://example.com/a 回T退订',
    signature: '【Rekindle】',
  };
  const setup = async () => {
    const s = await openScenario();
    store = s;
    s.setNow(NOW - HOUR);
    await seed(s.warehouse, distributionUsers(NOW));
    const a = await plannerActors(s.control);
    const aud = await createSavedAudience(s, a.op, {
      name: 'Distribution users',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    if (!aud.ok) throw new Error('audience');
    return { s, a, audienceId: aud.value.id };
  };

  it('each ladder step planned is an entry: campaign, step, channel, how many sent', async () => {
    const { s, a, audienceId } = await setup();
    await seed(s.warehouse, [], [event('u1', 'order', NOW - 10 * DAY, 500)]);
    const c = await approvedCampaign(s, a, 'Ladder', {
      audienceId,
      timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
      channels: ['push', 'sms'],
      content: [push, sms],
      holdoutShare: 0,
      ladder: {
        steps: [
          { channel: 'push', waitHours: 24 },
          { channel: 'sms', waitHours: 48, minValueCents: 100_00 },
        ],
        responseEvents: ['order'],
        doNotDisturbBelowCents: 1_00,
      },
    });
    s.setNow(NOW);
    await runSlot(s, 'default', NOW);
    expect(await entries(s.control, 'ladder.step')).toEqual([]);
    s.setNow(NOW + 25 * HOUR);
    const [report] = await planLadderFollowUps(s);
    expect(report?.sent).toBe(1);
    expect(await entries(s.control, 'ladder.step')).toEqual([
      {
        actorId: null,
        action: 'ladder.step',
        objectType: 'campaign',
        objectId: c.id,
        details: expect.objectContaining({
          by: 'planner',
          step: 1,
          channel: 'sms',
          users: 1,
          sent: 1,
          skipped: 0,
        }),
      },
    ]);
  });

  it('each round of triggered sends is an entry per campaign with sent, held out and skipped', async () => {
    const { s, a, audienceId } = await setup();
    const c = await approvedCampaign(s, a, 'Paid', {
      audienceId,
      class: 'transactional',
      timing: { kind: 'triggered', event: 'order_paid', delayMinutes: 0 },
      channels: ['push'],
      content: [push],
      holdoutShare: 0,
    });
    s.setNow(NOW);
    const paid = (user: string): EventRow => ({
      ...event(user, 'order_paid', NOW + 1000),
      receivedAt: NOW + 1000,
    });
    await seed(s.warehouse, [], [paid('u1'), paid('u5')]);
    s.setNow(NOW + 2000);
    // No delay: matched and planned in the same look; u5 is reachable by nothing (skipped).
    const tick = await triggerTick(s);
    expect(tick.planned).toEqual({ sent: 1, holdout: 0, skipped: 1 });
    // A look with nothing due writes nothing.
    s.setNow(NOW + 60_000);
    await triggerTick(s);
    expect(await entries(s.control, 'trigger.send')).toEqual([
      {
        actorId: null,
        action: 'trigger.send',
        objectType: 'campaign',
        objectId: c.id,
        details: { by: 'planner', sent: 1, holdout: 0, skipped: 1 },
      },
    ]);
  });
});
