import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignDefinition } from '../src/core/campaigns/schema.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { periodRange } from '../src/reports/period-range.ts';
import { insertCampaign } from '../src/storage/control/campaigns.ts';
import { appendMessageLog, type MessageLogEntry } from '../src/storage/control/message-log.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * The period view includes the days picked, today among them (issue 18: a range ending today
 * ended at today 00:00 and hid today's sends). The clock is injected: "now" is 7 December 2026,
 * 15:00 UTC.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TODAY = Date.UTC(2026, 11, 7);
const NOW = TODAY + 15 * HOUR;

describe('periodRange (pure)', () => {
  it('reads a day given as `to` as the whole day: the range ends at the next day’s start', () => {
    expect(periodRange({ from: '2026-12-01', to: '2026-12-07' }, NOW)).toEqual({
      ok: true,
      value: { fromMs: Date.UTC(2026, 11, 1), toMs: Date.UTC(2026, 11, 8) },
    });
    // One day picked: that day, whole.
    expect(periodRange({ from: '2026-12-07', to: '2026-12-07' }, NOW)).toEqual({
      ok: true,
      value: { fromMs: TODAY, toMs: TODAY + DAY },
    });
  });

  it('without `to` runs up to now (the injected clock)', () => {
    expect(periodRange({ from: '2026-12-07' }, NOW)).toEqual({
      ok: true,
      value: { fromMs: TODAY, toMs: NOW },
    });
  });

  it('takes instants as they are', () => {
    const r = periodRange({ from: '2026-12-01T00:00:00Z', to: '2026-12-07T00:00:00Z' }, NOW);
    expect(r).toEqual({ ok: true, value: { fromMs: Date.UTC(2026, 11, 1), toMs: TODAY } });
  });

  it("reads days in the operator's time zone", () => {
    // Shanghai is UTC+8: 7 December there runs from 6 December 16:00 UTC to 7 December 16:00 UTC.
    expect(periodRange({ from: '2026-12-07', to: '2026-12-07', timeZone: 'Asia/Shanghai' }, NOW)).toEqual({
      ok: true,
      value: { fromMs: TODAY - 8 * HOUR, toMs: TODAY + 16 * HOUR },
    });
    // A day the clocks go forward (New York, 8 March 2026) has 23 hours.
    const r = periodRange({ from: '2026-03-08', to: '2026-03-08', timeZone: 'America/New_York' }, NOW);
    expect(r.ok && r.value.toMs - r.value.fromMs).toBe(23 * HOUR);
  });

  it('says which field is wrong', () => {
    expect(periodRange({ from: 'yesterday', to: '2026-12-07' }, NOW)).toEqual({
      ok: false,
      error: [{ path: 'from', message: 'must be a day (YYYY-MM-DD) or an ISO-8601 instant' }],
    });
    expect(periodRange({ from: '2026-02-30', to: '2026-12-07' }, NOW).ok).toBe(false);
    expect(periodRange({ from: '2026-12-07', to: '2026-12-06' }, NOW)).toEqual({
      ok: false,
      error: [{ path: 'to', message: 'must be after from' }],
    });
    expect(periodRange({ from: '2026-12-07', timeZone: 'Mars/Olympus' }, NOW)).toMatchObject({
      ok: false,
      error: [{ path: 'timeZone' }],
    });
  });
});

describe('GET /v1/reports/period with days', () => {
  let server: TestServer;
  let token = '';
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const sent = (u: string, at: number): MessageLogEntry => ({
    workspaceId: 'default',
    idempotencyKey: `c1:r1:0:${u}`,
    campaignId: 'c1',
    runId: 'r1',
    step: '0',
    variant: null,
    userId: u,
    channel: 'push',
    kind: 'sent',
    at,
    costCents: 10,
  });

  beforeAll(async () => {
    server = await startTestServer({ clock: () => NOW });
    const { control, warehouse } = server.rt;
    const op = await createUser(control, { name: 'olga', role: 'operator' });
    if (!op.ok) throw new Error('user exists');
    token = await issueApiToken(control, op.value.id);
    await insertCampaign(control, {
      id: 'c1',
      workspaceId: 'default',
      name: 'Push today',
      definition: {
        audienceId: 'aud',
        class: 'marketing',
        priority: 0,
        category: 'recall',
        channels: ['push'],
        holdoutShare: 0,
        goal: { event: 'order', withinDays: 3 },
      } as unknown as CampaignDefinition,
      ownerId: op.value.id,
      at: TODAY - 10 * DAY,
    });
    await control.query(
      `INSERT INTO campaign_runs (id, campaign_id, slot_at, planned_at, members, messages, holdout, skipped, spend_cents)
       VALUES ('r1', 'c1', $1, $1, 0, 0, 0, 0, 0)`,
      [new Date(TODAY - DAY)],
    );
    // Yesterday 10:00 UTC, today 09:00 UTC, and 6 December 20:00 UTC (7 December 04:00 in Shanghai).
    const entries = [
      sent('u1', TODAY - 14 * HOUR),
      sent('u2', TODAY + 9 * HOUR),
      sent('u3', TODAY - 4 * HOUR),
    ];
    await appendMessageLog(control, entries);
    expect((await shipFacts(control, warehouse, { clock: () => NOW })).shipped).toBe(entries.length);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('a range ending today includes what was sent today, at its price in fen', async () => {
    const r = await get('/v1/reports/period?from=2026-12-06&to=2026-12-07');
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({
      from: '2026-12-06T00:00:00.000Z',
      to: '2026-12-08T00:00:00.000Z',
      sent: 3,
      messagesCostCents: 30,
      costCents: 30,
    });
    // Today alone: the one message sent today.
    const today = await get('/v1/reports/period?from=2026-12-07&to=2026-12-07');
    expect(today.json).toMatchObject({ sent: 1, costCents: 10 });
    // The old reading (an instant at today 00:00) leaves today out: the difference this fixes.
    const old = await get('/v1/reports/period?from=2026-12-06&to=2026-12-07T00:00:00Z');
    expect(old.json).toMatchObject({ sent: 2 });
  });

  it('without `to` runs up to now, and reads days in the time zone asked for', async () => {
    expect((await get('/v1/reports/period?from=2026-12-07')).json).toMatchObject({
      to: new Date(NOW).toISOString(),
      sent: 1,
    });
    const shanghai = await get('/v1/reports/period?from=2026-12-07&to=2026-12-07&timeZone=Asia/Shanghai');
    expect(shanghai.json).toMatchObject({ from: '2026-12-06T16:00:00.000Z', sent: 2, costCents: 20 });
  });

  it('refuses a bad range with the field named', async () => {
    const r = await get('/v1/reports/period?from=2026-12-07&to=2026-12-01');
    expect(r.status).toBe(400);
    expect(r.json['errors']).toEqual([{ path: 'to', message: 'must be after from' }]);
  });
});
