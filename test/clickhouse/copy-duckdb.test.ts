import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../../src/demo/load-demo.ts';
import { ClickHouseDb } from '../../src/storage/clickhouse/client.ts';
import {
  baseType,
  COPY_TABLES,
  planTableCopy,
  type Column,
} from '../../src/storage/clickhouse/copy-columns.ts';
import { copyDuckDbToClickHouse } from '../../src/storage/clickhouse/copy-from-duckdb.ts';
import { parseClickHouseTarget, type ClickHouseTarget } from '../../src/storage/clickhouse/target.ts';
import { acquireDataDirLock } from '../../src/storage/data-dir-lock.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';

/**
 * `copyDuckDbToClickHouse` on the ClickHouse engine (chDB here; a server with CLICKHOUSE_URL):
 * demo users plus hand-made rows with unicode, NULLs, times at the edges of DateTime64 and JSON
 * with odd keys, copied and compared row by row; a second copy adds nothing; a table cut short
 * is refused unless --replace; a time ClickHouse cannot hold is refused before anything is written.
 */

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'rekindle.js');
const dir = mkdtempSync(join(tmpdir(), 'rekindle-copy-test-'));
const dataDir = join(dir, 'data');
const warehousePath = join(dataDir, 'warehouse.duckdb');

const target = (): ClickHouseTarget => {
  const url = process.env['CLICKHOUSE_URL'];
  if (url === undefined) return { kind: 'chdb', path: join(dir, 'chdb'), database: 'copy_test' };
  const t = parseClickHouseTarget(url);
  if (!t.ok) throw new Error(t.error);
  return { ...t.value, database: `copy_test_${process.pid}` } as ClickHouseTarget;
};

let wh: Warehouse;
let db: ClickHouseDb;

const T_MIN = Date.UTC(1900, 0, 1); // DateTime64's first instant
const T_MAX = Date.UTC(2299, 11, 31, 23, 59, 59, 999);
const ODD_JSON = '{"a b":1,"ключ":"值 🙂","":null,"$.x":[1,{"y":"z"}],"q\\"k":"line\\nbreak","n":1.5e300}';

/** Rows no generator makes: every table, edge values, NULLs where the column allows them. */
const handMadeRows = async (w: Warehouse) => {
  await w.write(
    `INSERT INTO events VALUES
       ('m-edge-1', 'ü-用户-🙂', NULL, 'order', epoch_ms(${T_MIN}::BIGINT), epoch_ms(${T_MAX}::BIGINT),
        12.5, 'CNY', 'p-1', '衣服', 'o-1', 'ios', '${ODD_JSON.replaceAll("'", "''")}', 'import'),
       ('m-edge-2', 'ü-用户-🙂', 'anon-x', 'app_open', epoch_ms((-1)::BIGINT), epoch_ms(0::BIGINT),
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'http'),
       ('m-edge-3', 'u "quoted" \\ back', NULL, 'pay', epoch_ms(1767225600123::BIGINT), epoch_ms(1767225600124::BIGINT),
        -123.456, 'USD', NULL, NULL, NULL, 'web', '{}', 'http')`,
  );
  await w.write(
    `INSERT INTO profiles (user_id, register_time, city, balance, consent_push, consent_sms, consent_email,
                           traits, first_seen, updated_at)
     VALUES ('ü-用户-🙂', NULL, '上海', NULL, true, false, NULL, '${ODD_JSON.replaceAll("'", "''")}',
             epoch_ms(${T_MIN}::BIGINT), epoch_ms(${T_MAX}::BIGINT)),
            ('u "quoted" \\ back', epoch_ms((-86400000)::BIGINT), NULL, 1e300, NULL, NULL, true, NULL,
             epoch_ms(0::BIGINT), epoch_ms(1::BIGINT))`,
  );
  await w.write(
    `INSERT INTO profile_history VALUES
       ('ü-用户-🙂', 'membership', '"plus"', epoch_ms(${T_MIN}::BIGINT), epoch_ms(0::BIGINT), 'm-h1', 'http'),
       ('ü-用户-🙂', 'city', NULL, epoch_ms(5::BIGINT), epoch_ms(6::BIGINT), 'm-h2', 'import')`,
  );
  await w.write(
    `INSERT INTO message_facts (message_id, campaign_id, run_id, step, variant, user_id, channel, status, ts,
                                cost, revenue, properties, seq)
     VALUES ('f-1', 'c-1', NULL, NULL, 'B', 'ü-用户-🙂', 'sms', 'delivered', epoch_ms(${T_MAX}::BIGINT),
             0.05, NULL, '{"provider":"阿里"}', 9007199254740991),
            ('f-2', NULL, NULL, NULL, NULL, 'x', 'push', 'sent', epoch_ms(0::BIGINT), NULL, NULL, NULL, NULL)`,
  );
  await w.write(
    `INSERT INTO user_scores (user_id, lifecycle_stage, rfm_tier, rfm_r, rfm_f, rfm_m, churn_risk_score,
                              churn_risk_level, ltv, computed_at) VALUES
       ('ü-用户-🙂', 'silent', 'high', 5, 1, 3, 0.875, 'high', 1234.5, epoch_ms(1::BIGINT)),
       ('x', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  );
  await w.write(
    `INSERT INTO ingest_rejections VALUES
       (epoch_ms(7::BIGINT), 'http', -1, 'timestamp', 'not a time: “2026-02-30”', NULL),
       (epoch_ms(8::BIGINT), 'import', 2147483647, 'userId', 'missing', '{"raw":"\\u0000"}')`,
  );
  await w.write(
    `INSERT INTO audience_snapshot_members VALUES ('s-1', 'ü-用户-🙂'), ('s-1', 'x'), ('s-2', 'x')`,
  );
  await w.write(
    `INSERT INTO identity_links VALUES ('anon-ü', 'ü-用户-🙂', 'ü-用户-🙂', 'identify', 'm-l1', epoch_ms(5::BIGINT)),
       ('old "id"', 'anon-ü', 'ü-用户-🙂', 'alias', 'm-l2', epoch_ms(${T_MAX}::BIGINT))`,
  );
  await w.write(
    `INSERT INTO conversions VALUES ('m-edge-3', 'u "quoted" \\ back', 'pay', epoch_ms(1767225600123::BIGINT),
       -123.456, 'k-1', 'c-1', 'r-1', NULL, 'sms', epoch_ms(1767225600000::BIGINT), epoch_ms(${T_MAX}::BIGINT))`,
  );
};

const num = (v: unknown): unknown =>
  typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.getTime() : v;

/**
 * ClickHouse's profiles view rebuilds traits from a map (keys sorted; a null value removes its
 * key, as a merge patch does) and derives updated_at from the last identify (profile-ddl.ts):
 * traits are compared as documents without null members, updated_at apart.
 */
const traitsOf = (text: unknown): string => {
  const doc = JSON.parse(String(text)) as Record<string, unknown>;
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(doc)
        .sort()
        .filter((k) => doc[k] !== null)
        .map((k) => [k, doc[k]]),
    ),
  );
};

/** Every row of a table on both sides, times as epoch ms, sorted: equal when the copy is exact. */
const bothSides = async (table: string) => {
  const columns = await db.query<{ name: string; type: string; default_kind: string }>(
    'SELECT name, type, default_kind FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position',
    { t: table },
  );
  const all: Column[] = columns.map((c) => ({ ...c, hasDefault: c.default_kind === 'DEFAULT' }));
  const source = await wh.query<Column>(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = $1`,
    [table],
  );
  const plan = planTableCopy(table, all, source);
  if (!plan.ok) throw new Error(plan.error);
  // The columns copied (a ClickHouse column DuckDB lacks keeps its default: identity_links.version).
  const target: Column[] = plan.value.structure;
  const isTime = (c: Column) => baseType(c.type).startsWith('DateTime64');
  const duck = await wh.query(
    `SELECT ${target.map((c) => (isTime(c) ? `epoch_ms("${c.name}") AS "${c.name}"` : `"${c.name}"`)).join(', ')}
     FROM (${plan.value.select})`,
  );
  const ch = await db.query(
    `SELECT ${target.map((c) => (isTime(c) ? `toUnixTimestamp64Milli(${c.name}) AS ${c.name}` : c.name)).join(', ')} FROM ${table}`,
  );
  const compared = target.filter((c) => !(table === 'profiles' && c.name === 'updated_at'));
  const value = (c: Column, v: unknown) =>
    table === 'profiles' && c.name === 'traits' ? traitsOf(v) : num(v);
  const norm = (rows: Record<string, unknown>[]) =>
    rows
      .map((r) => JSON.stringify(Object.fromEntries(compared.map((c) => [c.name, value(c, r[c.name])]))))
      .sort();
  return { duck: norm(duck), ch: norm(ch) };
};

const counts = async () =>
  Object.fromEntries(
    await Promise.all(
      COPY_TABLES.map(
        async (t) =>
          [t, Number((await db.query<{ n: number }>(`SELECT count() AS n FROM ${t}`))[0]?.n)] as const,
      ),
    ),
  );

beforeAll(async () => {
  wh = await Warehouse.open(warehousePath);
  await loadDemo(wh, { size: 300, seed: 3, now: Date.UTC(2026, 10, 1) });
  await handMadeRows(wh);
  db = await ClickHouseDb.open(target());
});

afterAll(async () => {
  if (process.env['CLICKHOUSE_URL'] !== undefined)
    await db?.command(`DROP DATABASE IF EXISTS ${db.database}`);
  await db?.close();
  wh?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('copyDuckDbToClickHouse', () => {
  it('copies every table: equal counts, every row equal with its types', async () => {
    const lines: string[] = [];
    const r = await copyDuckDbToClickHouse(wh, db, { log: (l) => lines.push(l) });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.tables.map((t) => t.table)).toEqual([...COPY_TABLES]);
    for (const t of r.value.tables) {
      expect(t.action, t.table).toBe('copied');
      expect(t.targetRows, t.table).toBe(t.sourceRows);
      expect(t.sourceRows, t.table).toBe(Number(await wh.scalar(`SELECT count(*) FROM ${t.table}`)));
    }
    const events = r.value.tables.find((t) => t.table === 'events');
    expect(events?.sourceRows).toBeGreaterThan(1000);
    // The verification is printed, one line per table.
    expect(lines.filter((l) => /DuckDB\s+\d+\s+ClickHouse\s+\d+/.test(l))).toHaveLength(COPY_TABLES.length);

    for (const table of COPY_TABLES) {
      const { duck, ch } = await bothSides(table);
      expect(ch.length, table).toBe(duck.length);
      expect(ch, table).toEqual(duck);
    }
  });

  it('keeps the hand-made values typed: times as ms, numbers, booleans, NULLs, JSON text', async () => {
    const [e1] = await db.query<Record<string, unknown>>(
      `SELECT user_id, toUnixTimestamp64Milli(ts) AS ts, toUnixTimestamp64Milli(received_at) AS received_at,
              amount, category, properties, anonymous_id FROM events WHERE message_id = 'm-edge-1'`,
    );
    expect(e1).toEqual({
      user_id: 'ü-用户-🙂',
      ts: T_MIN,
      received_at: T_MAX,
      amount: 12.5,
      category: '衣服',
      properties: ODD_JSON,
      anonymous_id: null,
    });
    expect(JSON.parse(String(e1?.['properties']))).toMatchObject({ 'a b': 1, ключ: '值 🙂', '': null });
    const [e2] = await db.query<Record<string, unknown>>(
      `SELECT toUnixTimestamp64Milli(ts) AS ts, amount, properties FROM events WHERE message_id = 'm-edge-2'`,
    );
    // A NULL document is the empty object (the column holds text, never NULL).
    expect(e2).toEqual({ ts: -1, amount: null, properties: '{}' });
    const profiles = await db.query<Record<string, unknown>>(
      `SELECT user_id, consent_push, consent_sms, consent_email, balance, toUnixTimestamp64Milli(register_time) AS rt
       FROM profiles WHERE user_id IN ('ü-用户-🙂', 'u "quoted" \\\\ back') ORDER BY user_id`,
    );
    expect(profiles).toEqual([
      {
        user_id: 'u "quoted" \\ back',
        consent_push: null,
        consent_sms: null,
        consent_email: true,
        balance: 1e300,
        rt: -86400000,
      },
      {
        user_id: 'ü-用户-🙂',
        consent_push: true,
        consent_sms: false,
        consent_email: null,
        balance: null,
        rt: null,
      },
    ]);
    const [fact] = await db.query<{ seq: number }>(`SELECT seq FROM message_facts WHERE message_id = 'f-1'`);
    expect(fact?.seq).toBe(9007199254740991);
    const [h] = await db.query<{ value: string | null }>(
      `SELECT value FROM profile_history WHERE message_id = 'm-h2'`,
    );
    expect(h?.value).toBeNull();
  });

  it('a second copy adds nothing: every table is already copied', async () => {
    const before = await counts();
    const r = await copyDuckDbToClickHouse(wh, db);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.tables.every((t) => t.action === 'already_copied')).toBe(true);
    expect(r.value.copiedRows).toBe(0);
    expect(await counts()).toEqual(before);
  });

  it('refuses a table cut short unless --replace, then copies it again exactly', async () => {
    // A copy that died in the middle of events: part of the rows are there.
    await db.command(`ALTER TABLE events DELETE WHERE user_id = 'ü-用户-🙂'`, {}, { mutations_sync: '2' });
    const cut = await counts();
    const refused = await copyDuckDbToClickHouse(wh, db);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error).toEqual([
      { kind: 'not_empty', table: 'events', sourceRows: cut['events']! + 2, targetRows: cut['events'] },
    ]);
    expect(await counts()).toEqual(cut);

    const r = await copyDuckDbToClickHouse(wh, db, { replace: true });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.tables.find((t) => t.table === 'events')?.action).toBe('replaced');
    expect(r.value.tables.filter((t) => t.action !== 'already_copied').map((t) => t.table)).toEqual([
      'events',
    ]);
    const { duck, ch } = await bothSides('events');
    expect(ch).toEqual(duck);
  });

  it('refuses a time ClickHouse cannot hold, naming table, column and rows, and writes nothing', async () => {
    await wh.write(`INSERT INTO audience_snapshot_members VALUES ('s-3', 'y')`);
    await wh.write(
      `INSERT INTO ingest_rejections VALUES (TIMESTAMP '9999-12-31 23:59:59.999', 'http', 0, 'x', 'y', NULL)`,
    );
    const before = await counts();
    const r = await copyDuckDbToClickHouse(wh, db, { replace: true });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toEqual([
      { kind: 'out_of_range', table: 'ingest_rejections', column: 'received_at', rows: 1 },
    ]);
    // audience_snapshot_members would have been replaced: the refusal came first.
    expect(await counts()).toEqual(before);
    await wh.write(`DELETE FROM ingest_rejections WHERE received_at > TIMESTAMP '2299-12-31'`);
    await wh.write(`DELETE FROM audience_snapshot_members WHERE snapshot_id = 's-3'`);
  });
});

/** The CLI as its own process (it opens its own chDB, on another path). */
const rekindle = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, LOG_LEVEL: 'error', REKINDLE_DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });

describe('rekindle warehouse copy', () => {
  it('refuses while another process (a server) holds the data directory, naming it', async () => {
    wh.close();
    const lock = acquireDataDirLock(dataDir, { command: 'serve' });
    if (!lock.ok) throw new Error(lock.error.message);
    try {
      const r = await rekindle(['warehouse', 'copy', '--to', `chdb://${join(dir, 'cli-chdb')}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `is in use by another Rekindle process: \`rekindle serve\`, pid ${process.pid}`,
      );
      expect(r.stdout).toBe('');
    } finally {
      lock.value.release();
    }
  });

  it('never prints the password of the address', async () => {
    const r = await rekindle(['warehouse', 'copy', '--to', 'clickhouse://alice:s3cr3t-pw@127.0.0.1:1/rk']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('127.0.0.1:1');
    expect(r.stderr + r.stdout).not.toContain('s3cr3t-pw');
  });

  it('copies the data directory into chDB and prints equal counts; a rerun copies nothing', async () => {
    const to = `chdb://${join(dir, 'cli-chdb')}?database=cli`;
    const first = await rekindle(['warehouse', 'copy', '--to', to]);
    expect(first.stderr).not.toContain('rekindle:');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/row counts equal on both sides/);
    expect(first.stdout).toMatch(/events\s+[\d,]+ rows\s+copied/);
    expect(first.stderr).toMatch(/events\s+DuckDB\s+\d+\s+ClickHouse\s+\d+/);
    const again = await rekindle(['warehouse', 'copy', '--to', to]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Copied 0 rows/);
    expect(again.stdout).toMatch(/events\s+[\d,]+ rows\s+already copied/);
  });
});
