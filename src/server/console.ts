import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build:console` writes the app (console/vite.config.ts). */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist', import.meta.url));

/**
 * Paths the server owns. A browser route never starts with one of them, so the SPA fallback
 * leaves their 404s to the API (JSON) instead of answering with the console's HTML.
 */
const SERVER_ROOTS = new Set(['v1', 'l', 'u', 'docs', 'openapi.json', 'healthz']);

/** Whether the first path segment is one the server owns (`/v1/…`, `/docs`, but not `/documents`). */
export const isServerPath = (url: string): boolean => {
  const path = url.split('?', 1)[0] ?? url;
  return SERVER_ROOTS.has(path.split('/', 2)[1] ?? '');
};

/**
 * Serves the built console at `/`: its files as they are, and `index.html` for any other GET
 * (client-side routes such as `/campaigns`), so a reload or a shared link opens the same page.
 */
export const registerConsole = (app: FastifyInstance, distDir: string = CONSOLE_DIST): void => {
  if (!existsSync(`${distDir}/index.html`)) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built: run `npm run build:console` (npm start builds it when missing).\n'),
    );
    return;
  }
  void app.register(async (scope) => {
    // `wildcard: false` registers one route per built file, so static routes never compete
    // with the API's; the catch-all below only sees paths no route claimed.
    await scope.register(fastifyStatic, {
      root: distDir,
      wildcard: false,
      index: false,
      // The header is ours (below); without this, send's default `max-age=0` would replace it.
      cacheControl: false,
      // Hashed asset names change with their content; index.html must always be revalidated.
      setHeaders: (res, path) => {
        res.setHeader(
          'cache-control',
          path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
        );
      },
    });
    const index = (reply: { sendFile: (f: string) => unknown }) => reply.sendFile('index.html');
    scope.get('/', { schema: { hide: true } }, async (_req, reply) => index(reply));
    scope.get('/*', { schema: { hide: true } }, async (req, reply) => {
      if (isServerPath(req.url)) return reply.callNotFound();
      return index(reply);
    });
  });
};
