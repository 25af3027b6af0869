import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/core/clock.ts';
import type { EventRow, IdentifyRow } from '../src/core/events/rows.ts';
import { IngestQueue } from '../src/ingest/ingest-queue.ts';
import { importFile } from '../src/ingest/import/import-file.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { basicAuth, postJson, startTestServer, TEST_WRITE_KEY, type TestServer } from './support/runtime.ts';
import { tempDir } from './support/tmp.ts';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const AT = '2026-11-19T08:30:00.000Z';
let server: TestServer | undefined;
const closers: (() => void)[] = [];

afterEach(async () => {
  await server?.stop();
  server?.cleanup();
  server = undefined;
  for (const c of closers.splice(0)) c();
});

const start = async () => {
  server = await startTestServer({ clock: fixedClock(NOW) });
  return server;
};

const countById = async (w: Pick<Warehouse, 'query'>, like: string) => {
  const rows = await w.query<{ id: string; n: number | bigint }>(
    `SELECT message_id AS id, count(*) AS n FROM events WHERE message_id LIKE $1 GROUP BY 1
     UNION ALL
     SELECT message_id, count(DISTINCT message_id) FROM profile_history WHERE message_id LIKE $1 GROUP BY 1`,
    [like],
  );
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
};

/** A raw body: some cases (lone surrogates) cannot be written by JSON.stringify. */
const post = async (url: string, body: string | Buffer, headers: Record<string, string> = {}) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(TEST_WRITE_KEY), ...headers },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('one bad record never sinks others', () => {
  it('createdAt 1e16 and a lone surrogate: clients sharing a group commit get 200, the bad record a precise error', async () => {
    const s = await start();
    // 24 clients at once share group commits: before, each commit holding createdAt 1e16 or a
    // lone surrogate failed whole, and every client in it got 503.
    const requests = Array.from({ length: 24 }, (_, c) => {
      if (c % 3 === 0) {
        return post(
          `${s.url}/v1/batch`,
          `{"batch":[
            {"type":"track","userId":"u${c}","event":"open","messageId":"s-${c}-0","timestamp":"${AT}"},
            {"type":"identify","userId":"u${c}","messageId":"s-${c}-1","traits":{"createdAt":1e16}},
            {"type":"identify","userId":"u${c}","messageId":"s-${c}-2","traits":{"nick":"a\\ud800b"}},
            {"type":"track","userId":"u${c}","event":"open","messageId":"s-${c}-3","timestamp":"${AT}"}]}`,
        );
      }
      if (c % 3 === 1) {
        return post(
          `${s.url}/v1/identify`,
          `{"userId":"u${c}","messageId":"s-${c}-0","traits":{"createdAt":1e16}}`,
        );
      }
      return post(`${s.url}/v1/track`, `{"userId":"u${c}","event":"open","messageId":"s-${c}-0"}`);
    });
    const answers = await Promise.all(requests);
    answers.forEach((a, c) => {
      if (c % 3 === 0) {
        expect(a.status).toBe(200);
        expect(a.json).toMatchObject({ success: false, accepted: 3, rejected: 1 });
        expect(a.json['errors']).toEqual([
          { index: 1, field: 'traits.createdAt', reason: 'must be a time between 0001-01-01 and 9999-12-31' },
        ]);
      } else if (c % 3 === 1) {
        expect(a.status).toBe(400);
        expect(a.json['errors']).toEqual([
          { index: 0, field: 'traits.createdAt', reason: 'must be a time between 0001-01-01 and 9999-12-31' },
        ]);
      } else expect(a).toMatchObject({ status: 200, json: { success: true, accepted: 1 } });
    });
    const stored = await countById(s.rt.warehouse, 's-%');
    const expected = new Map<string, number>();
    for (let c = 0; c < 24; c += 3) for (const i of [0, 2, 3]) expected.set(`s-${c}-${i}`, 1);
    for (let c = 2; c < 24; c += 3) expected.set(`s-${c}-0`, 1);
    expect(stored).toEqual(expected);
    // The lone surrogate is replaced with U+FFFD, in the history and in the profile.
    const [p] = await s.rt.warehouse.query<{ nick: string; h: string }>(
      `SELECT p.traits->>'nick' AS nick, h.value->>'$' AS h FROM profiles p
       JOIN profile_history h ON h.user_id = p.user_id AND h.attribute = 'nick' WHERE p.user_id = 'u0'`,
    );
    expect(p).toEqual({ nick: 'a\uFFFDb', h: 'a\uFFFDb' });
  });

  it('a record the warehouse refuses at commit is isolated by bisection; the rest is stored once (real DuckDB)', async () => {
    const tmp = tempDir();
    closers.push(tmp.cleanup);
    const warehouse = await Warehouse.open(join(tmp.dir, 'w.duckdb'));
    closers.unshift(() => warehouse.close());
    const queue = await IngestQueue.open(warehouse, { clock: fixedClock(NOW) });
    const event = (id: string, over: Partial<EventRow> = {}): EventRow => ({
      messageId: id,
      userId: 'u',
      anonymousId: null,
      event: 'open',
      ts: NOW - 1000,
      receivedAt: NOW,
      amount: null,
      currency: null,
      productId: null,
      category: null,
      orderId: null,
      platform: null,
      properties: '{}',
      source: 'http',
      ...over,
    });
    const identify = (id: string, traits: Record<string, unknown>): IdentifyRow => ({
      messageId: id,
      userId: `p-${id}`,
      ts: NOW - 1000,
      receivedAt: NOW,
      columns: {},
      traits,
      source: 'http',
    });
    // Rows built directly, past validation: what the safety net is for. Submitted in one tick,
    // so all five share one group commit.
    const outcomes = await Promise.all([
      queue.submit({
        events: [event('q-0'), event('q-1', { ts: 1e16 }), event('q-2')],
        identifies: [identify('q-3', { nick: 'x\udc00' })],
        rejections: [],
        eventIndexes: [0, 2, 3],
        identifyIndexes: [1],
      }),
      ...[1, 2, 3, 4].map((c) =>
        queue.submit({
          events: [event(`r-${c}`)],
          identifies: [identify(`t-${c}`, { a: c })],
          rejections: [],
        }),
      ),
    ]);
    expect(outcomes[0]).toEqual({
      accepted: 2,
      duplicates: 0,
      refused: [
        { index: 1, reason: expect.stringMatching(/^cannot be stored: .*surrogate/) },
        { index: 2, reason: 'cannot be stored: micros out of int64 range' },
      ],
    });
    for (const o of outcomes.slice(1)) expect(o).toEqual({ accepted: 2, duplicates: 0, refused: [] });
    const stored = await countById(warehouse, '%');
    expect([...stored.entries()].sort()).toEqual(
      ['q-0', 'q-2', 'r-1', 'r-2', 'r-3', 'r-4', 't-1', 't-2', 't-3', 't-4'].map((id) => [id, 1]),
    );
    // A retry: the stored records are duplicates, the refused one is refused again, not "stored".
    const retry = await queue.submit({
      events: [event('q-0'), event('q-1', { ts: 1e16 })],
      identifies: [],
      rejections: [],
    });
    expect(retry).toMatchObject({ accepted: 0, duplicates: 1, refused: [{ index: 1 }] });
    expect((await countById(warehouse, 'q-%')).size).toBe(2);
  });

  it('an import stores the rest of the file and reports the bad lines by number; again, nothing twice', async () => {
    const tmp = tempDir();
    closers.push(tmp.cleanup);
    const warehouse = await Warehouse.open(join(tmp.dir, 'w.duckdb'));
    closers.unshift(() => warehouse.close());
    const path = join(tmp.dir, 'mixed.ndjson');
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    writeFileSync(
      path,
      [
        `{"type":"track","userId":"a","event":"open","messageId":"i-1","timestamp":"${AT}"}`,
        `{"type":"identify","userId":"b","messageId":"i-2","traits":{"createdAt":1e16}}`,
        `{"type":"identify","userId":"c","messageId":"i-3","traits":{"nick":"\\udc00z"}}`,
        `{"type":"track","userId":"d","event":"open","messageId":"i-4","properties":{"x":${deep}}}`,
        `{"type":"track","userId":"e","event":"open",`,
        `{"type":"track","userId":"f","event":"open","messageId":"i-6","timestamp":"2026-02-30T00:00:00Z"}`,
        `{"type":"track","userId":"g","event":"open","messageId":"i-7","properties":{"__proto__":{"x":1}}}`,
      ].join('\n'),
    );
    const report = await importFile(warehouse, { path, now: () => NOW });
    expect(report).toMatchObject({ records: 7, accepted: 3, duplicates: 0, rejected: 4 });
    expect(report.errors.map((e) => [e.index, e.field.split('.').slice(0, 2).join('.')])).toEqual([
      [2, 'traits.createdAt'],
      [4, 'properties.x'],
      [5, '(record)'],
      [6, 'timestamp'],
    ]);
    expect(report.errors[1]?.reason).toBe('nests deeper than 64 levels');
    const again = await importFile(warehouse, { path, now: () => NOW });
    expect(again).toMatchObject({ accepted: 0, duplicates: 3, rejected: 4 });
    expect([...(await countById(warehouse, 'i-%')).entries()].sort()).toEqual([
      ['i-1', 1],
      ['i-3', 1],
      ['i-7', 1],
    ]);
    const [props] = await warehouse.query<{ p: string }>(
      `SELECT properties::VARCHAR AS p FROM events WHERE message_id = 'i-7'`,
    );
    expect(props?.p).toBe('{"__proto__":{"x":1}}');
  });
});

describe('bad input gets a precise 4xx, never a 5xx', () => {
  it('refuses impossible dates, blank, NUL and inexact ids, and empty batches, naming index and field', async () => {
    const s = await start();
    const r = await post(
      `${s.url}/v1/batch`,
      `{"batch":[
        {"type":"track","userId":"a","event":"open","timestamp":"2026-02-30T10:00:00Z"},
        {"type":"track","userId":"  ","event":"open"},
        {"type":"track","userId":123456789012345678901234567890,"event":"open"},
        {"type":"track","userId":"a","event":"op\\u0000en"},
        {"type":"identify","userId":"a\\u0000","traits":{}},
        {"type":"track","userId":"a","event":"open","properties":{"n":1e400}},
        {"type":"track","userId":9007199254740991,"event":"open","messageId":"ok-1"}]}`,
    );
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ success: false, accepted: 1, rejected: 6 });
    expect(r.json['errors']).toEqual([
      {
        index: 0,
        field: 'timestamp',
        reason: 'must be an ISO-8601 date-time of a day that exists, e.g. 2026-11-20T08:30:00Z',
      },
      { index: 1, field: 'userId', reason: 'must not be empty or only whitespace' },
      {
        index: 2,
        field: 'userId',
        reason: 'a numeric id must be an integer within ±9007199254740991; send larger ids as strings',
      },
      { index: 3, field: 'event', reason: 'must not contain a NUL character (\\u0000)' },
      { index: 4, field: 'userId', reason: 'must not contain a NUL character (\\u0000)' },
      { index: 5, field: 'properties.n', reason: 'must be a finite number (±1.8e308 at most)' },
    ]);
    const [row] = await s.rt.warehouse.query<{ user_id: string }>(`SELECT user_id FROM events`);
    expect(row?.user_id).toBe('9007199254740991');

    const empty = await postJson(`${s.url}/v1/batch`, { batch: [] });
    expect(empty).toEqual({
      status: 400,
      json: {
        success: false,
        accepted: 0,
        duplicates: 0,
        rejected: 0,
        errors: [{ index: 0, field: 'batch', reason: 'is empty; send at least one message' }],
      },
    });
  });

  it('refuses a body nested 5 000 levels deep with the limit in the reason', async () => {
    const s = await start();
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const r = await post(`${s.url}/v1/track`, `{"userId":"a","event":"e","properties":{"x":${deep}}}`);
    expect(r).toEqual({
      status: 400,
      json: {
        success: false,
        error: 'request body nests deeper than 64 levels of arrays and objects',
        errors: [
          {
            index: 0,
            field: '(body)',
            reason: 'request body nests deeper than 64 levels of arrays and objects',
          },
        ],
      },
    });
    // 60 levels are fine, and brackets inside strings do not count.
    const ok = await post(
      `${s.url}/v1/track`,
      `{"userId":"a","event":"e","properties":{"x":${'['.repeat(60)}"[[[[\\"{{{{"${']'.repeat(60)}}}`,
    );
    expect(ok.status).toBe(200);
  });

  it('stores __proto__ and constructor traits as plain data, also when one commit folds two calls', async () => {
    const s = await start();
    const r = await post(
      `${s.url}/v1/batch`,
      `{"batch":[
        {"type":"identify","userId":"p","timestamp":"2026-11-01T00:00:00Z","traits":{"__proto__":{"vip":true},"constructor":{"prototype":{"x":1}}}},
        {"type":"identify","userId":"p","timestamp":"2026-11-02T00:00:00Z","traits":{"__proto__":{"vip":false},"city":"Hangzhou"}}]}`,
    );
    expect(r).toMatchObject({ status: 200, json: { success: true, accepted: 2 } });
    const [p] = await s.rt.warehouse.query<{ traits: string }>(
      `SELECT traits::VARCHAR AS traits FROM profiles`,
    );
    expect(JSON.parse(p?.traits ?? '{}') as unknown).toEqual(
      JSON.parse('{"__proto__":{"vip":false},"constructor":{"prototype":{"x":1}},"city":"Hangzhou"}'),
    );
    expect(
      await s.rt.warehouse.scalar(`SELECT count(*) FROM profile_history WHERE attribute = '__proto__'`),
    ).toBe(2n);
    expect(({} as Record<string, unknown>)['vip']).toBeUndefined();
  });

  it('accepts gzip bodies; one that inflates past the body limit is 413, a corrupt one 400', async () => {
    const s = await start();
    const gz = { 'content-encoding': 'gzip' };
    const ok = await post(
      `${s.url}/v1/batch`,
      gzipSync(JSON.stringify({ batch: [{ type: 'track', userId: 'z', event: 'gz', messageId: 'gz-1' }] })),
      gz,
    );
    expect(ok).toMatchObject({ status: 200, json: { success: true, accepted: 1 } });
    const bomb = await post(`${s.url}/v1/batch`, gzipSync(Buffer.alloc(4 * 1024 * 1024, 32)), gz);
    const inflated = 'request body inflates to more than 524288 bytes; send smaller batches';
    expect(bomb).toEqual({
      status: 413,
      json: { success: false, error: inflated, errors: [{ index: 0, field: '(body)', reason: inflated }] },
    });
    const corrupt = await post(`${s.url}/v1/batch`, Buffer.from('definitely not gzip'), gz);
    const notGzip = 'request body is not valid gzip data';
    expect(corrupt).toEqual({
      status: 400,
      json: { success: false, error: notGzip, errors: [{ index: 0, field: '(body)', reason: notGzip }] },
    });
    const brotli = await post(`${s.url}/v1/batch`, Buffer.from('{}'), { 'content-encoding': 'br' });
    expect(brotli.status).toBe(415);
    expect(await s.rt.warehouse.scalar(`SELECT count(*) FROM events`)).toBe(1n);
  });
});
