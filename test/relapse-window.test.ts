import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignDefinition } from '../src/core/campaigns/schema.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { sweepRelapses } from '../src/reports/relapse-sweep.ts';
import { insertCampaign } from '../src/storage/control/campaigns.ts';
import { appendMessageLog, type MessageLogEntry } from '../src/storage/control/message-log.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Relapse (features.md G7) on real PGlite + DuckDB with an injected clock: the window is the
 * workspace's setting (scoring configuration `relapse.silentDays`), the relapse view counts
 * recalled users by campaign, and only the users' own events count as activity — events Rekindle
 * writes (`tier_changed`, `recall_relapsed`) neither break a silence nor show as retention.
 *
 * Campaign c1 messages u1, u2 at T0 and u3 at T0 + 25 d; each orders a day later (converted).
 * u1 opens the app 4 days after converting; u2 only gets `tier_changed` from scoring; u3 is
 * silent. Now is T0 + 40 d.
 */

const T0 = Date.UTC(2026, 10, 2, 4); // 12:00 Shanghai
const DAY = 86_400_000;
const NOW = T0 + 40 * DAY;
const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

let server: TestServer;
let token = '';
let adminToken = '';

const sent = (u: string, at: number): MessageLogEntry => ({
  workspaceId: 'default',
  idempotencyKey: `c1:r1:0:${u}`,
  campaignId: 'c1',
  runId: 'r1',
  step: '0',
  variant: null,
  userId: u,
  channel: 'sms',
  kind: 'sent',
  at,
  costCents: 5,
});

beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
  const { control, warehouse } = server.rt;
  const op = await createUser(control, { name: 'olga', role: 'operator' });
  const admin = await createUser(control, { name: 'ada', role: 'admin' });
  if (!op.ok || !admin.ok) throw new Error('user exists');
  token = await issueApiToken(control, op.value.id);
  adminToken = await issueApiToken(control, admin.value.id);
  await insertCampaign(control, {
    id: 'c1',
    workspaceId: 'default',
    name: '回流召回',
    definition: {
      audienceId: 'aud',
      class: 'marketing',
      priority: 0,
      category: 'recall',
      channels: ['sms'],
      goal: { event: 'order', withinDays: 3 },
    } as unknown as CampaignDefinition,
    ownerId: op.value.id,
    at: T0,
  });
  await control.query(`UPDATE campaigns SET status = 'running' WHERE id = 'c1'`);
  await control.query(
    `INSERT INTO campaign_runs (id, campaign_id, slot_at, planned_at, members, messages, holdout, skipped, spend_cents)
     VALUES ('r1', 'c1', $1, $1, 3, 3, 0, 0, 15)`,
    [new Date(T0)],
  );
  for (const [u, at] of [
    ['u1', T0],
    ['u2', T0],
    ['u3', T0 + 25 * DAY],
  ] as const)
    await control.query(
      `INSERT INTO outbox (idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class, variant,
         send_at, cost_cents, created_at) VALUES ($1, 'default', 'c1', 'r1', '0', $2, 'sms', 'marketing', NULL, $3, 5, $3)`,
      [`c1:r1:0:${u}`, u, new Date(at)],
    );
  const entries = [sent('u1', T0), sent('u2', T0), sent('u3', T0 + 25 * DAY)];
  await appendMessageLog(control, entries);
  expect((await shipFacts(control, warehouse, { clock: () => NOW })).shipped).toBe(3);
  const ev = (id: string, user: string, event: string, at: number, source = 'http') =>
    warehouse.write(
      `INSERT INTO events (message_id, user_id, event, ts, received_at, amount, properties, source)
       VALUES ($1, $2, $3, CAST($4 AS TIMESTAMP), CAST($4 AS TIMESTAMP), NULL, '{}', $5)`,
      [id, user, event, ts(at), source],
    );
  await ev('o1', 'u1', 'order', T0 + DAY);
  await ev('o2', 'u2', 'order', T0 + DAY);
  await ev('o3', 'u3', 'order', T0 + 26 * DAY);
  await ev('a1', 'u1', 'app_open', T0 + 5 * DAY);
  // Scoring writes a tier change for u2 (source 'scores'): not something u2 did.
  await ev('tier:u2', 'u2', 'tier_changed', T0 + 3 * DAY, 'scores');
}, 120_000);

afterAll(async () => {
  await server.stop();
  server.cleanup();
});

const relapsedEvents = () =>
  server.rt.warehouse.query<{ message_id: string; ts: Date; days: string }>(
    `SELECT message_id, ts, json_extract_string(properties, '$.silentDays') AS days FROM events
      WHERE event = 'recall_relapsed' ORDER BY message_id`,
  );

describe('relapse and the north star count only the users’ own events', () => {
  it('a user with only Rekindle’s events after converting relapses; the retention curve shows them lost', async () => {
    expect(await sweepRelapses(server.rt)).toBe(1);
    expect(await relapsedEvents()).toEqual([
      { message_id: 'relapse:c1:u2', ts: new Date(T0 + 31 * DAY), days: '30' },
    ]);
    const r = await apiCall(server.url, token, 'GET', '/v1/reports/north-star?campaignId=c1');
    expect(r.status).toBe(200);
    const recalled = r.json['recalled'] as { users: number; retention: number[] };
    expect(recalled.users).toBe(3);
    // Only u1 (app_open 4 days after converting) is active, in week 1; u2's tier_changed (week 1)
    // and recall_relapsed (week 5) are not activity.
    expect(recalled.retention).toEqual([1 / 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('the relapse window is a workspace setting, with a view', () => {
  it('the default window is 30 days: counts by campaign, watched and relapsed users', async () => {
    const r = await apiCall(server.url, token, 'GET', '/v1/reports/relapse');
    expect(r.status).toBe(200);
    expect(r.json['silentDays']).toBe(30);
    expect(r.json['campaigns']).toEqual([
      {
        campaignId: 'c1',
        name: '回流召回',
        recalled: 3,
        retained: 1,
        watching: 1,
        relapsed: 1,
        relapseRate: 0.5,
      },
    ]);
    expect(r.json['users']).toEqual([
      {
        campaignId: 'c1',
        userId: 'u3',
        status: 'watching',
        convertedAt: new Date(T0 + 26 * DAY).toISOString(),
        windowEndsAt: new Date(T0 + 56 * DAY).toISOString(),
        lastActiveAt: null,
      },
      {
        campaignId: 'c1',
        userId: 'u2',
        status: 'relapsed',
        convertedAt: new Date(T0 + DAY).toISOString(),
        windowEndsAt: new Date(T0 + 31 * DAY).toISOString(),
        lastActiveAt: null,
      },
    ]);
    const only = await apiCall(server.url, token, 'GET', '/v1/reports/relapse?status=relapsed&campaignId=c1');
    expect((only.json['users'] as { userId: string }[]).map((u) => u.userId)).toEqual(['u2']);
    expect((await apiCall(server.url, token, 'GET', '/v1/reports/relapse?campaignId=nope')).status).toBe(404);
  });

  it('an admin sets 10 days: u3 relapses now, the sweep marks them with the new window', async () => {
    const cur = await apiCall(server.url, adminToken, 'GET', '/v1/scores/config');
    const config = cur.json['config'] as Record<string, unknown>;
    expect(config['relapse']).toEqual({ silentDays: 30 });
    const bad = await apiCall(server.url, adminToken, 'PUT', '/v1/scores/config', {
      version: cur.json['version'],
      config: { ...config, relapse: { silentDays: 0 } },
    });
    expect(bad.status).toBe(400);
    const put = await apiCall(server.url, adminToken, 'PUT', '/v1/scores/config', {
      version: cur.json['version'],
      config: { ...config, relapse: { silentDays: 10 } },
    });
    expect(put.status).toBe(200);
    const r = await apiCall(server.url, token, 'GET', '/v1/reports/relapse');
    expect(r.json['silentDays']).toBe(10);
    expect(r.json['campaigns']).toMatchObject([{ recalled: 3, retained: 1, watching: 0, relapsed: 2 }]);
    expect(await sweepRelapses(server.rt)).toBe(1);
    expect(await sweepRelapses(server.rt)).toBe(0);
    expect(await relapsedEvents()).toEqual([
      { message_id: 'relapse:c1:u2', ts: new Date(T0 + 31 * DAY), days: '30' },
      { message_id: 'relapse:c1:u3', ts: new Date(T0 + 36 * DAY), days: '10' },
    ]);
  });
});
