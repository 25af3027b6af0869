import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canOnCampaign, ROLES, type Actor, type CampaignAction, type Role } from '../src/core/auth/roles.ts';
import { nextStatus, type LifecycleAction } from '../src/core/campaigns/lifecycle.ts';
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../src/core/campaigns/schema.ts';
import { auditFor } from '../src/storage/control/audit-log.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Campaigns (features.md D1, D2, D7): the lifecycle as a pure state machine, the review rules for
 * each role × each action, and the API end to end on PGlite and PostgreSQL with a fixed clock.
 */

const NOW = Date.UTC(2026, 10, 20, 3, 30); // 11:30 in Shanghai

describe('campaign lifecycle', () => {
  const periodic = { kind: 'periodic' } as const;
  const at = (status: CampaignStatus, approvedVersion: number | null = 1, version = 1) => ({
    status,
    approvedVersion,
    version,
  });
  const table = (action: LifecycleAction) =>
    Object.fromEntries(
      CAMPAIGN_STATUSES.map((s) => {
        const r = nextStatus(at(s), action, periodic);
        return [s, r.ok ? r.value : 'refused'];
      }),
    );

  it('moves through review to scheduled, and back to review on any edit after approval', () => {
    expect(table('update')).toEqual({
      draft: 'draft',
      pending_review: 'pending_review',
      approved: 'pending_review',
      scheduled: 'pending_review',
      running: 'refused',
      paused: 'pending_review',
      finished: 'refused',
      cancelled: 'refused',
    });
    expect(table('submit')).toMatchObject({
      draft: 'pending_review',
      pending_review: 'refused',
      scheduled: 'refused',
    });
    expect(table('approve')).toMatchObject({
      pending_review: 'approved',
      draft: 'refused',
      approved: 'refused',
    });
    expect(table('reject')).toMatchObject({ pending_review: 'draft', scheduled: 'refused' });
    expect(table('pause')).toMatchObject({ scheduled: 'paused', running: 'paused', draft: 'refused' });
    expect(table('cancel')).toMatchObject({ draft: 'cancelled', running: 'cancelled', finished: 'refused' });
    expect(nextStatus(at('approved'), 'schedule', periodic)).toEqual({ ok: true, value: 'scheduled' });
    expect(nextStatus(at('approved'), 'schedule', { kind: 'triggered' })).toEqual({
      ok: true,
      value: 'running',
    });
  });

  it('refuses to resume a paused campaign edited since its approval', () => {
    expect(nextStatus(at('paused', 1, 1), 'resume', periodic)).toEqual({ ok: true, value: 'scheduled' });
    expect(nextStatus(at('paused', 1, 2), 'resume', periodic)).toEqual({
      ok: false,
      error: 'the campaign was edited since it was approved; submit it for review',
    });
    expect(nextStatus(at('running'), 'update', periodic)).toEqual({
      ok: false,
      error: 'a running campaign cannot be edited; pause it first',
    });
  });
});

describe('campaign permissions, each role × each action', () => {
  const actor = (role: Role, userId: number): Actor => ({ userId, workspaceId: 'default', name: role, role });
  // Someone else's campaign (owner 99, submitted by 99).
  const theirs = { ownerId: 99, submittedBy: 99 };
  const expected: Record<CampaignAction, Role[]> = {
    'campaign.read': ['admin', 'reviewer', 'operator', 'viewer'],
    'campaign.create': ['admin', 'operator'],
    'campaign.update': ['admin'],
    'campaign.submit': ['admin'],
    'campaign.approve': ['admin', 'reviewer'],
    'campaign.reject': ['admin', 'reviewer'],
    'campaign.pause': ['admin', 'reviewer'],
    'campaign.resume': ['admin'],
    'campaign.cancel': ['admin'],
    'campaign.estimate': ['admin', 'reviewer', 'operator'],
    'planner.run': ['admin', 'operator'],
    'offer.redeem': ['admin', 'operator'],
    'planner.configure': ['admin'],
  };
  for (const [action, roles] of Object.entries(expected) as [CampaignAction, Role[]][]) {
    it(`${action} on someone else's campaign: ${roles.join(', ')}`, () => {
      const allowed = ROLES.filter((r) => canOnCampaign(actor(r, 1), action, theirs).allowed);
      expect(allowed.sort()).toEqual([...roles].sort());
    });
  }
  it('operators may edit, submit, pause, resume and cancel their own; nobody reviews their own', () => {
    const mine = { ownerId: 1, submittedBy: 1 };
    for (const a of [
      'campaign.update',
      'campaign.submit',
      'campaign.pause',
      'campaign.resume',
      'campaign.cancel',
    ] as const)
      expect(canOnCampaign(actor('operator', 1), a, mine).allowed).toBe(true);
    for (const role of ['admin', 'reviewer'] as const) {
      expect(canOnCampaign(actor(role, 1), 'campaign.approve', mine)).toEqual({
        allowed: false,
        reason: 'nobody may review a campaign they created or submitted',
      });
      // Submitted by someone else but created by the reviewer: still their own.
      expect(canOnCampaign(actor(role, 1), 'campaign.reject', { ownerId: 1, submittedBy: 2 }).allowed).toBe(
        false,
      );
      expect(canOnCampaign(actor(role, 1), 'campaign.approve', { ownerId: 2, submittedBy: 1 }).allowed).toBe(
        false,
      );
    }
  });
});

const backends = {
  pglite: () => ({}),
  postgres: () => ({
    config: { databaseUrl: inject('postgresUrl') },
    controlSchema: `cmp_${randomBytes(4).toString('hex')}`,
  }),
};

describe.each(Object.entries(backends))('campaign API on %s', (_name, backend) => {
  let server: TestServer;
  const tokens: Record<string, string> = {};
  const ids: Record<string, number> = {};
  let audienceId = '';

  beforeAll(async () => {
    server = await startTestServer({ clock: () => NOW, ...backend() });
    for (const [name, role] of [
      ['olga', 'operator'],
      ['oleg', 'operator'],
      ['rita', 'reviewer'],
      ['adam', 'admin'],
      ['vic', 'viewer'],
    ] as const) {
      const u = await createUser(server.rt.control, { name, role });
      if (!u.ok) throw new Error('user exists');
      ids[name] = u.value.id;
      tokens[name] = await issueApiToken(server.rt.control, u.value.id);
    }
    const aud = await call('olga', 'POST', '/v1/audiences', {
      name: 'Drifting buyers',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    if (aud.status !== 201) throw new Error(JSON.stringify(aud.json));
    audienceId = String(aud.json['id']);
  }, 60_000);
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  const call = async (who: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens[who] ?? ''}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };

  const definition = (over: Record<string, unknown> = {}) => ({
    audienceId,
    timing: { kind: 'periodic', cron: '0 9 * * *', timezone: 'Asia/Shanghai' },
    channels: ['push', 'sms'],
    content: [
      {
        channel: 'push',
        title: '{{ user.city }} 专属好礼',
        body: '回来看看',
        landingUrl: 'https://example.com/a',
      },
      { channel: 'sms', text: '您的专属券已到账 https://example.com/a 回T退订', signature: '【Rekindle】' },
    ],
    priority: 60,
    budgetCents: 500_00,
    variants: [
      { id: 'A', weight: 1 },
      { id: 'B', weight: 1 },
    ],
    ...over,
  });

  it('refuses invalid campaigns with the path of every problem', async () => {
    const bad = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Bad',
      definition: definition({
        audienceId: 'aud_missing',
        timing: { kind: 'periodic', cron: '0 25 * * *', timezone: 'Mars/Olympus' },
      }),
    });
    expect(bad.status).toBe(400);
    expect(bad.json['errors']).toEqual([
      { path: 'definition.timing.timezone', message: "unknown time zone 'Mars/Olympus'" },
    ]);
    const cron = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Bad',
      definition: definition({ timing: { kind: 'periodic', cron: '0 25 * * *', timezone: 'Asia/Shanghai' } }),
    });
    expect(cron.status).toBe(400);
    expect((cron.json['errors'] as { path: string }[])[0]?.path).toBe('definition.timing.cron');
    const noContent = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Bad',
      definition: definition({ channels: ['push', 'sms', 'email'] }),
    });
    expect(noContent.json['errors']).toEqual([
      { path: 'definition.channels[2]', message: "no content for channel 'email'" },
    ]);
    const noAudience = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Bad',
      definition: definition({ audienceId: 'aud_missing' }),
    });
    expect(noAudience.json['errors']).toEqual([
      { path: 'definition.audienceId', message: "no saved audience 'aud_missing'" },
    ]);
    const schema = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Bad',
      definition: definition({ holdoutShare: 0.9 }),
    });
    expect(schema.status).toBe(400);
    expect(JSON.stringify(schema.json['errors'])).toContain('holdoutShare');
    expect(
      (await call('vic', 'POST', '/v1/campaigns', { name: 'Nope', definition: definition() })).status,
    ).toBe(403);
  });

  it('goes draft → review → scheduled with four eyes, back to review on edit, audited', async () => {
    const created = await call('olga', 'POST', '/v1/campaigns', {
      name: 'Win back drifting buyers',
      definition: definition(),
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      status: 'draft',
      version: 1,
      owner: { name: 'olga' },
      nextSlotAt: null,
    });
    expect(created.json['definition']).toMatchObject({
      class: 'marketing',
      holdoutShare: 0.1,
      outsideWindow: 'hold',
    });
    const id = String(created.json['id']);

    expect(
      (await call('oleg', 'PATCH', `/v1/campaigns/${id}`, { version: 1, name: 'Mine now' })).status,
    ).toBe(403);
    const edited = await call('olga', 'PATCH', `/v1/campaigns/${id}`, {
      version: 1,
      definition: definition({ priority: 70 }),
    });
    expect(edited.json).toMatchObject({ status: 'draft', version: 2 });
    expect((await call('olga', 'PATCH', `/v1/campaigns/${id}`, { version: 1, name: 'Stale' })).status).toBe(
      409,
    );

    expect((await call('olga', 'POST', `/v1/campaigns/${id}/submit`, { version: 2 })).json).toMatchObject({
      status: 'pending_review',
      submittedBy: ids['olga'],
    });
    // Operators do not review; the reviewer must name the version they saw.
    expect(
      (await call('olga', 'POST', `/v1/campaigns/${id}/review`, { decision: 'approve', version: 2 })).status,
    ).toBe(403);
    expect(
      (await call('rita', 'POST', `/v1/campaigns/${id}/review`, { decision: 'approve', version: 1 })).status,
    ).toBe(409);
    const approved = await call('rita', 'POST', `/v1/campaigns/${id}/review`, {
      decision: 'approve',
      version: 2,
    });
    expect(approved.status).toBe(200);
    // Next 09:00 in Shanghai after 11:30 local on 20 November: 21 November 01:00 UTC.
    expect(approved.json).toMatchObject({
      status: 'scheduled',
      approvedBy: ids['rita'],
      approvedVersion: 2,
      nextSlotAt: '2026-11-21T01:00:00.000Z',
    });

    // Any edit after approval sends it back to review and takes it off the schedule.
    const reedited = await call('olga', 'PATCH', `/v1/campaigns/${id}`, {
      version: 2,
      definition: definition({ holdoutShare: 0.2 }),
    });
    expect(reedited.json).toMatchObject({ status: 'pending_review', version: 3, nextSlotAt: null });
    expect(
      (await call('rita', 'POST', `/v1/campaigns/${id}/review`, { decision: 'reject', version: 3 })).status,
    ).toBe(400);
    const rejected = await call('rita', 'POST', `/v1/campaigns/${id}/review`, {
      decision: 'reject',
      version: 3,
      note: '20% holdout is too large for this audience',
    });
    expect(rejected.json).toMatchObject({ status: 'draft' });
    await call('olga', 'POST', `/v1/campaigns/${id}/submit`, {});
    expect(
      (await call('adam', 'POST', `/v1/campaigns/${id}/review`, { decision: 'approve', version: 3 })).json,
    ).toMatchObject({
      status: 'scheduled',
      approvedBy: ids['adam'],
    });

    // Reviewers may pause; operators other than the owner may not; resuming restores the slot.
    expect((await call('oleg', 'POST', `/v1/campaigns/${id}/pause`)).status).toBe(403);
    expect((await call('rita', 'POST', `/v1/campaigns/${id}/pause`)).json).toMatchObject({
      status: 'paused',
      nextSlotAt: null,
    });
    expect((await call('olga', 'POST', `/v1/campaigns/${id}/resume`)).json).toMatchObject({
      status: 'scheduled',
      nextSlotAt: '2026-11-21T01:00:00.000Z',
    });
    expect((await call('olga', 'POST', `/v1/campaigns/${id}/cancel`)).json).toMatchObject({
      status: 'cancelled',
    });
    const after = await call('olga', 'PATCH', `/v1/campaigns/${id}`, { version: 3, name: 'Too late' });
    expect(after).toMatchObject({ status: 409, json: { error: 'a cancelled campaign cannot be edited' } });

    const detail = await call('vic', 'GET', `/v1/campaigns/${id}`);
    expect(
      (detail.json['reviews'] as { decision: string; version: number; reviewer: { name: string } }[]).map(
        (r) => [r.decision, r.version, r.reviewer.name],
      ),
    ).toEqual([
      ['approve', 2, 'rita'],
      ['reject', 3, 'rita'],
      ['approve', 3, 'adam'],
    ]);
    const trail = (await auditFor(server.rt.control, 'default', 'campaign', id)).map((e) => e.action);
    expect(trail).toEqual([
      'campaign.create',
      'campaign.update',
      'campaign.submit',
      'campaign.approve',
      'campaign.update',
      'campaign.reject',
      'campaign.submit',
      'campaign.approve',
      'campaign.pause',
      'campaign.resume',
      'campaign.cancel',
    ]);
  });

  it('never lets the author approve, admins included; lists by status', async () => {
    const c = await call('adam', 'POST', '/v1/campaigns', {
      name: 'Admin’s own',
      definition: definition({ timing: { kind: 'one_off', at: '2026-11-19T00:00:00Z' } }),
    });
    const id = String(c.json['id']);
    await call('adam', 'POST', `/v1/campaigns/${id}/submit`, { version: 1 });
    const own = await call('adam', 'POST', `/v1/campaigns/${id}/review`, { decision: 'approve', version: 1 });
    expect(own).toMatchObject({
      status: 403,
      json: { error: 'nobody may review a campaign they created or submitted' },
    });
    // A one-off whose time has passed is due at once.
    const ok = await call('rita', 'POST', `/v1/campaigns/${id}/review`, { decision: 'approve', version: 1 });
    expect(ok.json).toMatchObject({ status: 'scheduled', nextSlotAt: '2026-11-19T00:00:00.000Z' });
    const listed = await call('vic', 'GET', '/v1/campaigns?status=scheduled');
    expect((listed.json['campaigns'] as { id: string }[]).map((x) => x.id)).toContain(id);
    expect((await call('vic', 'GET', '/v1/campaigns?status=bogus')).status).toBe(400);
  });
});
