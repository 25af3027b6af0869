import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import type { RowAppender } from '../src/storage/warehouse/warehouse.ts';
import { postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Rows that today's ingestion would refuse, written straight into the DuckDB tables (as an older
 * version, a bulk import or a hand-run INSERT would have left them), must not break any read:
 * every audience, user page, score and export over them answers 2xx, and the other users are
 * still found exactly.
 */
const NOW = Date.UTC(2026, 10, 20, 12);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
/** Before JS Date's first instant (-271821-04-20T00:00:00Z): DuckDB holds it, a JS Date cannot. */
const BEFORE_JS_TIME = -8_640_000_000_000_000 - DAY;
const AFTER_JS_TIME = 8_640_000_000_000_000 + DAY;

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
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json')
    ? (JSON.parse(text) as Record<string, unknown>)
    : null;
  return { status: res.status, text, json };
};

/** An events row through the appender (no JSON validation, as ingestion writes it). */
const eventRow = (
  a: RowAppender,
  e: { id: string; user: string; ts: number; amount?: number; properties: string },
) => {
  a.varchar(e.id);
  a.varchar(e.user);
  a.varchar(null);
  a.varchar('order');
  a.timestamp(e.ts);
  a.timestamp(NOW - DAY);
  a.double(e.amount ?? null);
  for (let i = 0; i < 5; i++) a.varchar(null);
  a.varchar(e.properties);
  a.varchar('test-import');
  a.end();
};

/** A profiles row through the appender: user_id, register_time, …, traits, first_seen, updated_at. */
const profileRow = (a: RowAppender, p: { user: string; registerTime: number; traits: string }) => {
  a.varchar(p.user);
  a.timestamp(p.registerTime);
  a.varchar('organic'); // acquisition_channel
  a.varchar('Nowhere'); // city
  a.varchar(null); // timezone
  a.double(null); // balance
  a.varchar(null); // membership
  a.varchar('13800000009'); // phone
  a.varchar('bad@example.com'); // email
  a.varchar(null); // push_token
  for (let i = 0; i < 5; i++) a.varchar(null); // consents
  a.varchar(p.traits);
  // first_seen: seen 100 days ago, so the user exists now whatever its unreadable register_time says.
  a.timestamp(NOW - 100 * DAY);
  a.timestamp(AFTER_JS_TIME); // updated_at
  a.end();
};

beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
  const admin = await createUser(server.rt.control, { name: 'root', role: 'admin' });
  if (!admin.ok) throw new Error('admin exists');
  token = await issueApiToken(server.rt.control, admin.value.id);
  // Good users through ingestion: g1 and g3 ordered red things, g2 a blue one.
  const good = [
    ['g1', 'red', 'gold', 100],
    ['g2', 'blue', 'silver', 20],
    ['g3', 'red', 'silver', 30],
  ] as const;
  const batch = [
    ...good.map(([userId, , tier]) => ({
      type: 'identify',
      userId,
      timestamp: iso(NOW - 100 * DAY),
      traits: { createdAt: iso(NOW - 100 * DAY), city: 'Shanghai', tier },
    })),
    ...good.map(([userId, color, , price], i) => ({
      type: 'track',
      userId,
      event: 'order',
      messageId: `good-${i}`,
      timestamp: iso(NOW - 10 * DAY),
      properties: { amount: price, color, price },
    })),
  ];
  const r = await postJson(`${server.url}/v1/batch`, { batch });
  expect(r.json).toMatchObject({ accepted: batch.length, rejected: 0 });

  // Bad rows, straight into the tables.
  await server.rt.warehouse.transaction(async (tx) => {
    await tx.append('events', (a) => {
      // A lone surrogate escape: valid UTF-8, but JSON DuckDB refuses to parse.
      eventRow(a, {
        id: 'bad-1',
        user: 'b1',
        ts: NOW - 5 * DAY,
        amount: 10,
        properties: '{"color":"\\ud800","price":5}',
      });
      // Not JSON at all.
      eventRow(a, {
        id: 'bad-2',
        user: 'b2',
        ts: NOW - 5 * DAY,
        amount: 10,
        properties: '{"color":"red","pri',
      });
      // A time no JS Date holds, before and after.
      eventRow(a, { id: 'bad-3', user: 'b3', ts: BEFORE_JS_TIME, amount: 10, properties: '{"color":"red"}' });
      eventRow(a, { id: 'bad-4', user: 'b3', ts: AFTER_JS_TIME, amount: 10, properties: '{"color":"red"}' });
    });
    await tx.append('profiles', (a) => {
      profileRow(a, { user: 'b1', registerTime: BEFORE_JS_TIME, traits: '{"tier":"\\udc00gold"}' });
      profileRow(a, { user: 'b2', registerTime: AFTER_JS_TIME, traits: '{"tier":"gold"' });
      profileRow(a, { user: 'b3', registerTime: NOW - 100 * DAY, traits: '{"tier":"silver"}' });
    });
  });
});

afterAll(async () => {
  await server.stop();
  server.cleanup();
});

const RED_ORDER = { kind: 'did', event: 'order', where: [{ property: 'color', op: 'eq', value: 'red' }] };

const preview = async (definition: unknown) => {
  const r = await call('POST', '/v1/audiences/preview', { definition, sample: 100 });
  expect(r.status, r.text).toBe(200);
  const sample = r.json?.['sample'] as { userId: string; registerTime: string | null }[];
  return { count: r.json?.['count'], users: sample.map((s) => s.userId).sort(), sample };
};

describe('stored rows that ingestion would refuse never break reads', () => {
  it('filters on JSON properties: unreadable documents are "no value", the rest match exactly', async () => {
    // b3's red order at +275 760 years is after now; the one before JS time counts.
    expect(await preview(RED_ORDER)).toMatchObject({ count: 3, users: ['b3', 'g1', 'g3'] });
    expect(
      await preview({
        kind: 'not',
        child: { kind: 'did', event: 'order', where: [{ property: 'color', op: 'exists' }] },
      }),
    ).toMatchObject({ users: ['b1', 'b2'] });
    expect(
      await preview({
        kind: 'did',
        event: 'order',
        where: [{ property: 'color', op: 'contains', value: 're' }],
      }),
    ).toMatchObject({ users: ['b3', 'g1', 'g3'] });
    expect(
      await preview({ kind: 'metric', event: 'order', fn: 'sum', property: 'price', op: 'gte', value: 30 }),
    ).toMatchObject({ users: ['g1', 'g3'] });
    expect(
      await preview({
        kind: 'metric',
        event: 'order',
        fn: 'count_distinct',
        property: 'color',
        op: 'eq',
        value: 1,
      }),
    ).toMatchObject({ users: ['b3', 'g1', 'g2', 'g3'] });
    expect(await preview({ kind: 'attribute', attribute: 'tier', op: 'eq', value: 'gold' })).toMatchObject({
      users: ['g1'],
    });
  });

  it('answers "no time" for times no date-time can write, and still compares them in SQL', async () => {
    const r = await preview({
      kind: 'attribute',
      attribute: 'user_id',
      op: 'in',
      values: ['b1', 'b2', 'g1'],
    });
    const at = Object.fromEntries(r.sample.map((s) => [s.userId, s.registerTime]));
    expect(at).toEqual({
      b1: null,
      b2: null,
      g1: iso(NOW - 100 * DAY),
    });
    expect(
      await preview({ kind: 'attribute', attribute: 'register_time', op: 'before', time: '1900-01-01' }),
    ).toMatchObject({ users: ['b1'] });
    expect(
      await preview({ kind: 'first_time', event: 'order', op: 'before', time: '1900-01-01' }),
    ).toMatchObject({
      users: ['b3'],
    });
  });

  it('saved audiences: preview, snapshot, members and CSV export', async () => {
    const created = await call('POST', '/v1/audiences', { name: 'Red buyers', definition: RED_ORDER });
    expect(created.status, created.text).toBe(201);
    const id = created.json?.['id'] as string;
    const p = await call('GET', `/v1/audiences/${id}/preview?sample=100`);
    expect(p.status, p.text).toBe(200);
    expect(p.json?.['count']).toBe(3);
    const csv = await call('GET', `/v1/audiences/${id}/export.csv?columns=register_time,city`);
    expect(csv.status, csv.text).toBe(200);
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['b3', 'g1', 'g3']);
    const everyone = await call('POST', '/v1/audiences', {
      name: 'Everyone',
      definition: { kind: 'and', children: [] },
    });
    const all = await call(
      'GET',
      `/v1/audiences/${everyone.json?.['id'] as string}/export.csv?columns=register_time`,
    );
    expect(all.status, all.text).toBe(200);
    expect(all.text).toContain('b1,');
    expect(all.text.trim().split(/\r?\n/)).toHaveLength(7);
  });

  it('user pages of the bad users and of the good ones', async () => {
    for (const user of ['b1', 'b2', 'b3', 'g1']) {
      const r = await call('GET', `/v1/console/users/${user}`);
      expect(r.status, `${user}: ${r.text}`).toBe(200);
    }
    const b3 = await call('GET', '/v1/console/users/b3');
    expect(b3.json?.['events']).toEqual([
      expect.objectContaining({ event: 'order', ts: null, amount: 10 }),
      expect.objectContaining({ event: 'order', ts: null, amount: 10 }),
    ]);
    const b1 = await call('GET', '/v1/console/users/b1');
    expect(b1.json?.['profile']).toMatchObject({
      register_time: null,
      city: 'Nowhere',
      phone: '138****0009',
    });
    expect((await call('GET', '/v1/console/users/g1')).json?.['profile']).toMatchObject({ city: 'Shanghai' });
  });

  it('campaign previews for users whose stored traits are not JSON', async () => {
    const audience = await call('POST', '/v1/audiences', {
      name: 'All for campaigns',
      definition: { kind: 'and', children: [] },
    });
    const campaign = await call('POST', '/v1/campaigns', {
      name: 'Hello',
      definition: {
        audienceId: audience.json?.['id'],
        timing: { kind: 'periodic', cron: '0 9 * * *', timezone: 'Asia/Shanghai' },
        channels: ['push'],
        content: [
          { channel: 'push', title: 'Hi {{ user.city }}', body: 'Back', landingUrl: 'https://example.com/a' },
        ],
        priority: 60,
        budgetCents: 50_000,
      },
    });
    expect(campaign.status, campaign.text).toBe(201);
    for (const userId of ['b1', 'b2', 'g1']) {
      const r = await call('POST', `/v1/campaigns/${campaign.json?.['id'] as string}/preview`, { userId });
      expect(r.status, `${userId}: ${r.text}`).toBe(200);
    }
  });

  it('scores, their summary, the churn analysis and the console charts', async () => {
    const run = await call('POST', '/v1/scores/compute', {});
    expect(run.status, run.text).toBe(200);
    for (const path of [
      '/v1/scores/summary',
      '/v1/analysis/churn-structure',
      '/v1/console/activity',
      '/v1/console/risk',
      '/v1/console/funnel',
    ]) {
      const r = await call('GET', path);
      expect(r.status, `${path}: ${r.text}`).toBe(200);
    }
    const stage = await preview({ kind: 'score', score: 'lifecycle_stage', op: 'exists' });
    expect(stage.users).toEqual(expect.arrayContaining(['g1', 'g2', 'g3']));
  });
});
