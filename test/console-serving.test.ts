import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { isServerPath, registerConsole } from '../src/server/console.ts';
import { tempDir } from './support/tmp.ts';

/**
 * Serving the built console (src/server/console.ts) on a real Fastify server with a hand-made
 * dist folder: files as they are, index.html for client routes, and the server's own paths
 * (API, docs, health, tracking links) never answered with the console's HTML.
 */

let app: FastifyInstance | undefined;
const cleanups: (() => void)[] = [];

afterEach(async () => {
  await app?.close();
  app = undefined;
  for (const c of cleanups.splice(0)) c();
});

const start = async (withDist: boolean) => {
  const tmp = tempDir('rekindle-console-');
  cleanups.push(tmp.cleanup);
  if (withDist) {
    mkdirSync(join(tmp.dir, 'assets'));
    writeFileSync(join(tmp.dir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(tmp.dir, 'assets', 'app-1234.js'), 'console.log(1)');
  }
  app = Fastify();
  app.get('/v1/things', async () => ({ things: [] }));
  app.get('/l/:code', async (req) => ({ link: (req.params as { code: string }).code }));
  app.get('/healthz', async () => ({ ok: true }));
  registerConsole(app, tmp.dir);
  return app.listen({ host: '127.0.0.1', port: 0 });
};

describe('console serving', () => {
  it('serves index.html for client routes and hashed assets with a long cache', async () => {
    const url = await start(true);
    for (const path of ['/', '/campaigns', '/users/u1', '/reports?campaign=c1']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<div id="root">');
    }
    const asset = await fetch(`${url}/assets/app-1234.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await asset.text()).toBe('console.log(1)');
  });

  it("leaves the server's paths to the server: routes answer, unknown ones are JSON 404s", async () => {
    const url = await start(true);
    expect(await (await fetch(`${url}/v1/things`)).json()).toEqual({ things: [] });
    expect(await (await fetch(`${url}/l/abc`)).json()).toEqual({ link: 'abc' });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    for (const path of [
      '/v1/nope',
      '/v1/things/1/more',
      '/l/a/b',
      '/u/x/y',
      '/docs/nothing',
      '/openapi.json',
    ]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('application/json');
    }
  });

  it('says how to build the console when console/dist is missing', async () => {
    const url = await start(false);
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:console');
    expect((await fetch(`${url}/v1/things`)).status).toBe(200);
  });

  it('knows which paths belong to the server', () => {
    expect(
      ['/v1', '/v1/x', '/l', '/l/abc', '/u/t', '/docs', '/docs/json', '/healthz', '/openapi.json'].filter(
        isServerPath,
      ),
    ).toHaveLength(9);
    expect(['/', '/users', '/lists', '/undo', '/v1x', '/documents', '/docsx'].filter(isServerPath)).toEqual(
      [],
    );
  });
});
