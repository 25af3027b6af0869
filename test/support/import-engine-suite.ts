import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runImport } from '../../src/cli/commands/import.ts';
import { importFile, type ImportReport } from '../../src/ingest/import/import-file.ts';
import { ClickHouseWarehouse } from '../../src/storage/clickhouse/clickhouse-warehouse.ts';
import type { WarehouseStore } from '../../src/storage/warehouse-sql.ts';
import { existingMessageIds } from '../../src/storage/warehouse/existing-message-ids.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { testClickHouseTarget } from './clickhouse-target.ts';
import { tempDir } from './tmp.ts';
import type { WarehouseEngine } from './warehouse-engines.ts';

/**
 * `importFile` (rekindle import) on either engine: test/import-engines.test.ts runs it on DuckDB,
 * test/clickhouse/import-engines.test.ts on ClickHouse, and the ClickHouse file also compares the
 * rows both engines store for the same file. The expected values are counted by hand from the
 * fixture below, so both engines meet the same numbers.
 */

const NOW = Date.UTC(2026, 10, 20, 12);
const now = (): number => NOW;

const HEADER =
  'type,message_id,user_id,anonymous_id,event,timestamp,amount,currency,product_id,category,order_id,platform,properties,traits';

const csvLine = (cells: Record<string, string>): string =>
  HEADER.split(',')
    .map((h) => {
      const v = cells[h] ?? '';
      return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
    })
    .join(',');

/** Odd but valid Unicode: combining marks, a right-to-left mark, a ZWJ emoji sequence, CJK, astral. */
const ODD_USER = 'u\u0301ser-\u200F\u05D0-\u{1F469}\u200D\u{1F4BB}';
const ODD_EVENT = 'cafe\u0301 \u2615 \u4E2D\u6587';
const ODD_NOTE = 'nai\u0308ve \u{1F600} \u{20BB7} \uFEFF end';

/** The fixture, line by line (line 1 is the header); the comment says what each line is. */
const FIXTURE_LINES = [
  HEADER, // 1
  csvLine({
    message_id: 'e1',
    user_id: 'u1',
    event: 'order_paid',
    timestamp: '2026-11-02T00:00:00Z',
    amount: '12.5',
    currency: 'CNY',
    order_id: 'o-1',
  }), // 2 accepted
  csvLine({ message_id: 'bad-ts', user_id: 'u1', event: 'login', timestamp: 'yesterday' }), // 3 rejected
  csvLine({ message_id: 'no-user', event: 'login', timestamp: '2026-11-02T00:01:00Z' }), // 4 rejected
  csvLine({
    message_id: 'e-uni',
    user_id: ODD_USER,
    event: ODD_EVENT,
    timestamp: '2026-11-02T00:02:00Z',
    properties: JSON.stringify({ note: ODD_NOTE }),
  }), // 5 accepted
  csvLine({ message_id: 'e1', user_id: 'u9', event: 'order_paid', timestamp: '2026-11-02T00:03:00Z' }), // 6 dup in file
  csvLine({
    type: 'identify',
    message_id: 'i1',
    user_id: 'u1',
    timestamp: '2026-11-02T00:04:00Z',
    traits: '{"email":"a@example.com","city":"Xi\'an"}',
  }), // 7 accepted
  csvLine({
    type: 'identify',
    message_id: 'i1',
    user_id: 'u1',
    timestamp: '2026-11-02T00:05:00Z',
    traits: '{"city":"Other"}',
  }), // 8 dup in file
  csvLine({ message_id: 'e-stored', user_id: 'u3', event: 'view', timestamp: '2026-11-02T00:06:00Z' }), // 9 dup of stored
  csvLine({
    type: 'identify',
    message_id: 'i-stored',
    user_id: 'u3',
    timestamp: '2026-11-02T00:07:00Z',
    traits: '{"city":"Changed"}',
  }), // 10 dup of stored
  csvLine({ type: 'identify', message_id: 'bad-email', user_id: 'u4', traits: '{"email":"nope"}' }), // 11 rejected
  csvLine({
    message_id: 'e2',
    user_id: 'u2',
    event: 'order_paid',
    timestamp: '2026-11-02T00:08:00Z',
    amount: '3',
    currency: 'USD',
  }), // 12 accepted
  csvLine({ user_id: 'u2', event: 'no-id', timestamp: '2026-11-02T00:09:00Z' }), // 13 accepted, derived id
  csvLine({ message_id: 'e2', user_id: 'u2', event: 'order_paid', timestamp: '2026-11-02T00:08:00Z' }), // 14 dup in file
];

/** The fixture as a file's text. */
export const fixtureCsv = (): string => FIXTURE_LINES.join('\n');

/** What the fixture's import reports when `e-stored` and `i-stored` were stored before. */
const FIRST_REPORT = { format: 'csv', records: 13, accepted: 5, duplicates: 5, rejected: 3 };
const FIRST_ERRORS = [
  {
    index: 3,
    field: 'timestamp',
    reason: 'must be an ISO-8601 date-time of a day that exists, e.g. 2026-11-20T08:30:00Z',
  },
  { index: 4, field: 'user_id', reason: 'userId or anonymousId is required' },
  { index: 11, field: 'traits.email', reason: 'must be an email address' },
];

/** The rows an engine holds after an import, in engine-neutral values. */
export interface StoredSnapshot {
  events: {
    messageId: string;
    userId: string;
    event: string;
    tsMs: number;
    amount: number | null;
    currency: string | null;
    properties: unknown;
  }[];
  history: { messageId: string; userId: string; attribute: string; value: unknown }[];
  profiles: { userId: string; email: string | null; city: string | null }[];
  rejections: { source: string; index: number; field: string; raw: string | null }[];
}

const json = (v: unknown): unknown => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export const storedSnapshot = async (w: WarehouseStore): Promise<StoredSnapshot> => {
  const events = await w.query<Record<string, unknown>>(
    `SELECT message_id, user_id, event, ts, amount, currency, properties FROM events ORDER BY message_id`,
  );
  const history = await w.query<Record<string, unknown>>(
    `SELECT message_id, user_id, attribute, value FROM profile_history ORDER BY message_id, attribute`,
  );
  const profiles = await w.query<Record<string, unknown>>(
    `SELECT user_id, email, city FROM profiles ORDER BY user_id`,
  );
  const rejections = await w.query<Record<string, unknown>>(
    `SELECT source, record_index, field, raw FROM ingest_rejections ORDER BY record_index, field, raw`,
  );
  return {
    events: events.map((r) => ({
      // A derived id is a hash of the line and its text: the same on both engines.
      messageId: String(r['message_id']),
      userId: String(r['user_id']),
      event: String(r['event']),
      tsMs: (r['ts'] as Date).getTime(),
      amount: r['amount'] === null ? null : Number(r['amount']),
      currency: text(r['currency']),
      properties: json(r['properties']),
    })),
    history: history.map((r) => ({
      messageId: String(r['message_id']),
      userId: String(r['user_id']),
      attribute: String(r['attribute']),
      value: json(r['value']),
    })),
    profiles: profiles.map((r) => ({
      userId: String(r['user_id']),
      email: text(r['email']),
      city: text(r['city']),
    })),
    rejections: rejections.map((r) => ({
      source: String(r['source']),
      index: Number(r['record_index']),
      field: String(r['field']),
      raw: text(r['raw']),
    })),
  };
};

type Opened = WarehouseStore & { close(): void | Promise<void> };

/** chDB takes one data directory per process: every warehouse of this file lives in it. */
let chdbPath: string | undefined;
let opened = 0;

/** A fresh, empty warehouse on `engine` (DuckDB in memory, a ClickHouse database of its own). */
export const openStore = async (engine: WarehouseEngine): Promise<Opened> => {
  if (engine === 'duckdb') return Warehouse.open(':memory:');
  chdbPath ??= mkdtempSync(join(tmpdir(), 'rekindle-ch-import-'));
  return ClickHouseWarehouse.open(testClickHouseTarget(chdbPath, `import_${process.pid}_${++opened}`));
};

/** Stores the fixture's `e-stored` and `i-stored` as HTTP ingestion would, before the import. */
export const storeEarlier = async (w: WarehouseStore): Promise<void> => {
  const at = Date.UTC(2026, 10, 1);
  const r = await w.commit({
    events: [
      {
        messageId: 'e-stored',
        userId: 'u3',
        anonymousId: null,
        event: 'view',
        ts: at,
        receivedAt: at,
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
    identifies: [
      {
        messageId: 'i-stored',
        userId: 'u3',
        anonymousId: null,
        ts: at,
        receivedAt: at,
        columns: { city: 'Stored' },
        traits: { city: 'Stored' },
        source: 'http',
      },
    ],
    rejections: [],
  });
  expect(r.refused).toEqual([]);
};

const count = async (w: WarehouseStore, sql: string): Promise<number> => Number(await w.scalar(sql));

export const importSuite = (engine: WarehouseEngine): void => {
  describe(`importFile on ${engine}`, () => {
    const tmp = tempDir(`rekindle-import-${engine}-`);
    let n = 0;
    const file = (name: string, content: string): string => {
      const path = join(tmp.dir, `${++n}-${name}`);
      writeFileSync(path, content);
      return path;
    };
    const open: Opened[] = [];
    const store = async (): Promise<Opened> => {
      const w = await openStore(engine);
      open.push(w);
      return w;
    };
    afterEach(async () => {
      for (const w of open.splice(0)) await w.close();
    });
    afterAll(() => tmp.cleanup());

    const fixture = (): string => file('mixed.csv', fixtureCsv());

    it('reports good, bad and duplicate rows of a CSV by line and stores each message once', async () => {
      const w = await store();
      await storeEarlier(w);
      const path = fixture();
      const report = await importFile(w, { path, now, chunkSize: 4 });
      expect(report).toMatchObject(FIRST_REPORT);
      expect(report.errors).toEqual(FIRST_ERRORS);

      const s = await storedSnapshot(w);
      const ids = s.events.map((e) => e.messageId);
      expect(ids.filter((id) => !id.startsWith('import-'))).toEqual(['e-stored', 'e-uni', 'e1', 'e2']);
      expect(ids.filter((id) => id.startsWith('import-'))).toHaveLength(1);
      // The first of a repeated id wins; the stored one keeps its own values.
      const e1 = s.events.find((e) => e.messageId === 'e1');
      expect(e1).toMatchObject({ userId: 'u1', amount: 12.5, currency: 'CNY', tsMs: Date.UTC(2026, 10, 2) });
      expect(s.events.find((e) => e.messageId === 'e-stored')?.tsMs).toBe(Date.UTC(2026, 10, 1));
      // Odd Unicode arrives exactly.
      const uni = s.events.find((e) => e.messageId === 'e-uni');
      expect(uni).toMatchObject({ userId: ODD_USER, event: ODD_EVENT, properties: { note: ODD_NOTE } });
      expect(s.history.map((h) => [h.messageId, h.attribute, h.value])).toEqual([
        ['i-stored', 'city', 'Stored'],
        ['i1', 'city', "Xi'an"],
        ['i1', 'email', 'a@example.com'],
      ]);
      expect(s.profiles).toEqual(
        expect.arrayContaining([
          { userId: 'u1', email: 'a@example.com', city: "Xi'an" },
          { userId: 'u3', email: null, city: 'Stored' },
        ]),
      );
      expect(s.rejections.map((r) => [r.source, r.index, r.field])).toEqual([
        ['import', 3, 'timestamp'],
        ['import', 4, 'user_id'],
        ['import', 11, 'traits.email'],
      ]);
      expect(s.rejections[0]?.raw).toBe(',bad-ts,u1,,login,yesterday,,,,,,,,');
      expect(await existingMessageIds(w, 'events', ['e1', 'e-uni', 'i1', 'nope'])).toEqual(
        new Set(['e1', 'e-uni']),
      );
      expect(await existingMessageIds(w, 'profile_history', ['i1', 'e1'])).toEqual(new Set(['i1']));
    });

    it('stores nothing twice when the same file is imported again, in any chunk size', async () => {
      const w = await store();
      await storeEarlier(w);
      const path = fixture();
      await importFile(w, { path, now, chunkSize: 100 });
      const before = await storedSnapshot(w);
      const again = await importFile(w, { path, now, chunkSize: 3 });
      // Every valid record is now a duplicate; the bad ones are reported (and kept) again.
      expect(again).toMatchObject({ records: 13, accepted: 0, duplicates: 10, rejected: 3 });
      expect(again.errors).toEqual(FIRST_ERRORS);
      const after = await storedSnapshot(w);
      expect(after.events).toEqual(before.events);
      expect(after.history).toEqual(before.history);
      expect(after.profiles).toEqual(before.profiles);
      expect(after.rejections).toHaveLength(6);
      expect(await count(w, 'SELECT count(*) FROM events')).toBe(5);
      expect(await count(w, 'SELECT count(*) FROM profile_history')).toBe(3);
    });

    it('completes an import cut part way through when it is run again', async () => {
      const w = await store();
      // The first chunks of a cut run: the first 6 lines were stored, then the process died.
      const cut = file('cut.csv', FIXTURE_LINES.slice(0, 7).join('\n'));
      const first = await importFile(w, { path: cut, now, chunkSize: 2 });
      expect(first).toMatchObject({ records: 6, accepted: 3, duplicates: 1, rejected: 2 });
      const rerun = await importFile(w, { path: fixture(), now, chunkSize: 2 });
      // The 3 records the cut run stored (e1, e-uni, i1) are now duplicates too.
      expect(rerun).toMatchObject({ records: 13, accepted: 4, duplicates: 6, rejected: 3 });
      expect(await count(w, 'SELECT count(*) FROM events')).toBe(5);
      expect(await count(w, "SELECT count(*) FROM events WHERE message_id = 'e1'")).toBe(1);
      expect(await count(w, "SELECT count(*) FROM profile_history WHERE message_id = 'i1'")).toBe(2);
    });

    it('stores an id repeated across chunks once, looking only at suspects in an empty warehouse', async () => {
      const w = await store();
      const lines = [HEADER];
      for (let i = 0; i < 12; i++)
        lines.push(csvLine({ message_id: `d${i % 5}`, user_id: `u${i}`, event: 'view' }));
      const report = await importFile(w, { path: file('dups.csv', lines.join('\n')), now, chunkSize: 3 });
      expect(report).toMatchObject({ records: 12, accepted: 5, duplicates: 7, rejected: 0 });
      const rows = await w.query<{ message_id: string; user_id: string }>(
        'SELECT message_id, user_id FROM events ORDER BY message_id',
      );
      expect(rows).toEqual([0, 1, 2, 3, 4].map((i) => ({ message_id: `d${i}`, user_id: `u${i}` })));
    });

    it('looks up more ids than one bound list holds', async () => {
      const w = await store();
      const ids = Array.from({ length: 3000 }, (_, i) => `long-message-id-${'x'.repeat(60)}-${i}`);
      const lines = [
        HEADER,
        ...ids.map((id, i) => csvLine({ message_id: id, user_id: `u${i % 7}`, event: 'e' })),
      ];
      const path = file('many.csv', lines.join('\n'));
      expect(await importFile(w, { path, now })).toMatchObject({ records: 3000, accepted: 3000 });
      const again = await importFile(w, { path, now });
      expect(again).toMatchObject({ records: 3000, accepted: 0, duplicates: 3000 });
      expect(await count(w, 'SELECT count(*) FROM events')).toBe(3000);
    });

    it('reads on a worker thread with the same result', async () => {
      const w = await store();
      await storeEarlier(w);
      const report = await importFile(w, { path: fixture(), now, chunkSize: 4, worker: true });
      expect(report).toMatchObject(FIRST_REPORT);
      expect(report.errors).toEqual(FIRST_ERRORS);
      expect(await count(w, 'SELECT count(*) FROM events')).toBe(5);
    });

    it('reports a record the warehouse itself refuses by its line, and keeps it with the rejections', async () => {
      const w = await store();
      const path = file(
        'alias.ndjson',
        [
          { messageId: 'g1', type: 'group', userId: 'u2', groupId: 'team-1' },
          { messageId: 'a1', type: 'alias', userId: 'u5', previousId: 'u7' },
          // The reverse alias would close a cycle: the warehouse refuses it, on both engines.
          { messageId: 'a2', type: 'alias', userId: 'u7', previousId: 'u5' },
          { messageId: 't1', userId: 'u2', event: 'ok', properties: { k: 'v' } },
        ]
          .map((m) => JSON.stringify(m))
          .join('\n'),
      );
      const report = await importFile(w, { path, now });
      const stored = await w.query<{ message_id: string }>(
        'SELECT message_id FROM events ORDER BY message_id',
      );
      const rejections = await w.query<{ record_index: number; field: string }>(
        "SELECT record_index, field FROM ingest_rejections WHERE source = 'import' ORDER BY record_index",
      );
      expect(report).toMatchObject({ records: 4, accepted: 3, duplicates: 0, rejected: 1 });
      expect(report.errors).toEqual([
        {
          index: 3,
          field: 'previousId',
          reason: "would make a cycle: userId 'u7' is already merged into 'u5'",
        },
      ]);
      expect(stored.map((r) => r.message_id)).toEqual(['a1', 'g1', 't1']);
      expect(rejections.map((r) => [Number(r.record_index), r.field])).toEqual([[3, 'previousId']]);
      // The group's trait is in the history under the group event's id on both engines.
      expect(await existingMessageIds(w, 'profile_history', ['g1', 't1'])).toEqual(new Set(['g1']));
    });

    it('runs the import command on this engine and closes the warehouse', async () => {
      const path = fixture();
      const out: string[] = [];
      // The command closes the warehouse itself.
      const code = await runImport(path, { json: true }, () => openStore(engine), {
        stdout: { write: (t: string) => out.push(t) },
        stderr: { write: () => true },
      });
      expect(code).toBe(1);
      const report = JSON.parse(out.join('')) as ImportReport;
      expect(report).toMatchObject({ records: 13, accepted: 7, duplicates: 3, rejected: 3 });
    });
  });
};
