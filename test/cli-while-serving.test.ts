import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decideRoute,
  loopbackUrl,
  parseServerInfo,
  shellWord,
  stopFirstMessage,
  type RouteInput,
} from '../src/cli/remote/discovery.ts';
import { importContentType } from '../src/cli/remote/commands.ts';
import { isLocalCredential } from '../src/cli/remote/local-routes.ts';
import type { LockOwner } from '../src/core/storage/data-dir-lock.ts';
import { startChildServer, type ChildServer } from './support/child-server.ts';
import { tempDir } from './support/tmp.ts';

const BIN = fileURLToPath(new URL('../bin/rekindle.js', import.meta.url));

const owner = (o: Partial<LockOwner> = {}): LockOwner => ({
  pid: 4242,
  hostname: 'h',
  startedAt: 1,
  command: 'serve',
  ...o,
});
const serverText = (pid = 4242) =>
  JSON.stringify({ url: 'http://127.0.0.1:8101', pid, startedAt: 2, version: '0.1.0' });
const input = (o: Partial<RouteInput> = {}): RouteInput => ({
  lock: { kind: 'held', owner: owner() },
  serverFile: serverText(),
  credential: { ok: true, text: 'rkt_abc\n' },
  ...o,
});

describe('finding the server of a data directory (pure)', () => {
  it('goes through the server only when the lock holder is the process that wrote server.json', () => {
    expect(decideRoute(input())).toEqual({
      kind: 'remote',
      server: { url: 'http://127.0.0.1:8101', pid: 4242, startedAt: 2, version: '0.1.0' },
      token: 'rkt_abc',
    });
    // A server file of a dead server: the lock is free or stale, the stores are opened directly.
    expect(decideRoute(input({ lock: { kind: 'free' } })).kind).toBe('direct');
    expect(decideRoute(input({ lock: { kind: 'stale', why: 'pid 4242 is not running' } })).kind).toBe(
      'direct',
    );
    // Another process (an import) holds the lock; the server file is an old one with another pid.
    expect(decideRoute(input({ serverFile: serverText(77) })).kind).toBe('busy');
    expect(decideRoute(input({ serverFile: undefined })).kind).toBe('busy');
    expect(decideRoute(input({ serverFile: '{not json' })).kind).toBe('busy');
    expect(decideRoute(input({ lock: { kind: 'held', owner: null } })).kind).toBe('busy');
    expect(
      decideRoute(input({ lock: { kind: 'other_host', owner: owner({ hostname: 'x' }), why: 'hostname' } }))
        .kind,
    ).toBe('busy');
  });

  it('says when the credential cannot be read, and when the server is draining', () => {
    expect(decideRoute(input({ credential: { ok: false, why: 'permission denied' } }))).toMatchObject({
      kind: 'no_credential',
      why: 'permission denied',
    });
    expect(decideRoute(input({ credential: { ok: true, text: '\n' } })).kind).toBe('no_credential');
    expect(decideRoute(input({ lock: { kind: 'held', owner: owner({ stoppingSince: 5 }) } })).kind).toBe(
      'stopping',
    );
  });

  it('parses server.json strictly and makes a loopback URL of the bound host', () => {
    expect(parseServerInfo(undefined)).toBeNull();
    expect(parseServerInfo('{"url":"ftp://x","pid":1,"startedAt":1}')).toBeNull();
    expect(parseServerInfo('{"url":"http://x:1/","pid":1.5,"startedAt":1}')).toBeNull();
    expect(parseServerInfo('{"url":"http://x:1/","pid":1,"startedAt":1}')).toEqual({
      url: 'http://x:1',
      pid: 1,
      startedAt: 1,
      version: 'unknown',
    });
    expect(loopbackUrl('0.0.0.0', 80)).toBe('http://127.0.0.1:80');
    expect(loopbackUrl('::', 80)).toBe('http://[::1]:80');
    expect(loopbackUrl('127.0.0.1', 8101)).toBe('http://127.0.0.1:8101');
    expect(loopbackUrl('fe80::1', 9)).toBe('http://[fe80::1]:9');
  });

  it('prints the command to run again, quoted for a shell, in one line', () => {
    const s = parseServerInfo(serverText());
    if (s === null) throw new Error('unparsed');
    const line = stopFirstMessage(s, ['--data-dir', '/tmp/my data', 'compact']);
    expect(line).toBe(
      "Rekindle is serving this data directory (pid 4242, http://127.0.0.1:8101). Stop it first (kill 4242 or Ctrl+C in its terminal), then run: rekindle --data-dir '/tmp/my data' compact",
    );
    expect(line).not.toContain('\n');
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
  });

  it('sends an import with the content type its name implies (compressed text is sent unpacked)', () => {
    expect(importContentType('a.csv', undefined)).toEqual({ type: 'text/csv', gzip: false });
    expect(importContentType('a.JSONL.gz', undefined)).toEqual({ type: 'application/x-ndjson', gzip: true });
    expect(importContentType('a.parquet', undefined)?.type).toBe('application/vnd.apache.parquet');
    expect(importContentType('a.txt', undefined)).toBeNull();
    expect(importContentType('a.txt', 'csv')?.type).toBe('text/csv');
  });

  it('accepts exactly the local credential as a bearer token', () => {
    expect(isLocalCredential('Bearer rkt_x', 'rkt_x')).toBe(true);
    expect(isLocalCredential('Bearer rkt_y', 'rkt_x')).toBe(false);
    expect(isLocalCredential('Bearer rkt_x', '')).toBe(false);
    expect(isLocalCredential(undefined, 'rkt_x')).toBe(false);
    expect(isLocalCredential('Basic rkt_x', 'rkt_x')).toBe(false);
  });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real CLI as a child process (stdin given, so `--password-stdin` can be fed). */
const cli = (dataDir: string, args: readonly string[], stdin = ''): Promise<Ran> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, ...args], {
      env: { ...process.env, LOG_LEVEL: 'error', REKINDLE_DATA_DIR: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(stdin);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });

const waitFor = async (what: () => boolean, ms = 60_000) => {
  const until = Date.now() + ms;
  while (!what()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
};

const CSV = [
  'type,message_id,user_id,event,timestamp,amount',
  'track,m1,u1,purchase,2026-11-01T10:00:00Z,12',
  'track,m2,u2,purchase,not-a-time,5',
  'track,m3,u3,login,2026-11-02T10:00:00Z,',
].join('\n');

describe('the CLI while a server holds the data directory', () => {
  const tmp = tempDir('rekindle-serving-');
  const dir = join(tmp.dir, 'data');
  let server: ChildServer;
  beforeAll(async () => {
    server = await startChildServer({ REKINDLE_DATA_DIR: dir, REKINDLE_SCORE_EVERY_MINUTES: '0' });
    await waitFor(() => existsSync(join(dir, 'server.json')));
  }, 90_000);
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await server?.exited;
    tmp.cleanup();
  });

  it('publishes server.json with the real port and an owner-only credential', () => {
    const info = JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8')) as Record<string, unknown>;
    expect(info['url']).toBe(server.url);
    expect(info['pid']).toBe(server.child.pid);
    expect(typeof info['version']).toBe('string');
    const cred = statSync(join(dir, 'local-admin.token'));
    expect(cred.mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'local-admin.token'), 'utf8')).toMatch(/^rkt_\S+\n$/);
    // The credential never reaches the server's output.
    const token = readFileSync(join(dir, 'local-admin.token'), 'utf8').trim();
    expect(JSON.stringify(server.output())).not.toContain(token);
  });

  it('users create goes through the server: the member logs in, the token works, the change is audited as local-cli', async () => {
    const made = await cli(
      dir,
      ['users', 'create', 'alice', '--role', 'operator', '--password-stdin'],
      'Correct-Horse-9-battery\n',
    );
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^rkt_/);
    const login = await fetch(`${server.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: 'Correct-Horse-9-battery' }),
    });
    expect(login.status).toBe(200);
    const me = await fetch(`${server.url}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await me.json()) as { user: { name: string; role: string } }).user).toMatchObject({
      name: 'alice',
      role: 'operator',
    });
    const again = await cli(dir, ['users', 'create', 'alice', '--role', 'operator']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("rekindle: a user named 'alice' exists already\n");
    const role = await cli(dir, ['users', 'role', 'alice', '--role', 'viewer']);
    expect(role.stdout).toBe("'alice' is now viewer.\n");
    const list = await cli(dir, ['users', 'list']);
    expect(list.stdout).toMatch(/\talice\tviewer\n/);
    expect(list.stdout).toMatch(/\tlocal-cli\tadmin\n/);
    const audit = await fetch(`${server.url}/v1/console/audit?limit=50`, {
      headers: { authorization: `Bearer ${readFileSync(join(dir, 'local-admin.token'), 'utf8').trim()}` },
    });
    const entries = JSON.stringify(await audit.json());
    expect(entries).toContain('local-cli');
    expect(entries).toContain('user.created');
  }, 60_000);

  it('keys create gives a key that ingests; keys revoke makes it refused', async () => {
    const made = await cli(dir, ['keys', 'create', '--name', 'web']);
    expect(made.code).toBe(0);
    const key = made.stdout.trim();
    const track = () =>
      fetch(`${server.url}/v1/track`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
        },
        body: JSON.stringify({ userId: 'k1', event: 'login', timestamp: new Date().toISOString() }),
      });
    expect((await track()).status).toBe(200);
    const list = await cli(dir, ['keys', 'list']);
    const line = list.stdout.split('\n').find((l) => l.includes('\tweb\t'));
    expect(line).toMatch(/^\d+\t\S+…\tweb\tactive$/);
    const id = line?.split('\t')[0] ?? '';
    const revoked = await cli(dir, ['keys', 'revoke', id]);
    expect(revoked.stdout).toBe(`revoked ${id}\n`);
    expect((await track()).status).toBe(401);
    const twice = await cli(dir, ['keys', 'revoke', id]);
    expect(twice.code).toBe(1);
  }, 60_000);

  it('scores compute runs in the server and prints the same summary', async () => {
    const r = await cli(dir, ['scores', 'compute']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Scored \d+ users as of \S+Z in [\d.]+ s \(run_/);
    expect(r.stdout).toContain('  stages   ');
  }, 60_000);

  it('an import with a bad row gives the same report and exit code as the direct import', async () => {
    const file = join(tmp.dir, 'events.csv');
    writeFileSync(file, `${CSV}\n`);
    const served = await cli(dir, ['import', file]);
    // The same file into a directory nobody serves.
    const direct = await cli(join(tmp.dir, 'other'), ['import', file]);
    expect(direct.code).toBe(1);
    expect(served.code).toBe(1);
    const strip = (s: string) => s.replace(/in [\d.]+ s( \([\d,]+ records\/s\))?/, 'in … s');
    expect(strip(served.stdout)).toBe(strip(direct.stdout));
    expect(served.stdout).toMatch(/rejected +1\n/);
    expect(served.stdout).toMatch(/line 3, field timestamp: /);
  }, 90_000);

  it('a command that needs the stores to itself says what to do in one line, exit ≠ 0', async () => {
    const r = await cli(dir, ['compact']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `Rekindle is serving this data directory (pid ${server.child.pid}, ${server.url}); compacting rewrites the events table, which needs the warehouse to itself. Stop it first (kill ${server.child.pid} or Ctrl+C in its terminal), then run: rekindle --data-dir ${dir} compact\n`,
    );
    const copy = await cli(dir, ['warehouse', 'copy', '--to', 'clickhouse://u:secret@127.0.0.1:9/rekindle']);
    expect(copy.code).not.toBe(0);
    expect(copy.stderr).toContain('the copy reads the DuckDB warehouse file, which the server holds');
    expect(copy.stderr.trim().split('\n')).toHaveLength(1);
    expect(copy.stderr).not.toContain('secret');
    const control = await cli(dir, ['control', 'copy', '--to', 'postgres://u:secret@127.0.0.1:9/rekindle']);
    expect(control.code).not.toBe(0);
    expect(control.stderr).toContain('the copy reads the embedded control plane, which the server holds');
    expect(control.stderr).not.toContain('secret');
    const serve = await cli(dir, ['serve', '--port', '0']);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain('already serving this data directory');
  }, 30_000);

  it('when an admin disables local-cli, the CLI says in one line to stop the server', async () => {
    const boss = await cli(dir, ['users', 'create', 'boss', '--role', 'admin']);
    expect(boss.code).toBe(0);
    const auth = { authorization: `Bearer ${boss.stdout.trim()}` };
    const team = (await (await fetch(`${server.url}/v1/console/team`, { headers: auth })).json()) as {
      users: { id: number; name: string }[];
    };
    const localCli = team.users.find((u) => u.name === 'local-cli');
    const off = await fetch(`${server.url}/v1/team/members/${localCli?.id}/disable`, {
      method: 'POST',
      headers: auth,
    });
    expect(off.status).toBe(200);
    const r = await cli(dir, ['users', 'list']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^Rekindle is serving this data directory \\(pid ${server.child.pid}, [^)]+\\); it refused its local admin credential \\(.*was the member local-cli disabled\\?\\)\\. Stop it first .*then run: rekindle --data-dir \\S+ users list\n$`,
      ),
    );
  }, 60_000);

  it('after the server is killed (SIGKILL) the stale server.json is ignored and the CLI opens the stores', async () => {
    server.child.kill('SIGKILL');
    await server.exited;
    expect(existsSync(join(dir, 'server.json'))).toBe(true);
    const r = await cli(dir, ['users', 'list']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\talice\tviewer\n/);
  }, 60_000);
});

describe('a clean shutdown', () => {
  const tmp = tempDir('rekindle-serving-stop-');
  afterAll(() => tmp.cleanup());
  it('removes server.json and the credential, and revokes it', async () => {
    const dir = join(tmp.dir, 'data');
    const s = await startChildServer({ REKINDLE_DATA_DIR: dir });
    await waitFor(() => existsSync(join(dir, 'local-admin.token')));
    const token = readFileSync(join(dir, 'local-admin.token'), 'utf8').trim();
    expect(
      (await fetch(`${s.url}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(existsSync(join(dir, 'server.json'))).toBe(false);
    expect(existsSync(join(dir, 'local-admin.token'))).toBe(false);
    // Started again, the old credential is no longer accepted.
    const again = await startChildServer({ REKINDLE_DATA_DIR: dir });
    try {
      expect(
        (await fetch(`${again.url}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(401);
    } finally {
      again.child.kill('SIGKILL');
      await again.exited;
    }
  }, 120_000);
});
