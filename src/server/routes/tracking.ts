import type { FastifyReply } from 'fastify';
import type { Api } from '../schemas/type-provider.ts';
import type { Clock } from '../../core/clock.ts';
import { LINK_NOT_FOUND_HTML } from '../../core/tracking/click-page.ts';
import {
  confirmPage,
  donePage,
  invalidPage,
  isOneClickBody,
  pageLanguage,
} from '../../core/tracking/unsubscribe-page.ts';
import type { RekindleConfig } from '../../config.ts';
import type { DataDirLock } from '../../storage/data-dir-lock.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { openClickSink } from '../../tracking/click-sink.ts';
import { ClickTracker } from '../../tracking/clicks.ts';
import { checkUnsubscribeToken, unsubscribeByToken } from '../../tracking/unsubscribe.ts';

const html = (reply: FastifyReply, status: number, body: string) =>
  reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    .send(body);

const TOKEN_MAX = 2048;

/**
 * The public closed-loop routes (features.md F3), no login: `/l/:code` short links and `/u/:token`
 * one-click unsubscribe. Registered in their own scope: the form-body parsers they need
 * (RFC 8058 posts `application/x-www-form-urlencoded` or `multipart/form-data`) stay here.
 */
export const registerTrackingRoutes = (
  app: Api,
  rt: {
    control: SqlClient;
    clock: Clock;
    config: Pick<RekindleConfig, 'dataDir' | 'databaseUrl' | 'pgliteDir'>;
    dataDirLock: DataDirLock | undefined;
  },
): ClickTracker => {
  // Clicks are durable (journaled or committed) before their 302; see src/tracking/click-sink.ts.
  const sink = openClickSink(rt, (e) =>
    app.log.error({ err: e }, 'storing clicks failed; they stay journaled'),
  );
  const tracker = new ClickTracker(rt, sink.sink);
  void app.register(async (scope) => {
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'])
      scope.addContentTypeParser(type, { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) =>
        done(null, body),
      );
    // The clicks a killed process journaled are stored before this one answers any.
    scope.addHook('onReady', () => sink.opened);
    scope.addHook('onClose', () => sink.release());

    // Typed, not validated: a schema here would answer a NUL in the code with 400, not the page.
    scope.get<{ Params: { code: string } }>('/l/:code', { schema: { hide: true } }, async (req, reply) => {
      const { code } = req.params;
      const r = await tracker.click(code, { userAgent: req.headers['user-agent'], ip: req.ip });
      if (!r.ok) return html(reply, 404, LINK_NOT_FOUND_HTML);
      return reply
        .code(302)
        .header('location', r.value)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .send();
    });

    // A wildcard, not `:token`: tokens are longer than a route parameter may be (100 characters).
    const token = (params: { '*': string }): string | null => {
      const t = params['*'];
      return t.length > 0 && t.length <= TOKEN_MAX && !t.includes('/') ? t : null;
    };

    scope.get<{ Params: { '*': string } }>('/u/*', { schema: { hide: true } }, async (req, reply) => {
      const lang = pageLanguage(req.headers['accept-language']);
      const t = token(req.params);
      const checked = t === null ? null : await checkUnsubscribeToken(rt.control, t);
      if (checked === null || !checked.ok) return html(reply, 400, invalidPage(lang));
      return html(reply, 200, confirmPage(lang, checked.value.channel));
    });

    scope.post<{ Params: { '*': string } }>('/u/*', { schema: { hide: true } }, async (req, reply) => {
      const lang = pageLanguage(req.headers['accept-language']);
      const t = token(req.params);
      const body = typeof req.body === 'string' ? req.body : '';
      if (t === null) return html(reply, 400, invalidPage(lang));
      if (!isOneClickBody(body))
        return reply.code(400).send({ error: 'the body must be List-Unsubscribe=One-Click (RFC 8058)' });
      const r = await unsubscribeByToken(rt, t);
      if (!r.ok) return html(reply, 400, invalidPage(lang));
      return html(reply, 200, donePage(lang, r.value.claim.channel));
    });
  });
  return tracker;
};
