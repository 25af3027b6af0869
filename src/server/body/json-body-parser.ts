import type { FastifyInstance } from 'fastify';

/**
 * Bodies that could carry a `__proto__` or `constructor.prototype` key — written out or hidden
 * behind a `\u` escape — go through Fastify's secure parser, which refuses them. Everything
 * else is plain `JSON.parse`: the secure parser's two regular-expression scans over every
 * ingestion batch cost more than the parse itself.
 */
export const mayCarryPrototypeKey = (text: string): boolean =>
  text.includes('proto') || text.includes('constructor') || text.includes('\\u');

export const registerJsonBodyParser = (app: FastifyInstance): void => {
  const secure = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text.length === 0 || mayCarryPrototypeKey(text)) {
      secure(req, text, done);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      done(Object.assign(e as Error, { statusCode: 400 }), undefined);
      return;
    }
    done(null, parsed);
  });
};
