import type { FastifyInstance } from 'fastify';
import { RequestValidationError } from '../validation.ts';
import { childPath } from './input-guard.ts';

/**
 * Bodies that could carry a `__proto__` or `constructor.prototype` key — written out or hidden
 * behind a `\u` escape — go through Fastify's secure parser, which refuses them. Everything
 * else is plain `JSON.parse`: the secure parser's two regular-expression scans over every
 * ingestion batch cost more than the parse itself.
 */
export const mayCarryPrototypeKey = (text: string): boolean =>
  text.includes('proto') || text.includes('constructor') || text.includes('\\u');

/** Where the first forbidden prototype key of a parsed body is (for a refusal that names it). */
export const prototypeKeyPath = (value: unknown): string | undefined => {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: '' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop() as { v: unknown; path: string };
    if (typeof v !== 'object' || v === null) continue;
    const o = v as Record<string, unknown>;
    if (!Array.isArray(v)) {
      if (Object.hasOwn(o, '__proto__')) return childPath(path, '__proto__');
      const c = o['constructor'];
      if (
        Object.hasOwn(o, 'constructor') &&
        typeof c === 'object' &&
        c !== null &&
        Object.hasOwn(c, 'prototype')
      )
        return childPath(childPath(path, 'constructor'), 'prototype');
    }
    for (const [k, x] of Object.entries(o))
      stack.push({ v: x, path: childPath(path, Array.isArray(v) ? Number(k) : k) });
  }
  return undefined;
};

const notJson = (e: unknown) =>
  new RequestValidationError([
    { path: '(body)', message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` },
  ]);

export const registerJsonBodyParser = (app: FastifyInstance): void => {
  const secure = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text.length === 0 || mayCarryPrototypeKey(text)) {
      secure(req, text, (error, parsed) => {
        if (error === null) return done(null, parsed);
        if (text.length === 0) return done(error, undefined);
        // Refused: say where. A text JSON.parse reads was refused for a prototype key.
        let plain: unknown;
        try {
          plain = JSON.parse(text);
        } catch (e) {
          return done(notJson(e), undefined);
        }
        const path = prototypeKeyPath(plain) ?? '(body)';
        done(
          new RequestValidationError([
            { path, message: 'is a forbidden key (it would reach Object.prototype)' },
          ]),
          undefined,
        );
      });
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      done(notJson(e), undefined);
      return;
    }
    done(null, parsed);
  });
};
