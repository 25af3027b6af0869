import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import {
  judgeLock,
  parseLockOwner,
  START_TOLERANCE_MS,
  type LockOwner,
  type LockProbe,
} from '../src/core/storage/data-dir-lock.ts';
import { createProviderAs } from '../src/delivery/providers/provider-service.ts';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { openRuntime } from '../src/runtime.ts';
import { createUser } from '../src/storage/control/users.ts';
import { DataDirLockedError, LOCK_FILE } from '../src/storage/data-dir-lock.ts';
import { startChildServer } from './support/child-server.ts';
import {
  approvedCampaign,
  fillOutbox,
  startFakeProvider,
  webhookContent,
} from './support/delivery-fixtures.ts';
import { basicAuth } from './support/runtime.ts';
import { tempDir } from './support/tmp.ts';

const BIN = fileURLToPath(new URL('../bin/rekindle.js', import.meta.url));
const KEY = 'rk_lock_test_key';
const dirs: (() => void)[] = [];
afterAll(() => dirs.forEach((c) => c()));
const fresh = () => {
  const t = tempDir('rekindle-lock-');
  dirs.push(t.cleanup);
  return t.dir;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const quiet = {
  REKINDLE_WRITE_KEY: KEY,
  REKINDLE_PLANNER_POLL_SECONDS: '0',
  REKINDLE_SCORE_EVERY_MINUTES: '0',
  REKINDLE_FACT_SHIP_MS: '0',
  REKINDLE_ATTRIBUTE_EVERY_MINUTES: '0',
  REKINDLE_ALERT_EVERY_SECONDS: '0',
};

/** One CLI run as its own process. */
const rekindle = (dir: string, args: string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, LOG_LEVEL: 'error', REKINDLE_DATA_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });

const track = async (url: string, messageId: string) =>
  (
    await fetch(`${url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(KEY) },
      body: JSON.stringify({ userId: 'u1', event: 'order', messageId, properties: { amount: 5 } }),
    })
  ).status;

/** What survived: the event ingested before, and a control plane that answers. */
const storedState = async (dir: string) => {
  const rt = await openRuntime(loadConfig({}, { dataDir: dir, logLevel: 'error' }));
  try {
    const events = await rt.warehouse.query<{ message_id: string }>(
      'SELECT message_id FROM events ORDER BY 1',
    );
    const keys = await rt.control.query<{ n: string }>('SELECT count(*) AS n FROM write_keys');
    return { events: events.map((e) => e.message_id), writeKeys: Number(keys[0]?.n) };
  } finally {
    await rt.close();
  }
};

const REFUSAL = /the data directory .* is in use by another Rekindle process/;

describe('judgeLock (who owns a lock found on disk)', () => {
  const owner: LockOwner = {
    pid: 4242,
    hostname: 'h1',
    startedAt: 1_000_000,
    command: 'serve',
    bootId: 'boot-a',
    pidNamespace: 'pid:[1]',
  };
  const here = (over: Partial<LockProbe> = {}): LockProbe => ({
    pid: 99,
    hostname: 'h1',
    bootId: 'boot-a',
    pidNamespace: 'pid:[1]',
    alive: () => true,
    startedAt: () => 1_000_500,
    ...over,
  });
  it('refuses while the owner runs, takes over only what is provably dead', () => {
    expect(judgeLock(owner, 0, here()).kind).toBe('held');
    expect(judgeLock(owner, 0, here({ alive: () => false })).kind).toBe('stale');
    expect(judgeLock(owner, 0, here({ bootId: 'boot-b' })).kind).toBe('stale');
    expect(judgeLock(owner, 0, here({ pid: 4242 })).kind).toBe('stale');
    // The pid now belongs to a process that started long after the owner.
    expect(judgeLock(owner, 0, here({ startedAt: () => 1_000_000 + START_TOLERANCE_MS + 1 })).kind).toBe(
      'stale',
    );
    // Where start times are unknown (no /proc) a live pid counts as the owner.
    expect(judgeLock(owner, 0, here({ startedAt: () => undefined })).kind).toBe('held');
    expect(judgeLock(owner, 0, here({ hostname: 'h2' })).kind).toBe('other_host');
    expect(judgeLock(owner, 0, here({ pidNamespace: 'pid:[2]', alive: () => false })).kind).toBe(
      'other_host',
    );
    // An empty lock is one being written right now, unless it is old.
    expect(judgeLock(null, 500, here()).kind).toBe('held');
    expect(judgeLock(null, 60_000, here()).kind).toBe('stale');
    expect(parseLockOwner('{"pid":1}')).toBeNull();
    expect(parseLockOwner(JSON.stringify(owner))).toEqual({ ...owner, stoppingSince: undefined });
  });
});

describe('one process owns the data directory', () => {
  it(
    'while the server runs a second CLI process opens nothing: it goes through the server or says to stop it; the control plane stays intact',
    { timeout: 120_000 },
    async () => {
      const dir = fresh();
      const server = await startChildServer({ REKINDLE_DATA_DIR: dir, ...quiet });
      try {
        expect(await track(server.url, 'before-1')).toBe(200);
        const lock = parseLockOwner(readFileSync(join(dir, LOCK_FILE), 'utf8'));
        expect(lock?.pid).toBe(server.child.pid);
        expect(lock?.command).toBe('serve');
        // Through the server's API (src/cli/remote; test/cli-while-serving.test.ts covers each command).
        for (const args of [
          ['users', 'list'],
          ['keys', 'list'],
        ]) {
          const r = await rekindle(dir, args);
          expect(r.stderr, args.join(' ')).toBe('');
          expect(r.code, args.join(' ')).toBe(0);
        }
        // Needs the stores to itself: one line saying to stop the server, nothing opened.
        const compact = await rekindle(dir, ['compact']);
        expect(compact.code).not.toBe(0);
        expect(compact.stderr).toContain(`Rekindle is serving this data directory (pid ${server.child.pid}`);
        expect(compact.stderr).toContain(`Stop it first (kill ${server.child.pid}`);
        expect(compact.stderr).not.toContain('Aborted');
        // The server never noticed: ingest (write key from the control plane) still works.
        expect(await track(server.url, 'before-2')).toBe(200);
      } finally {
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
      }
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
      expect(await storedState(dir)).toEqual({ events: ['before-1', 'before-2'], writeKeys: 1 });
    },
  );

  it(
    'still refuses while the server drains after SIGTERM; the data is intact afterwards',
    { timeout: 120_000 },
    async () => {
      const dir = fresh();
      // The provider answers after 8 s, so the server's drain waits on a send in flight.
      const fake = await startFakeProvider((_req, _n, res) => {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ id: 'pm-slow' }));
        }, 8000);
        return true;
      });
      try {
        // The fake listens on loopback: private targets allowed here and in the server below.
        const setup = await openRuntime(
          loadConfig({ REKINDLE_ALLOW_PRIVATE_TARGETS: '1' }, { dataDir: dir, logLevel: 'error' }),
        );
        // Webhook messages go to an admin-configured webhook provider: here the slow fake.
        const admin = await createUser(setup.control, { name: 'drain-admin', role: 'admin' });
        if (!admin.ok) throw new Error('admin');
        const provider = await createProviderAs(
          providersOf(setup).context,
          { userId: admin.value.id, workspaceId: 'default', name: 'drain-admin', role: 'admin' },
          {
            kind: 'webhook',
            name: 'slow-hook',
            config: { url: fake.url },
            secrets: { secret: 'whsec-0123456789abcdef' },
          },
        );
        if (!provider.ok) throw new Error(JSON.stringify(provider.error));
        await approvedCampaign(setup.control, 'cmp_drain', [webhookContent(fake.url)]);
        await fillOutbox(setup.control, [
          {
            key: 'cmp_drain:run1:main:u1',
            campaignId: 'cmp_drain',
            userId: 'u1',
            channel: 'webhook',
            sendAt: Date.now() - 60_000,
          },
        ]);
        await setup.close();
        const server = await startChildServer({
          REKINDLE_DATA_DIR: dir,
          REKINDLE_ALLOW_PRIVATE_TARGETS: '1',
          ...quiet,
        });
        expect(await track(server.url, 'before-drain')).toBe(200);
        while (fake.seen.length === 0) await sleep(20);
        server.child.kill('SIGTERM');
        const lockPath = join(dir, LOCK_FILE);
        const stopping = Date.now();
        while (parseLockOwner(readFileSync(lockPath, 'utf8'))?.stoppingSince === undefined) {
          expect(Date.now() - stopping).toBeLessThan(5000);
          await sleep(20);
        }
        const during = await rekindle(dir, ['users', 'list']);
        const exited = await server.exited;
        expect(during.code).not.toBe(0);
        expect(during.stderr).toMatch(REFUSAL);
        expect(during.stderr).toContain('shutting down');
        expect(during.stderr).not.toContain('Aborted');
        expect(exited).toBe(0);
        expect(Date.now() - stopping).toBeGreaterThan(4000); // the refusal really came during the drain
        expect(existsSync(lockPath)).toBe(false);

        const after = await rekindle(dir, ['users', 'list']);
        expect(after.stderr).toBe('');
        expect(after.code).toBe(0);
        expect((await storedState(dir)).events).toEqual(['before-drain']);
        const rt = await openRuntime(loadConfig({}, { dataDir: dir, logLevel: 'error' }));
        const outbox = await rt.control.query<{ status: string }>(`SELECT status FROM outbox`);
        await rt.close();
        expect(outbox).toEqual([{ status: 'sent' }]);
      } finally {
        await fake.close();
      }
    },
  );

  it('takes over the lock of a server killed with kill -9', { timeout: 120_000 }, async () => {
    const dir = fresh();
    const server = await startChildServer({ REKINDLE_DATA_DIR: dir, ...quiet });
    expect(await track(server.url, 'before-kill')).toBe(200);
    server.child.kill('SIGKILL');
    expect(await server.exited).toBeNull();
    const lockPath = join(dir, LOCK_FILE);
    expect(parseLockOwner(readFileSync(lockPath, 'utf8'))?.pid).toBe(server.child.pid);

    const next = await rekindle(dir, ['keys', 'list']);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(existsSync(lockPath)).toBe(false);
    expect(await storedState(dir)).toEqual({ events: ['before-kill'], writeKeys: 1 });
  });

  it('releases the directory when a process dies of an error, and refuses a second open in the same process', async () => {
    const dir = fresh();
    // A process that dies of an uncaught error with its stores open leaves no lock behind.
    const script = join(dir, 'crash.mts');
    writeFileSync(
      script,
      `import { existsSync } from 'node:fs';
import { loadConfig } from ${JSON.stringify(fileURLToPath(new URL('../src/config.ts', import.meta.url)))};
import { openRuntime } from ${JSON.stringify(fileURLToPath(new URL('../src/runtime.ts', import.meta.url)))};
await openRuntime(loadConfig({}, { dataDir: ${JSON.stringify(dir)}, logLevel: 'error' }));
process.stdout.write(existsSync(${JSON.stringify(join(dir, LOCK_FILE))}) ? 'locked\\n' : 'unlocked\\n');
throw new Error('boom after open');
`,
    );
    const crashed = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => resolve({ code, out, err }));
    });
    expect(crashed.err).toContain('boom after open');
    expect(crashed.out).toBe('locked\n');
    expect(crashed.code).toBe(1);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    const config = loadConfig({}, { dataDir: dir, logLevel: 'error' });
    const rt = await openRuntime(config);
    try {
      const second = await openRuntime(config).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(DataDirLockedError);
      expect((second as Error).message).toContain('already open in this process');
    } finally {
      await rt.close();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const again = await openRuntime(config);
    await again.close();
  });

  it('locks the directory for the warehouse also when the control plane is on PostgreSQL', async () => {
    const dir = fresh();
    const config = loadConfig({}, { dataDir: dir, logLevel: 'error', databaseUrl: inject('postgresUrl') });
    const controlSchema = `lck_${randomBytes(4).toString('hex')}`;
    const rt = await openRuntime(config, { controlSchema });
    try {
      expect(parseLockOwner(readFileSync(join(dir, LOCK_FILE), 'utf8'))?.pid).toBe(process.pid);
      const second = await openRuntime(config, { controlSchema }).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(DataDirLockedError);
      expect((second as Error).message).toContain('already open in this process');
    } finally {
      await rt.close();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
