import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/core/clock.ts';
import { postJson, startTestServer, TEST_WRITE_KEY, type TestServer } from './support/runtime.ts';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
let server: TestServer | undefined;

afterEach(async () => {
  await server?.stop();
  server?.cleanup();
  server = undefined;
});

const start = async () => {
  server = await startTestServer({ clock: fixedClock(NOW) });
  return server;
};

const count = async (s: TestServer, sql: string, params: (string | number)[] = []) =>
  Number(await s.rt.warehouse.scalar(sql, params));

describe('Segment-spec ingestion over HTTP', () => {
  it('stores a track call with typed columns and JSON properties', async () => {
    const s = await start();
    const r = await postJson(`${s.url}/v1/track`, {
      userId: 'u1',
      event: 'order',
      messageId: 'm-1',
      timestamp: '2026-11-19T08:30:00.000Z',
      properties: { amount: 129.5, currency: 'CNY', order_id: 'o-9', category: 'shoes', coupon: 'WELCOME' },
      context: { device: { type: 'ios' } },
    });
    expect(r).toMatchObject({ status: 200, json: { success: true, accepted: 1, rejected: 0 } });
    const rows = await s.rt.warehouse.query<Record<string, unknown>>(
      `SELECT user_id, event, ts, received_at, amount, currency, order_id, category, platform, properties->>'coupon' AS coupon, source FROM events`,
    );
    expect(rows).toEqual([
      {
        user_id: 'u1',
        event: 'order',
        ts: new Date('2026-11-19T08:30:00.000Z'),
        received_at: new Date(NOW),
        amount: 129.5,
        currency: 'CNY',
        order_id: 'o-9',
        category: 'shoes',
        platform: 'ios',
        coupon: 'WELCOME',
        source: 'http',
      },
    ]);
  });

  it('merges identify traits into the profile and keeps every change in the history', async () => {
    const s = await start();
    const first = await postJson(`${s.url}/v1/identify`, {
      userId: 'u7',
      timestamp: '2026-11-01T00:00:00Z',
      traits: {
        createdAt: '2026-01-05T02:00:00Z',
        balance: 300,
        timezone: 'Asia/Shanghai',
        phone: '138 0013 8000',
        vip: true,
      },
    });
    expect(first.status).toBe(200);
    await postJson(`${s.url}/v1/identify`, {
      userId: 'u7',
      timestamp: '2026-11-10T00:00:00Z',
      traits: { balance: 40 },
    });
    // A late, older call must not overwrite the newer balance.
    await postJson(`${s.url}/v1/identify`, {
      userId: 'u7',
      timestamp: '2026-10-01T00:00:00Z',
      traits: { balance: 999, city: 'Hangzhou' },
    });
    const [p] = await s.rt.warehouse.query<Record<string, unknown>>(
      `SELECT balance, city, timezone, phone, register_time, traits->>'vip' AS vip FROM profiles WHERE user_id = 'u7'`,
    );
    expect(p).toEqual({
      balance: 40,
      city: 'Hangzhou',
      timezone: 'Asia/Shanghai',
      phone: '+8613800138000',
      register_time: new Date('2026-01-05T02:00:00Z'),
      vip: 'true',
    });
    const balanceAt = await s.rt.warehouse.query<{ value: string }>(
      `SELECT value FROM profile_history WHERE user_id = 'u7' AND attribute = 'balance' AND valid_from <= $1::TIMESTAMP
       ORDER BY valid_from DESC LIMIT 1`,
      ['2026-11-05T00:00:00'],
    );
    expect(balanceAt).toEqual([{ value: '300' }]);
  });

  it('stores the valid records of a batch and names each bad one by index, field and reason', async () => {
    const s = await start();
    const r = await postJson(`${s.url}/v1/batch`, {
      batch: [
        { type: 'track', userId: 'a', event: 'login', messageId: 'b-0' },
        { type: 'track', userId: 'b', event: 'order', properties: { amount: 'lots' } },
        { type: 'identify', userId: 'c', traits: { timezone: 'Mars/Olympus', email: 'c@example.com' } },
        { type: 'track', event: 'login' },
        { type: 'merge', userId: 'd' },
        { type: 'track', userId: 'e', event: 'login', timestamp: 'yesterday' },
        { type: 'identify', userId: 'f', traits: { balance: 12.5 }, messageId: 'b-6' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ success: false, accepted: 2, rejected: 5 });
    expect(r.json['errors']).toEqual([
      { index: 1, field: 'properties.amount', reason: 'Expected number' },
      { index: 2, field: 'traits.timezone', reason: 'must be an IANA time zone such as Asia/Shanghai' },
      { index: 3, field: 'userId', reason: 'userId or anonymousId is required' },
      {
        index: 4,
        field: 'type',
        reason: "'merge' is not supported (track, identify, page, screen, group or alias)",
      },
      {
        index: 5,
        field: 'timestamp',
        reason: 'must be an ISO-8601 date-time of a day that exists, e.g. 2026-11-20T08:30:00Z',
      },
    ]);
    expect(await count(s, 'SELECT count(*) FROM events')).toBe(1);
    // The user of the stored event has a profile too (features.md A1).
    expect(await count(s, 'SELECT count(*) FROM profiles')).toBe(2);
    expect(await count(s, 'SELECT count(*) FROM ingest_rejections')).toBe(5);
    const rejected = await s.rt.warehouse.query<{ record_index: number; raw: string }>(
      'SELECT record_index, raw FROM ingest_rejections WHERE field = $1',
      ['type'],
    );
    expect(rejected).toEqual([{ record_index: 4, raw: JSON.stringify({ type: 'merge', userId: 'd' }) }]);
  });

  it('answers 400 when nothing in the request is valid, and stores nothing but the rejection', async () => {
    const s = await start();
    const r = await postJson(`${s.url}/v1/track`, {
      userId: 'x',
      event: '',
      timestamp: '2031-01-01T00:00:00Z',
    });
    expect(r.status).toBe(400);
    expect(r.json['errors']).toEqual([
      { index: 0, field: 'event', reason: 'Expected string length greater or equal to 1' },
    ]);
    const future = await postJson(`${s.url}/v1/track`, {
      userId: 'x',
      event: 'e',
      timestamp: '2031-01-01T00:00:00Z',
    });
    expect(future.json['errors']).toEqual([
      { index: 0, field: 'timestamp', reason: 'is more than 24 hours in the future' },
    ]);
    const notJson = await postJson(`${s.url}/v1/batch`, '{"batch": [', TEST_WRITE_KEY);
    expect(notJson.status).toBe(400);
    expect(await count(s, 'SELECT count(*) FROM events')).toBe(0);
  });

  it('stores __proto__ and constructor keys as plain data, written out or escaped, without pollution', async () => {
    const s = await start();
    const poisoned = [
      '{"userId":"a","event":"x","messageId":"p1","properties":{"__proto__":{"admin":true}}}',
      '{"userId":"a","event":"x","messageId":"p2","properties":{"\\u005f_proto__":{"admin":true}}}',
      '{"userId":"a","event":"x","messageId":"p3","properties":{"constructor":{"prototype":{"admin":true}}}}',
    ];
    for (const body of poisoned) {
      const r = await postJson(`${s.url}/v1/track`, body);
      expect(r.status, body).toBe(200);
    }
    const stored = await s.rt.warehouse.query<{ id: string; p: string }>(
      `SELECT message_id AS id, properties::VARCHAR AS p FROM events WHERE message_id LIKE 'p%' ORDER BY 1`,
    );
    expect(stored).toEqual([
      { id: 'p1', p: '{"__proto__":{"admin":true}}' },
      { id: 'p2', p: '{"__proto__":{"admin":true}}' },
      { id: 'p3', p: '{"constructor":{"prototype":{"admin":true}}}' },
    ]);
    await s.rt.warehouse.write(`DELETE FROM events WHERE message_id LIKE 'p%'`);
    // Escapes in ordinary text (clients that write ASCII-only JSON) are decoded and stored.
    const escaped = await postJson(
      `${s.url}/v1/track`,
      '{"userId":"a","event":"x","messageId":"esc","properties":{"city":"\\u676d\\u5dde","note":"prototype-free"}}',
    );
    expect(escaped.status).toBe(200);
    const plain = await postJson(`${s.url}/v1/track`, '{"userId":"a","event":"x","messageId":"plain"}');
    expect(plain.status).toBe(200);
    const broken = await postJson(`${s.url}/v1/track`, '{"userId":"a",');
    expect(broken.status).toBe(400);
    expect(String(broken.json['error'])).toMatch(/JSON/);
    const [row] = await s.rt.warehouse.query<{ city: string }>(
      `SELECT properties->>'city' AS city FROM events WHERE message_id = 'esc'`,
    );
    expect(row?.city).toBe('杭州');
    expect(await count(s, 'SELECT count(*) FROM events')).toBe(2);
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });

  it('enforces the write key, the body size limit and the batch length limit', async () => {
    const s = await start();
    expect((await postJson(`${s.url}/v1/track`, { userId: 'a', event: 'x' }, null)).status).toBe(401);
    expect((await postJson(`${s.url}/v1/track`, { userId: 'a', event: 'x' }, 'rk_wrong')).status).toBe(401);
    const inBody = await postJson(
      `${s.url}/v1/batch`,
      { writeKey: TEST_WRITE_KEY, batch: [{ type: 'track', userId: 'a', event: 'x' }] },
      null,
    );
    expect(inBody.status).toBe(200);
    const big = {
      batch: [{ type: 'track', userId: 'a', event: 'x', properties: { blob: 'x'.repeat(600 * 1024) } }],
    };
    const tooBig = await postJson(`${s.url}/v1/batch`, big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.json['error']).toMatch(/exceeds 524288 bytes/);
    const many = {
      batch: Array.from({ length: 2501 }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'x' })),
    };
    const tooMany = await postJson(`${s.url}/v1/batch`, many);
    expect(tooMany.status).toBe(400);
    expect(tooMany.json['errors']).toEqual([
      { index: 0, field: 'batch', reason: 'has 2501 messages; the limit is 2500' },
    ]);
    const oneRecordTooBig = await postJson(`${s.url}/v1/track`, {
      userId: 'a',
      event: 'x',
      properties: { blob: 'y'.repeat(40_000) },
    });
    expect(oneRecordTooBig.json['errors']).toEqual([
      { index: 0, field: 'properties', reason: 'exceeds 32768 bytes' },
    ]);
    expect(await count(s, 'SELECT count(*) FROM events')).toBe(1);
  });

  it('stores a retried messageId once, whether the retry is sequential, concurrent or after a restart', async () => {
    const s = await start();
    const msg = { userId: 'u', event: 'pay', messageId: 'dup-1', properties: { amount: 10 } };
    const first = await postJson(`${s.url}/v1/track`, msg);
    const again = await postJson(`${s.url}/v1/track`, msg);
    expect(first.json).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(again.json).toMatchObject({ success: true, accepted: 0, duplicates: 1 });
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => postJson(`${s.url}/v1/track`, { ...msg, messageId: 'dup-2' })),
    );
    expect(burst.filter((r) => r.json['accepted'] === 1)).toHaveLength(1);
    const inBatch = await postJson(`${s.url}/v1/batch`, {
      batch: [
        { type: 'track', ...msg, messageId: 'dup-3' },
        { type: 'track', ...msg, messageId: 'dup-3' },
      ],
    });
    expect(inBatch.json).toMatchObject({ accepted: 1, duplicates: 1 });
    const dataDir = s.dataDir;
    await s.stop();
    server = await startTestServer({ clock: fixedClock(NOW + 3600_000), dataDir });
    const afterRestart = await postJson(`${server.url}/v1/track`, msg);
    expect(afterRestart.json).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await count(server, 'SELECT count(*) FROM events')).toBe(3);
    expect(await count(server, 'SELECT count(DISTINCT message_id) FROM events')).toBe(3);
  });
});
