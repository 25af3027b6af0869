import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { formatImportSummary, runImport } from '../src/cli/commands/import.ts';
import { CsvParser, parseCsv, type CsvRow } from '../src/core/csv/csv-parser.ts';
import { autoType, columnForField, rowToMessage, tableLayout } from '../src/ingest/import/csv-record.ts';
import { FingerprintSet } from '../src/ingest/import/fingerprint-set.ts';
import { ImportFileError, importFile, type ImportReport } from '../src/ingest/import/import-file.ts';
import { existingMessageIds } from '../src/storage/warehouse/existing-message-ids.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { tempDir } from './support/tmp.ts';

const NOW = Date.UTC(2026, 10, 20, 12);
const now = () => NOW;
const tmp = tempDir('rekindle-import-');
afterAll(() => tmp.cleanup());

let n = 0;
const file = (name: string, content: string | Buffer): string => {
  const path = join(tmp.dir, `${++n}-${name}`);
  writeFileSync(path, content);
  return path;
};

const open: Warehouse[] = [];
const warehouse = async (): Promise<Warehouse> => {
  const wh = await Warehouse.open(join(tmp.dir, `wh-${++n}.duckdb`));
  open.push(wh);
  return wh;
};
afterEach(() => {
  for (const wh of open.splice(0)) wh.close();
});

const count = async (wh: Warehouse, sql: string): Promise<number> => Number(await wh.scalar(sql));

const HEADER =
  'type,message_id,user_id,anonymous_id,event,timestamp,amount,currency,product_id,category,order_id,platform,properties,traits';

describe('CsvParser', () => {
  it('reads quoted commas, doubled quotes, line breaks in quotes, CRLF and a BOM', () => {
    const rows = parseCsv('\uFEFFa,b,c\r\n1,"x, y","he said ""hi"""\r\n2,"two\r\nlines",\n\n3,,last');
    expect(rows.map((r) => [r.line, r.fields])).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', 'x, y', 'he said "hi"']],
      [3, ['2', 'two\r\nlines', '']],
      [6, ['3', '', 'last']],
    ]);
    expect(rows[1]?.text).toBe('1,"x, y","he said ""hi"""');
    expect(rows.every((r) => r.error === undefined)).toBe(true);
  });

  it('keeps empty fields, an empty quoted field and a record without a final line break', () => {
    expect(parseCsv(',,\n"",x').map((r) => r.fields)).toEqual([
      ['', '', ''],
      ['', 'x'],
    ]);
    expect(parseCsv('a,b,').map((r) => r.fields)).toEqual([['a', 'b', '']]);
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\n\r\n').map((r) => r.fields)).toEqual([]);
  });

  it('confines a syntax error to its record and goes on at the next line', () => {
    const rows = parseCsv('a,b\n"x"y,1\nok,2\n"open,3\nz,4\n');
    expect(rows.map((r) => [r.line, r.error ?? null, r.fields])).toEqual([
      [1, null, ['a', 'b']],
      [2, 'unexpected text after a closing quote', ['x']],
      [3, null, ['ok', '2']],
      [4, 'unterminated quoted field', []],
    ]);
  });

  it('gives the same records however the text is cut into pieces', () => {
    const field = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('', '"', '""', ',', '\n', '\r\n', 'a"b', ' x '),
    );
    const record = fc.array(field, { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
        (records, crlf, cuts) => {
          // Quote every field that needs it; a record of one empty field is written quoted.
          const quote = (f: string) => (/[",\r\n]/.test(f) || f === '' ? `"${f.replaceAll('"', '""')}"` : f);
          const text = records.map((r) => r.map(quote).join(',')).join(crlf ? '\r\n' : '\n');
          const out: CsvRow[] = [];
          const p = new CsvParser();
          let at = 0;
          for (let i = 0; at < text.length; i++) {
            const size = cuts[i % cuts.length] ?? 1;
            p.push(text.slice(at, at + size), out);
            at += size;
          }
          p.end(out);
          expect(out.map((r) => r.fields)).toEqual(records);
          expect(out.every((r) => r.error === undefined)).toBe(true);
          expect(out).toEqual(parseCsv(text));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('CSV rows as Segment messages', () => {
  const layout = (() => {
    const l = tableLayout([...HEADER.split(','), 'coupon', 'balance', 'city']);
    if (!l.ok) throw new Error(l.error);
    return l.value;
  })();
  const row = (cells: Record<string, string>) => layout.header.map((h) => cells[h] ?? '');

  it('auto-types extra cells, and keeps ids, zero-led and huge numbers as text', () => {
    expect(autoType('12')).toBe(12);
    expect(autoType('-3.5e2')).toBe(-350);
    expect(autoType('true')).toBe(true);
    expect(autoType('false')).toBe(false);
    expect(autoType('007')).toBe('007');
    expect(autoType('+8613800000000')).toBe('+8613800000000');
    expect(autoType('12345678901234567890')).toBe('12345678901234567890');
    expect(autoType('TRUE')).toBe('TRUE');
  });

  it('builds a track message: typed columns win over the properties JSON, extras become properties', () => {
    const m = rowToMessage(
      layout,
      row({
        message_id: 'm1',
        user_id: 'u1',
        event: 'order',
        amount: '12.50',
        product_id: '00123',
        properties: '{"amount":1,"page":"cart"}',
        coupon: '10',
        city: 'Hangzhou',
      }),
      7,
    );
    expect(m).toEqual({
      ok: true,
      value: {
        type: 'track',
        messageId: 'm1',
        userId: 'u1',
        event: 'order',
        properties: { amount: 12.5, page: 'cart', product_id: '00123', coupon: 10, city: 'Hangzhou' },
      },
    });
  });

  it('builds an identify message: known profile columns keep their kind, others are auto-typed', () => {
    const m = rowToMessage(
      layout,
      row({
        type: 'identify',
        user_id: 'u2',
        traits: '{"plan":"gold"}',
        balance: '88',
        city: '123',
        coupon: '5',
      }),
      3,
    );
    expect(m).toEqual({
      ok: true,
      value: {
        type: 'identify',
        userId: 'u2',
        traits: { plan: 'gold', balance: 88, city: '123', coupon: 5 },
      },
    });
  });

  it('reports cells it cannot express instead of dropping them', () => {
    const m = rowToMessage(
      layout,
      row({ type: 'identify', user_id: 'u', event: 'x', amount: '3', traits: '[1]' }),
      9,
    );
    expect(m).toEqual({
      ok: false,
      error: [
        { index: 9, field: 'event', reason: 'applies to track rows only' },
        { index: 9, field: 'amount', reason: 'applies to track rows only' },
        { index: 9, field: 'traits', reason: 'must be a JSON object' },
      ],
    });
    expect(rowToMessage(layout, ['a'], 4)).toEqual({
      ok: false,
      error: [
        { index: 4, field: '(record)', reason: `has 1 fields, the header has ${layout.header.length}` },
      ],
    });
    const bad = rowToMessage(layout, row({ event: 'e', properties: '{"a":' }), 5);
    expect(rowToMessage(layout, row({ event: 'e', properties: '{"a" 1}' }), 6)).toEqual({
      ok: false,
      error: [{ index: 6, field: 'properties', reason: 'is not valid JSON (error at character 6)' }],
    });
    expect(bad).toEqual({
      ok: false,
      error: [{ index: 5, field: 'properties', reason: 'is not valid JSON' }],
    });
  });

  it('names error fields after the file columns that supplied them', () => {
    const cells = row({ amount: 'x', coupon: '1' });
    expect(columnForField(layout, cells, 'userId')).toBe('user_id');
    expect(columnForField(layout, cells, 'properties.amount')).toBe('amount');
    expect(columnForField(layout, cells, 'properties.currency')).toBe('properties.currency');
    expect(columnForField(layout, cells, 'timestamp')).toBe('timestamp');
  });

  it('rejects headers it cannot use', () => {
    expect(tableLayout(['a', 'b', 'a'])).toEqual({ ok: false, error: "header names column 'a' twice" });
    expect(tableLayout(['a', ''])).toEqual({ ok: false, error: 'header column 2 has no name' });
  });
});

describe('FingerprintSet', () => {
  it('remembers every member across growth and says when one is new', () => {
    const s = new FingerprintSet(4);
    for (let i = 0; i < 50_000; i++) expect(s.add(`id-${i}`)).toBe(false);
    expect(s.size).toBe(50_000);
    for (let i = 0; i < 50_000; i++) expect(s.has(`id-${i}`)).toBe(true);
    expect(s.add('id-7')).toBe(true);
    let hits = 0;
    for (let i = 0; i < 50_000; i++) if (s.has(`other-${i}`)) hits++;
    expect(hits).toBe(0);
  });
});

const csvLine = (cells: Record<string, string>): string =>
  HEADER.split(',')
    .map((h) => {
      const v = cells[h] ?? '';
      return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
    })
    .join(',');

describe('importFile', () => {
  it('imports CSV with quoted commas, quotes and line breaks exactly', async () => {
    const wh = await warehouse();
    const path = file(
      'quoted.csv',
      [
        HEADER,
        csvLine({
          message_id: 'c1',
          user_id: 'u1',
          event: 'view_item',
          timestamp: '2026-11-01T08:00:00Z',
          category: 'tea, green',
          properties: '{"note":"a \\"quoted\\" word","lines":"one\\ntwo"}',
        }),
        // A raw line break inside a quoted cell makes this record span two lines.
        `track,c2,u1,,add_to_cart,2026-11-01T08:01:00Z,12.5,CNY,p1,,,ios,"{""memo"":""line one"",`,
        ` ""more"":""line two""}",`,
      ].join('\r\n'),
    );
    const report = await importFile(wh, { path, now });
    expect(report).toMatchObject({
      format: 'csv',
      records: 2,
      accepted: 2,
      duplicates: 0,
      rejected: 0,
      errors: [],
    });
    const rows = await wh.query(
      `SELECT message_id, user_id, event, ts, received_at, amount, currency, product_id, category, platform,
              properties::VARCHAR AS properties, source FROM events ORDER BY message_id`,
    );
    expect(rows).toEqual([
      {
        message_id: 'c1',
        user_id: 'u1',
        event: 'view_item',
        ts: new Date('2026-11-01T08:00:00Z'),
        received_at: new Date(NOW),
        amount: null,
        currency: null,
        product_id: null,
        category: 'tea, green',
        platform: null,
        properties: JSON.stringify({ note: 'a "quoted" word', lines: 'one\ntwo', category: 'tea, green' }),
        source: 'import',
      },
      {
        message_id: 'c2',
        user_id: 'u1',
        event: 'add_to_cart',
        ts: new Date('2026-11-01T08:01:00Z'),
        received_at: new Date(NOW),
        amount: 12.5,
        currency: 'CNY',
        product_id: 'p1',
        category: null,
        platform: 'ios',
        properties: JSON.stringify({
          memo: 'line one',
          more: 'line two',
          amount: 12.5,
          currency: 'CNY',
          product_id: 'p1',
          platform: 'ios',
        }),
        source: 'import',
      },
    ]);
  });

  it('stores the valid records of a mixed file and reports each bad one by line, field and reason', async () => {
    const wh = await warehouse();
    const path = file(
      'mixed.csv',
      [
        HEADER, // line 1
        csvLine({ message_id: 'ok-1', user_id: 'u1', event: 'login', timestamp: '2026-11-02T00:00:00Z' }),
        csvLine({ message_id: 'bad-ts', user_id: 'u1', event: 'login', timestamp: 'yesterday' }), // line 3
        csvLine({ message_id: 'multi', user_id: 'u1', event: 'note', properties: '{"text":"a",\n"n":1}' }), // lines 4-5
        csvLine({ message_id: 'no-user', event: 'login' }), // line 6
        csvLine({ message_id: 'bad-amount', user_id: 'u2', event: 'pay', amount: 'ten' }), // line 7
        'track,short-row,u3', // line 8
        csvLine({ type: 'merge', message_id: 'bad-type', user_id: 'u3' }), // line 9
        csvLine({ type: 'identify', message_id: 'bad-email', user_id: 'u4', traits: '{"email":"nope"}' }), // 10
        csvLine({ message_id: 'ok-2', user_id: 'u5', event: 'logout', timestamp: '2026-11-02T00:05:00Z' }), // 11
      ].join('\n'),
    );
    const report = await importFile(wh, { path, now });
    expect(report).toMatchObject({ records: 9, accepted: 3, duplicates: 0, rejected: 6 });
    expect(report.errors).toEqual([
      {
        index: 3,
        field: 'timestamp',
        reason: 'must be an ISO-8601 date-time of a day that exists, e.g. 2026-11-20T08:30:00Z',
      },
      { index: 6, field: 'user_id', reason: 'userId or anonymousId is required' },
      { index: 7, field: 'amount', reason: 'Expected number' },
      { index: 8, field: '(record)', reason: 'has 3 fields, the header has 14' },
      {
        index: 9,
        field: 'type',
        reason: "'merge' is not supported (track, identify, page, screen, group or alias)",
      },
      { index: 10, field: 'traits.email', reason: 'must be an email address' },
    ]);
    const stored = await wh.query<{ message_id: string }>(
      'SELECT message_id FROM events ORDER BY message_id',
    );
    expect(stored.map((r) => r.message_id)).toEqual(['multi', 'ok-1', 'ok-2']);
    const rejections = await wh.query<Record<string, unknown>>(
      'SELECT source, record_index, field, raw FROM ingest_rejections ORDER BY record_index',
    );
    expect(rejections.map((r) => [r['source'], r['record_index'], r['field']])).toEqual([
      ['import', 3, 'timestamp'],
      ['import', 6, 'user_id'],
      ['import', 7, 'amount'],
      ['import', 8, '(record)'],
      ['import', 9, 'type'],
      ['import', 10, 'traits.email'],
    ]);
    expect(rejections[0]?.['raw']).toBe(',bad-ts,u1,,login,yesterday,,,,,,,,');
    expect(rejections[3]?.['raw']).toBe('track,short-row,u3');
  });

  it('stores nothing new when the same file is imported again', async () => {
    const wh = await warehouse();
    const path = file(
      'again.csv',
      [
        HEADER,
        csvLine({ message_id: 'r1', user_id: 'u1', event: 'a' }),
        csvLine({ user_id: 'u1', event: 'no-id', timestamp: '2026-11-03T00:00:00Z' }),
        csvLine({ type: 'identify', message_id: 'r2', user_id: 'u1', traits: '{"city":"Xi\'an"}' }),
        csvLine({ message_id: 'r3', event: 'missing-user' }),
      ].join('\n'),
    );
    const first = await importFile(wh, { path, now });
    expect(first).toMatchObject({ records: 4, accepted: 3, duplicates: 0, rejected: 1 });
    const second = await importFile(wh, { path, now });
    expect(second).toMatchObject({ records: 4, accepted: 0, duplicates: 3, rejected: 1 });
    expect(await count(wh, 'SELECT count(*) FROM events')).toBe(2);
    expect(await count(wh, 'SELECT count(*) FROM profile_history')).toBe(1);
    // A record without messageId got one derived from its line and text.
    const ids = await wh.query<{ message_id: string }>("SELECT message_id FROM events WHERE event = 'no-id'");
    expect(ids[0]?.message_id).toMatch(/^import-[\w-]{32}$/);
  });

  it('stores a messageId repeated in the file once, within a chunk and across chunks', async () => {
    const wh = await warehouse();
    const lines = [HEADER];
    for (let i = 0; i < 12; i++)
      lines.push(csvLine({ message_id: `d${i % 5}`, user_id: `u${i}`, event: 'view' }));
    lines.push(csvLine({ type: 'identify', message_id: 'd0', user_id: 'u0', traits: '{"plan":"a"}' }));
    lines.push(csvLine({ type: 'identify', message_id: 'd0', user_id: 'u0', traits: '{"plan":"b"}' }));
    const path = file('dups.csv', lines.join('\n'));
    for (const chunkSize of [1000, 3]) {
      const target = await warehouse();
      const report = await importFile(target, { path, now, chunkSize });
      expect(report).toMatchObject({ records: 14, accepted: 6, duplicates: 8, rejected: 0 });
      // The first of each id wins.
      const rows = await target.query<{ message_id: string; user_id: string }>(
        'SELECT message_id, user_id FROM events ORDER BY message_id',
      );
      expect(rows).toEqual([0, 1, 2, 3, 4].map((i) => ({ message_id: `d${i}`, user_id: `u${i}` })));
      expect(await count(target, "SELECT count(*) FROM profile_history WHERE message_id = 'd0'")).toBe(1);
    }
    expect(wh).toBeDefined();
  });

  it('counts ids already stored by any source as duplicates', async () => {
    const wh = await warehouse();
    await wh.commit({
      events: [
        {
          messageId: 'from-http',
          userId: 'u1',
          anonymousId: null,
          event: 'login',
          ts: NOW - 1000,
          receivedAt: NOW - 1000,
          amount: null,
          currency: null,
          productId: null,
          category: null,
          orderId: null,
          platform: null,
          properties: '{}',
          source: 'http',
        },
      ],
      identifies: [],
      rejections: [],
    });
    const path = file(
      'existing.ndjson',
      [
        { messageId: 'from-http', userId: 'u1', event: 'login' },
        { messageId: 'new-one', userId: 'u1', event: 'login' },
      ]
        .map((m) => JSON.stringify(m))
        .join('\n'),
    );
    const report = await importFile(wh, { path, now, chunkSize: 1 });
    expect(report).toMatchObject({ records: 2, accepted: 1, duplicates: 1, rejected: 0 });
    expect(await count(wh, "SELECT count(*) FROM events WHERE message_id = 'from-http'")).toBe(1);
    expect(await existingMessageIds(wh, 'events', ['new-one', 'nope'])).toEqual(new Set(['new-one']));
  });

  it('imports NDJSON: type defaults to track, a malformed line is an error for that line only', async () => {
    const wh = await warehouse();
    const path = file(
      'events.ndjson',
      [
        JSON.stringify({
          messageId: 'n1',
          userId: 'u1',
          event: 'order',
          properties: { amount: 99, currency: 'CNY' },
        }),
        '{"messageId":"n2","userId":"u1","event":',
        '',
        JSON.stringify({
          type: 'identify',
          messageId: 'n3',
          userId: 'u1',
          timestamp: '2026-11-01T00:00:00Z',
          traits: { email: 'A@Example.com', balance: 12 },
        }),
        '[1,2]',
        JSON.stringify({ messageId: 'n4', userId: 'u2', event: 'pay', properties: { amount: 'lots' } }) +
          '\r',
      ].join('\n'),
    );
    const report = await importFile(wh, { path, now });
    expect(report).toMatchObject({ format: 'ndjson', records: 5, accepted: 2, rejected: 3 });
    expect(report.errors).toEqual([
      { index: 2, field: '(record)', reason: 'is not valid JSON' },
      { index: 5, field: '(record)', reason: 'must be a JSON object' },
      { index: 6, field: 'properties.amount', reason: 'Expected number' },
    ]);
    expect(await wh.query('SELECT message_id, amount, currency FROM events')).toEqual([
      { message_id: 'n1', amount: 99, currency: 'CNY' },
    ]);
    expect(await wh.query('SELECT user_id, email, balance FROM profiles')).toEqual([
      { user_id: 'u1', email: 'a@example.com', balance: 12 },
    ]);
  });

  it('lands identify rows in profiles and profile_history', async () => {
    const wh = await warehouse();
    const path = file(
      'people.csv',
      [
        `${HEADER},city,consent_sms,vip_level`,
        `${csvLine({ type: 'identify', message_id: 'i1', user_id: 'u9', timestamp: '2026-10-01T00:00:00Z', traits: '{"membership":"gold"}' })},Chengdu,true,3`,
        `${csvLine({ type: 'identify', message_id: 'i2', user_id: 'u9', timestamp: '2026-10-05T00:00:00Z' })},Chongqing,,`,
      ].join('\n'),
    );
    const report = await importFile(wh, { path, now });
    expect(report).toMatchObject({ records: 2, accepted: 2, rejected: 0 });
    expect(
      await wh.query(
        'SELECT user_id, city, membership, consent_sms, traits::VARCHAR AS traits FROM profiles',
      ),
    ).toEqual([
      {
        user_id: 'u9',
        city: 'Chongqing',
        membership: 'gold',
        consent_sms: true,
        traits: JSON.stringify({ membership: 'gold', city: 'Chongqing', consent_sms: true, vip_level: 3 }),
      },
    ]);
    const history = await wh.query<{ attribute: string; value: string; message_id: string }>(
      'SELECT attribute, value::VARCHAR AS value, message_id FROM profile_history ORDER BY valid_from, attribute',
    );
    expect(history).toEqual([
      { attribute: 'city', value: '"Chengdu"', message_id: 'i1' },
      { attribute: 'consent_sms', value: 'true', message_id: 'i1' },
      { attribute: 'membership', value: '"gold"', message_id: 'i1' },
      { attribute: 'vip_level', value: '3', message_id: 'i1' },
      { attribute: 'city', value: '"Chongqing"', message_id: 'i2' },
    ]);
  });

  it('imports Parquet written by DuckDB, with typed and nested columns', async () => {
    const wh = await warehouse();
    const path = join(tmp.dir, 'events.parquet');
    await wh.query(
      `COPY (
         SELECT * FROM (VALUES
           ('track', 'p1', 'u1', 'order', TIMESTAMP '2026-11-01 10:00:00.250', 19.9::DOUBLE, 'CNY', 'p-9', NULL, {'page': 'cart'}, 3),
           ('track', 'p2', 'u2', 'order', TIMESTAMP '2026-11-01 11:00:00', NULL, 'RMB!', NULL, NULL, NULL, NULL),
           ('identify', 'p3', 'u3', NULL, TIMESTAMP '2026-11-01 12:00:00', NULL, NULL, NULL, '{"city":"Wuhan"}', NULL, 7)
         ) AS t(type, message_id, user_id, event, "timestamp", amount, currency, product_id, traits, properties, level)
       ) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`,
    );
    const report = await importFile(wh, { path, now, chunkSize: 1 });
    expect(report).toMatchObject({ format: 'parquet', records: 3, accepted: 2, rejected: 1 });
    expect(report.errors).toEqual([
      { index: 2, field: 'currency', reason: 'Expected string length less or equal to 3' },
    ]);
    expect(
      await wh.query('SELECT message_id, ts, amount, product_id, properties::VARCHAR AS p FROM events'),
    ).toEqual([
      {
        message_id: 'p1',
        ts: new Date('2026-11-01T10:00:00.250Z'),
        amount: 19.9,
        product_id: 'p-9',
        p: JSON.stringify({ page: 'cart', amount: 19.9, currency: 'CNY', product_id: 'p-9', level: 3 }),
      },
    ]);
    expect(
      await wh.query('SELECT user_id, city, traits::VARCHAR AS traits FROM profiles ORDER BY user_id'),
    ).toEqual([
      { user_id: 'u1', city: null, traits: '{}' },
      { user_id: 'u3', city: 'Wuhan', traits: JSON.stringify({ city: 'Wuhan', level: 7 }) },
    ]);
    const raw = await wh.scalar<string>('SELECT raw FROM ingest_rejections');
    expect(JSON.parse(raw)).toMatchObject({ message_id: 'p2', currency: 'RMB!', amount: null });
  });

  it('reads gzip files and reports progress in file bytes', async () => {
    const wh = await warehouse();
    const lines = [HEADER];
    for (let i = 0; i < 2000; i++)
      lines.push(csvLine({ message_id: `g${i}`, user_id: `u${i % 7}`, event: 'view' }));
    const path = file('big.csv.gz', gzipSync(lines.join('\n')));
    const progress: number[] = [];
    let total = 0;
    const report = await importFile(wh, {
      path,
      now,
      onProgress: (p) => {
        progress.push(p.bytesRead);
        total = p.totalBytes;
      },
    });
    expect(report).toMatchObject({ format: 'csv', records: 2000, accepted: 2000 });
    expect(progress.at(-1)).toBe(total);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('gives the same result when reading on a worker thread', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 3000; i++) {
      lines.push(csvLine({ message_id: `w${i % 2900}`, user_id: `u${i % 11}`, event: i % 97 ? 'view' : '' }));
    }
    const path = file('worker.csv', lines.join('\n'));
    const reports: ImportReport[] = [];
    for (const worker of [false, true]) {
      reports.push(await importFile(await warehouse(), { path, now, worker, chunkSize: 700 }));
    }
    const [inline, threaded] = reports.map((r) => ({ ...r, ms: 0 }));
    expect(threaded).toEqual(inline);
    // 100 repeats, less one rejected repeat and two whose first copy was rejected.
    expect(inline).toMatchObject({ records: 3000, rejected: 31, duplicates: 97 });
  });

  it('says clearly when a file cannot be imported at all', async () => {
    const wh = await warehouse();
    const missing = join(tmp.dir, 'nope.csv');
    await expect(importFile(wh, { path: missing })).rejects.toThrow(
      new ImportFileError(`cannot read ${missing}: no such file`, 'unreadable'),
    );
    await expect(importFile(wh, { path: missing })).rejects.toMatchObject({ kind: 'unreadable' });
    await expect(importFile(wh, { path: tmp.dir, format: 'csv' })).rejects.toThrow(/not a regular file/);
    await expect(importFile(wh, { path: file('x.txt', 'a') })).rejects.toThrow(/cannot tell the format/);
    await expect(importFile(wh, { path: file('empty.csv', '') })).rejects.toThrow(/needs a header row/);
    await expect(importFile(wh, { path: file('dup.csv', 'user_id,user_id\n') })).rejects.toMatchObject({
      kind: 'invalid-file',
    });
    await expect(importFile(wh, { path: file('bad.parquet', 'not parquet') })).rejects.toThrow(/as Parquet/);
    expect(await count(wh, 'SELECT count(*) FROM ingest_rejections')).toBe(0);
  });
  it('keeps what was read before a read failure part way through, and says so', async () => {
    const wh = await warehouse();
    const lines = [HEADER];
    for (let i = 0; i < 20_000; i++)
      lines.push(csvLine({ message_id: `t${i}`, user_id: 'u', event: 'view' }));
    const zipped = gzipSync(lines.join('\n'));
    const path = file('truncated.csv.gz', zipped.subarray(0, Math.floor(zipped.length * 0.8)));
    const failure = await importFile(wh, { path, now, chunkSize: 1000 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ImportFileError);
    const e = failure as ImportFileError;
    expect(e.message).toMatch(/^cannot read .*truncated\.csv\.gz: not valid gzip data/);
    expect(e.partial?.accepted).toBeGreaterThan(1000);
    expect(await count(wh, 'SELECT count(*) FROM events')).toBe(e.partial?.accepted);
  });

  it('reports a file error from the worker thread the same way', async () => {
    const wh = await warehouse();
    const missing = join(tmp.dir, 'absent.ndjson');
    await expect(importFile(wh, { path: missing, worker: true })).rejects.toThrow(
      new ImportFileError(`cannot read ${missing}: no such file`, 'unreadable'),
    );
  });
});

describe('rekindle import', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        stdout: { write: (t: string) => out.push(t) },
        stderr: { write: (t: string) => err.push(t), isTTY: false },
      },
    };
  };

  it('prints a summary with the first errors and exits 1 when records were rejected', async () => {
    const path = file(
      'cli.csv',
      [
        HEADER,
        csvLine({ message_id: 'a', user_id: 'u', event: 'x' }),
        csvLine({ message_id: 'b', event: 'x' }),
      ].join('\n'),
    );
    const c = io();
    const code = await runImport(path, {}, warehouse, c.io);
    expect(code).toBe(1);
    const text = c.out.join('');
    expect(text).toContain('  accepted    1');
    expect(text).toContain('  rejected    1');
    expect(text).toContain('line 3, field user_id: userId or anonymousId is required');
    expect(c.err).toEqual([]);
  });

  it('prints the report as JSON and exits 0 when all is stored', async () => {
    const path = file('cli.ndjson', JSON.stringify({ messageId: 'j', userId: 'u', event: 'x' }));
    const c = io();
    expect(await runImport(path, { json: true }, warehouse, c.io)).toBe(0);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ records: 1, accepted: 1, duplicates: 0, rejected: 0 });
  });

  it('exits 2 without opening the warehouse when the file cannot be read', async () => {
    const c = io();
    let opened = false;
    const code = await runImport(
      join(tmp.dir, 'missing.csv'),
      {},
      async () => {
        opened = true;
        return warehouse();
      },
      c.io,
    );
    expect(code).toBe(2);
    expect(opened).toBe(false);
    expect(c.err.join('')).toMatch(/^rekindle import: cannot read .*missing\.csv: no such file\n$/);
  });

  it('formats a summary without errors', () => {
    expect(
      formatImportSummary('f.csv', {
        format: 'csv',
        records: 3,
        accepted: 2,
        duplicates: 1,
        rejected: 0,
        errors: [],
        ms: 1500,
      }),
    ).toBe(
      'Imported f.csv (csv) in 1.5 s (2 records/s)\n  records     3\n  accepted    2\n' +
        '  duplicates  1 (already stored or repeated in the file; stored once)\n  rejected    0\n',
    );
  });
});
