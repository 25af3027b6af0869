import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../src/core/clock.ts';
import { loadConfig, type RekindleConfig } from '../../src/config.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { buildServer } from '../../src/server/app.ts';
import { tempDir } from './tmp.ts';

export const TEST_WRITE_KEY = 'rk_test_key_for_this_suite';

export interface TestServer {
  rt: Runtime;
  app: FastifyInstance;
  url: string;
  dataDir: string;
  /** Closes the server and the stores; the data directory stays until `cleanup`. */
  stop(): Promise<void>;
  cleanup(): void;
}

/** A Rekindle runtime on embedded PGlite and a DuckDB file in a fresh directory, served on a free port. */
export const startTestServer = async (
  options: { clock?: Clock; dataDir?: string; config?: Partial<RekindleConfig>; controlSchema?: string } = {},
): Promise<TestServer> => {
  const tmp = options.dataDir === undefined ? tempDir() : { dir: options.dataDir, cleanup: () => undefined };
  const config = loadConfig(
    {},
    {
      dataDir: tmp.dir,
      writeKey: TEST_WRITE_KEY,
      port: 0,
      logLevel: 'error',
      // The fake vendors and receivers of the tests listen on 127.0.0.1.
      allowPrivateTargets: true,
      ...options.config,
    },
  );
  const rt = await openRuntime(config, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.controlSchema ? { controlSchema: options.controlSchema } : {}),
  });
  const app = buildServer(rt);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
    await rt.close();
  };
  return { rt, app, url, dataDir: tmp.dir, stop, cleanup: tmp.cleanup };
};

export const basicAuth = (key: string): string => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

export const postJson = async (
  url: string,
  body: unknown,
  key: string | null = TEST_WRITE_KEY,
): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: basicAuth(key) }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

/** A management API call as a console user or API client (bearer token): status and JSON body. */
export const apiCall = async (
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as Record<string, unknown> };
};
