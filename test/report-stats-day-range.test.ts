import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignDefinition } from '../src/core/campaigns/schema.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { insertCampaign } from '../src/storage/control/campaigns.ts';
import { appendMessageLog, type MessageLogEntry } from '../src/storage/control/message-log.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * The campaign report's by-day breakdown is computed on the server for the operator's range (issue
 * 18): days are Beijing days unless the console names another zone, every figure covers only the
 * messages sent in the range, and a wrong range is refused with the field and what was given. Real
 * PGlite + DuckDB through the HTTP API.
 */

const H = 3_600_000;
// Sends on both sides of Beijing midnight: u2's is 20 Nov in UTC but 21 Nov in Beijing.
const SENDS = [
  { u: 1, at: Date.UTC(2026, 10, 20, 4), channel: 'sms' }, // 20 Nov 12:00 Beijing
  { u: 2, at: Date.UTC(2026, 10, 20, 17), channel: 'sms' }, // 21 Nov 01:00 Beijing
  { u: 3, at: Date.UTC(2026, 10, 21, 2), channel: 'in_app' }, // 21 Nov 10:00 Beijing
  { u: 4, at: Date.UTC(2026, 10, 22, 3), channel: 'sms' }, // 22 Nov 11:00 Beijing
] as const;
const NOW = Date.UTC(2026, 10, 25, 4);
const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

let server: TestServer;
let token = '';

const get = async (path: string) => {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};
type Row = Record<string, number | string | null>;
const rowsOf = (j: Record<string, unknown>) => j['rows'] as Row[];

beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
  const { control, warehouse } = server.rt;
  const op = await createUser(control, { name: 'dora', role: 'operator' });
  if (!op.ok) throw new Error('user exists');
  token = await issueApiToken(control, op.value.id);
  await insertCampaign(control, {
    id: 'd1',
    workspaceId: 'default',
    name: 'd1',
    definition: {
      audienceId: 'aud',
      class: 'marketing',
      priority: 0,
      category: 'recall',
      channels: ['sms', 'in_app'],
      holdoutShare: 0,
      variants: [],
      goal: { event: 'order', withinDays: 3 },
    } as unknown as CampaignDefinition,
    ownerId: op.value.id,
    at: SENDS[0].at,
  });
  const entries: MessageLogEntry[] = [];
  for (const s of SENDS) {
    const key = `d1:r1:0:u${s.u}`;
    await control.query(
      `INSERT INTO outbox (idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class, variant,
         send_at, cost_cents, created_at) VALUES ($1, 'default', 'd1', 'r1', '0', $2, $3, 'marketing', NULL, $4, 5, $4)`,
      [key, `u${s.u}`, s.channel, new Date(s.at)],
    );
    entries.push({
      workspaceId: 'default',
      idempotencyKey: key,
      campaignId: 'd1',
      runId: 'r1',
      step: '0',
      variant: null,
      userId: `u${s.u}`,
      channel: s.channel,
      kind: 'sent',
      at: s.at,
      ...(s.channel === 'sms' ? { costCents: 5 } : {}),
    });
    if (s.channel === 'sms')
      entries.push({
        ...entries[entries.length - 1]!,
        kind: 'delivered',
        at: s.at + 60_000,
        costCents: undefined,
      });
  }
  // u3's in-app message is in the inbox, read.
  await control.query(
    `INSERT INTO inbox_messages (workspace_id, user_id, idempotency_key, campaign_id, title, body, created_at, read_at)
     VALUES ('default', 'u3', 'd1:r1:0:u3', 'd1', 't', 'b', $1, $2)`,
    [new Date(SENDS[2].at), new Date(SENDS[2].at + H)],
  );
  await appendMessageLog(control, entries);
  await shipFacts(control, warehouse, { clock: () => NOW });
  // u2 orders after its message (sent 21 Nov in Beijing).
  await warehouse.write(
    `INSERT INTO conversions VALUES ('o2', 'u2', 'order', CAST($1 AS TIMESTAMP), 80, 'd1:r1:0:u2', 'd1', 'r1', NULL,
       'sms', CAST($2 AS TIMESTAMP), CAST($1 AS TIMESTAMP))`,
    [ts(SENDS[1].at + 5 * H), ts(SENDS[1].at)],
  );
}, 120_000);

afterAll(async () => {
  await server.stop();
  server.cleanup();
});

describe('campaign stats by day, for a range of days', () => {
  it('groups by Beijing day by default and by the zone sent', async () => {
    const bj = await get('/v1/campaigns/d1/stats?by=day');
    expect(bj.status).toBe(200);
    expect(bj.json['range']).toBeNull();
    expect(rowsOf(bj.json).map((r) => [r['key'], r['sent']])).toEqual([
      ['2026-11-20', 1],
      ['2026-11-21', 2],
      ['2026-11-22', 1],
    ]);
    const utc = await get('/v1/campaigns/d1/stats?by=day&timeZone=UTC');
    expect(rowsOf(utc.json).map((r) => [r['key'], r['sent']])).toEqual([
      ['2026-11-20', 2],
      ['2026-11-21', 1],
      ['2026-11-22', 1],
    ]);
  });

  it('computes every figure for the range only', async () => {
    const r = await get('/v1/campaigns/d1/stats?by=day&from=2026-11-21&to=2026-11-21');
    expect(r.status).toBe(200);
    expect(r.json['range']).toEqual({ from: '2026-11-21', to: '2026-11-21', timeZone: 'Asia/Shanghai' });
    expect(rowsOf(r.json)).toEqual([
      expect.objectContaining({
        key: '2026-11-21',
        planned: 2,
        sent: 2,
        delivered: 1,
        users: 2,
        convertedUsers: 1,
        revenue: 80,
        messagesCostCents: 5,
        inAppStored: 1,
        inAppRead: 1,
      }),
    ]);
    expect(r.json['total']).toMatchObject({
      sent: 2,
      users: 2,
      convertedUsers: 1,
      revenue: 80,
      costCents: 5,
    });
    expect(r.json['inApp']).toEqual({ stored: 1, read: 1 });
    // The same range in UTC days: u1 and u2 (20 Nov), no in-app message, u2's order.
    const utc = await get('/v1/campaigns/d1/stats?by=day&from=2026-11-20&to=2026-11-20&timeZone=UTC');
    expect(rowsOf(utc.json).map((x) => [x['key'], x['sent'], x['revenue']])).toEqual([['2026-11-20', 2, 80]]);
    expect(utc.json['inApp']).toBeNull();
    // `to` left out: up to today; a range reads the other breakdowns too.
    const open = await get('/v1/campaigns/d1/stats?by=channel&from=2026-11-22');
    expect(rowsOf(open.json).map((x) => [x['key'], x['sent']])).toEqual([['sms', 1]]);
    expect(open.json['range']).toEqual({ from: '2026-11-22', to: '2026-11-25', timeZone: 'Asia/Shanghai' });
  });

  it('refuses a wrong range with the field and what was given', async () => {
    const after = await get('/v1/campaigns/d1/stats?by=day&from=2026-11-22&to=2026-11-21');
    expect(after.status).toBe(400);
    expect(after.json['error']).toBe('from (2026-11-22) is after to (2026-11-21)');
    const bad = await get('/v1/campaigns/d1/stats?by=day&from=2026-02-30&to=2026-11-21');
    expect(bad.status).toBe(400);
    expect(bad.json['error']).toBe("from must be a date (YYYY-MM-DD), got '2026-02-30'");
    const noFrom = await get('/v1/campaigns/d1/stats?by=day&to=2026-11-21');
    expect(noFrom.json['error']).toBe('from is required with to (a date, YYYY-MM-DD)');
    const zone = await get('/v1/campaigns/d1/stats?by=day&timeZone=Mars%2FOlympus');
    expect(zone.status).toBe(400);
    expect(zone.json['error']).toBe("timeZone unknown time zone 'Mars/Olympus'");
  });
});
