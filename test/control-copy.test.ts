import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { copyOrder } from '../src/core/storage/control-copy-order.ts';
import { loadMasterKeys, openSecrets } from '../src/lib/secret-box.ts';
import { acquireDataDirLock } from '../src/storage/data-dir-lock.ts';
import { insertCampaignRun } from '../src/storage/control/planner-inputs.ts';
import { copyControlPlane, formatControlCopyRefusal } from '../src/storage/control/copy-to-postgres.ts';
import { loadMigrations, type Migration } from '../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { approvedCampaign, fillOutbox, webhookContent } from './support/delivery-fixtures.ts';
import { apiCall, postJson, startTestServer } from './support/runtime.ts';
import { tempDir } from './support/tmp.ts';

/**
 * Issue 19 point 5: `rekindle control copy` moves an embedded control plane (PGlite) into
 * PostgreSQL; the installation then works there as before (logins, write keys, sealed secrets).
 */

const NOW = Date.UTC(2026, 2, 10, 4, 0, 0);
const PASSWORD = 'Copy-me-exactly-42';
const SECRET = 'secret-value-1234';
const BIN = join(import.meta.dirname, '..', 'bin', 'rekindle.js');

/** A table with every awkward type, added as a migration the copy has never heard of. */
const TYPES_MIGRATION: Migration = {
  version: 999,
  name: 'copy_types',
  sql: `CREATE TABLE copy_types (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent bigint REFERENCES copy_types(id),
    raw bytea, doc jsonb, tags text[], nums bigint[], at timestamptz, amount numeric(30, 10),
    ratio double precision, note text, flag boolean,
    doubled numeric GENERATED ALWAYS AS (amount * 2) STORED)`,
};
const WITH_TYPES = [...loadMigrations(), TYPES_MIGRATION];

const tmp = tempDir('rekindle-control-copy-');
const dataDir = tmp.dir;
const pgliteDir = join(dataDir, 'control');
const schema = `control_copy_${process.pid}`;
const cliSchema = `control_copy_cli_${process.pid}`;
const url = inject('postgresUrl');
const made: { writeKey: string; providerId: string; audienceId: string; adminId: number } = {
  writeKey: '',
  providerId: '',
  audienceId: '',
  adminId: 0,
};

const target = (s = schema) => openSqlClient({ databaseUrl: url, pgliteDir: '', schema: s });

/** Every row of every table as PostgreSQL prints it, times in UTC, sorted here (not by a collation). */
const allRows = async (db: SqlClient): Promise<Record<string, string[]>> =>
  db.transaction(async (tx) => {
    await tx.exec(`SET LOCAL TimeZone = 'UTC'`);
    const tables = await tx.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace
         AND relkind = 'r' AND relname <> 'schema_migrations' ORDER BY 1`,
    );
    const out: Record<string, string[]> = {};
    for (const { name } of tables)
      out[name] = (await tx.query<{ r: string }>(`SELECT t::text AS r FROM ${name} t`))
        .map((x) => x.r)
        .sort();
    return out;
  });

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

beforeAll(async () => {
  // The embedded installation, built through its services and API.
  const s = await startTestServer({ dataDir, clock: () => NOW });
  try {
    const admin = await createUser(s.rt.control, { name: 'ada', role: 'admin' });
    if (!admin.ok) throw new Error('user');
    made.adminId = admin.value.id;
    const token = await issueApiToken(s.rt.control, admin.value.id);
    const as = (method: string, path: string, body?: unknown) => apiCall(s.url, token, method, path, body);
    expect(
      (await as('PUT', `/v1/team/members/${admin.value.id}/password`, { password: PASSWORD })).status,
    ).toBe(200);
    const key = await as('POST', '/v1/write-keys', { name: 'iOS app' });
    expect(key.status).toBe(201);
    made.writeKey = String(key.json['key']);
    const provider = await as('POST', '/v1/providers', {
      kind: 'sms_http',
      name: '短信网关',
      config: { url: 'http://127.0.0.1:9/send', authHeader: 'x-api-key' },
      secrets: { authValue: SECRET },
    });
    expect(provider.status).toBe(201);
    made.providerId = String(provider.json['id']);
    const audience = await as('POST', '/v1/audiences', {
      name: 'Drifting buyers',
      description: 'two orders, none in 30 days',
      definition: { kind: 'metric', event: 'order', fn: 'count', op: 'gte', value: 2 },
    });
    expect(audience.status).toBe(201);
    made.audienceId = String(audience.json['id']);
    await approvedCampaign(s.rt.control, 'c-copy', [webhookContent('http://127.0.0.1:9/hook')]);
    await insertCampaignRun(s.rt.control, {
      runId: 'run1',
      campaignId: 'c-copy',
      slotAt: NOW,
      snapshotId: 'snap-1',
      plannedAt: NOW,
      members: 7,
      messages: 7,
      holdout: 0,
      skipped: 0,
      spendCents: 35,
      skipReasons: { quiet_hours: 1 },
    });
    await fillOutbox(
      s.rt.control,
      Array.from({ length: 7 }, (_, i) => ({
        key: `k-${i}`,
        campaignId: 'c-copy',
        userId: `u${i}`,
        channel: 'webhook',
        sendAt: NOW + i * 60_000,
      })),
    );
  } finally {
    await s.stop();
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA IF NOT EXISTS ${cliSchema}`);
  await admin.end();
}, 60_000);

afterAll(() => tmp.cleanup());

describe('the copy order', () => {
  it('puts referenced tables first, ignores a self-reference, and names a cycle', () => {
    expect(
      copyOrder(
        ['outbox', 'campaigns', 'users', 'workspaces', 'copy_types'],
        [
          { from: 'outbox', to: 'campaigns' },
          { from: 'campaigns', to: 'users' },
          { from: 'campaigns', to: 'workspaces' },
          { from: 'users', to: 'workspaces' },
          { from: 'copy_types', to: 'copy_types' },
        ],
      ),
    ).toEqual({ ok: true, value: ['copy_types', 'workspaces', 'users', 'campaigns', 'outbox'] });
    expect(
      copyOrder(
        ['a', 'b', 'c'],
        [
          { from: 'a', to: 'b' },
          { from: 'b', to: 'a' },
        ],
      ),
    ).toEqual({
      ok: false,
      error: { cycle: ['a', 'b'] },
    });
  });
});

describe('rekindle control copy (the CLI)', () => {
  it('refuses while a server holds the data directory, naming it', async () => {
    const lock = acquireDataDirLock(dataDir, { command: 'serve' });
    if (!lock.ok) throw new Error(lock.error.message);
    try {
      const r = await rekindle(['control', 'copy', '--to', `${url}?options=-c%20search_path%3D${cliSchema}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `is in use by another Rekindle process: \`rekindle serve\`, pid ${process.pid}`,
      );
      expect(r.stdout).toBe('');
    } finally {
      lock.value.release();
    }
  }, 30_000);

  it('never prints the password of the address, and refuses what is not PostgreSQL', async () => {
    const r = await rekindle(['control', 'copy', '--to', 'postgres://alice:s3cr3t-pw@127.0.0.1:1/rk']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('postgres://alice@127.0.0.1:1/rk');
    expect(r.stderr + r.stdout).not.toContain('s3cr3t-pw');
    const bad = await rekindle(['control', 'copy', '--to', 'mysql://127.0.0.1/rk']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--to: mysql is not PostgreSQL');
  }, 30_000);

  it('copies the data directory and prints the counts; a second run is refused, naming a table', async () => {
    const to = `${url}?options=-c%20search_path%3D${cliSchema}`;
    const first = await rekindle(['control', 'copy', '--to', to]);
    expect(first.stderr).not.toContain('rekindle:');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/row counts equal on both sides/);
    expect(first.stdout).toMatch(/outbox\s+7 rows/);
    expect(first.stdout).toMatch(/campaign_runs\s+1 rows/);
    expect(first.stdout).toMatch(/workspaces\s+1 rows/);
    const again = await rekindle(['control', 'copy', '--to', to]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/nothing was copied: the target's table \w+ already holds \d+ rows?/);
    const source = await openSqlClient({ pgliteDir });
    const copied = await target(cliSchema);
    try {
      expect(await allRows(copied)).toEqual(await allRows(source));
    } finally {
      await copied.close();
      await source.close();
    }
  }, 60_000);
});

describe('copyControlPlane: PGlite → PostgreSQL', () => {
  it('copies every table exactly (bytea, jsonb, arrays, timestamptz, numeric, NULLs), in batches, counts verified', async () => {
    const source = await openSqlClient({ pgliteDir });
    const db = await target();
    try {
      // A table from a migration the copy code never names, with every awkward value.
      await source.transaction(async (tx) => {
        const { migrate } = await import('../src/storage/control/migrate.ts');
        await migrate(tx, WITH_TYPES);
      });
      await source.query(
        `INSERT INTO copy_types (parent, raw, doc, tags, nums, at, amount, ratio, note, flag) VALUES
          (NULL, '\\x00ff5c0a22'::bytea, '{"a": [1, 2.50, null], "b": "引号\\"", "c": {}}', ARRAY['x,y', '"q"', NULL, ''],
           ARRAY[9007199254740993, -1]::bigint[], '2026-03-10 04:00:00.123456+08', 12345678901234567890.0123456789,
           0.1, E'line\\nbreak, "quoted"', true),
          (1, ''::bytea, 'null', '{}', NULL, '1970-01-01 00:00:00+00', -0.0000000001, 1e-300, '', false),
          (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
      );
      // A deleted row: the identity must pass the source's value, not only the copied maximum.
      await source.query(`INSERT INTO copy_types (note) VALUES ('gone')`);
      await source.query(`DELETE FROM copy_types WHERE note = 'gone'`);
      const lines: string[] = [];
      const r = await copyControlPlane(source, db, {
        migrations: WITH_TYPES,
        batchRows: 2,
        log: (l) => lines.push(l),
      });
      if (!r.ok) throw new Error(formatControlCopyRefusal(r.error));
      const counts = Object.fromEntries(r.value.tables.map((t) => [t.table, t.rows]));
      expect(counts).toMatchObject({
        outbox: 7,
        campaign_runs: 1,
        copy_types: 3,
        workspaces: 1,
        providers: 1,
      });
      expect(Number(counts['audit_log'])).toBeGreaterThanOrEqual(4);
      expect(r.value.copiedRows).toBe(r.value.tables.reduce((n, t) => n + t.rows, 0));
      // Parents before children: the order came from pg_constraint.
      const order = r.value.tables.map((t) => t.table);
      expect(order.indexOf('workspaces')).toBeLessThan(order.indexOf('users'));
      expect(order.indexOf('users')).toBeLessThan(order.indexOf('campaigns'));
      expect(order.indexOf('campaigns')).toBeLessThan(order.indexOf('campaign_runs'));
      expect(lines.some((l) => /^outbox\s+7 rows$/.test(l))).toBe(true);

      expect(await allRows(db)).toEqual(await allRows(source));
      const [typed] = await db.query<{ raw: Buffer; amount: string; nums: string[]; at: Date }>(
        `SELECT raw, amount::text AS amount, nums::text[] AS nums, at FROM copy_types WHERE id = 1`,
      );
      expect(typed?.raw.toString('hex')).toBe('00ff5c0a22');
      expect(typed?.amount).toBe('12345678901234567890.0123456789');
      expect(typed?.nums).toEqual(['9007199254740993', '-1']);
      expect(typed?.at.toISOString()).toBe('2026-03-09T20:00:00.123Z');
      // Identity and serial sequences continue past what was used on the source.
      const [next] = await db.query<{ id: string }>(
        `INSERT INTO copy_types (note) VALUES ('new') RETURNING id`,
      );
      expect(Number(next?.id)).toBe(5);
    } finally {
      await db.close();
      await source.close();
    }
  }, 60_000);

  it('the installation works on PostgreSQL as before: password, write key, sealed secret, new rows', async () => {
    const s = await startTestServer({
      dataDir,
      clock: () => NOW,
      config: { databaseUrl: url },
      controlSchema: schema,
    });
    try {
      const login = await postJson(`${s.url}/v1/auth/login`, { name: 'ada', password: PASSWORD }, null);
      expect(login.status).toBe(200);
      expect(String(login.json['token'])).toMatch(/^rks_/);
      const wrong = await postJson(
        `${s.url}/v1/auth/login`,
        { name: 'ada', password: 'Not-the-one-42' },
        null,
      );
      expect(wrong.status).toBe(401);
      const tracked = await postJson(
        `${s.url}/v1/track`,
        { userId: 'u1', event: 'Opened', messageId: 'm-after-copy' },
        made.writeKey,
      );
      expect(tracked.status).toBe(200);
      const [row] = await s.rt.control.query<{ secrets_enc: string }>(
        'SELECT secrets_enc FROM providers WHERE id = $1',
        [made.providerId],
      );
      expect(openSecrets(loadMasterKeys({}, dataDir), String(row?.secrets_enc))).toEqual({
        authValue: SECRET,
      });
      const audience = await apiCall(
        s.url,
        String(login.json['token']),
        'GET',
        `/v1/audiences/${made.audienceId}`,
      );
      expect(audience.status).toBe(200);
      expect(audience.json).toMatchObject({ name: 'Drifting buyers' });
      const outbox = await s.rt.control.query<{ n: string }>(
        `SELECT count(*) AS n FROM outbox WHERE campaign_id = 'c-copy' AND run_id = 'run1'`,
      );
      expect(Number(outbox[0]?.n)).toBe(7);
      // The users sequence was set past the copied ids: a new user gets a fresh one.
      const bob = await createUser(s.rt.control, { name: 'bob', role: 'viewer' });
      if (!bob.ok) throw new Error('user');
      expect(bob.value.id).toBeGreaterThan(made.adminId);
    } finally {
      await s.stop();
    }
  }, 60_000);

  it('refuses a second copy into the now used target, naming the table, and changes nothing', async () => {
    const source = await openSqlClient({ pgliteDir });
    const db = await target();
    try {
      const before = await allRows(db);
      const r = await copyControlPlane(source, db, { migrations: WITH_TYPES });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.kind).toBe('target_not_empty');
      if (r.error.kind !== 'target_not_empty') return;
      expect(before[r.error.table]).toHaveLength(r.error.rows);
      expect(formatControlCopyRefusal(r.error)).toContain(`table ${r.error.table} already holds`);
      expect(await allRows(db)).toEqual(before);
      expect(existsSync(pgliteDir)).toBe(true);
    } finally {
      await db.close();
      await source.close();
    }
  }, 60_000);
});
