import type { FastifyInstance } from 'fastify';
import { show } from '../../core/audience/fields.ts';

/**
 * Limits every management request meets before its own schema: they hold whatever the field,
 * and each refusal names the exact place (`definition.children[3].value`) and why.
 *
 * - nesting: at most MAX_INPUT_DEPTH levels of objects and arrays (the deepest legitimate body,
 *   an audience tree, is limited to 32);
 * - numbers: within ±MAX_INPUT_NUMBER (2^53 − 1), the whole numbers JavaScript, JSON and the
 *   stores all hold exactly; beyond it 2^63 would be 9223372036854775808 here and an overflow in
 *   PostgreSQL or DuckDB;
 * - text (values and keys): no NUL character (PostgreSQL text cannot hold one) and no lone UTF-16
 *   surrogate (not Unicode text: it would be stored as U+FFFD, i.e. not what was sent);
 * - keys: no `__proto__` (the JSON parser refuses those earlier, with their path too).
 */
export const MAX_INPUT_DEPTH = 64;
export const MAX_INPUT_NUMBER = Number.MAX_SAFE_INTEGER;
const MAX_PROBLEMS = 20;

export interface InputProblem {
  path: string;
  message: string;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a text is refused, or undefined. */
export const textProblem = (s: string): string | undefined => {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000), which text may not hold';
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate, which is not Unicode text';
  return undefined;
};

const numberProblem = (n: number): string | undefined => {
  if (!Number.isFinite(n)) return 'expected a finite number';
  if (Math.abs(n) > MAX_INPUT_NUMBER) return `must lie within ±${MAX_INPUT_NUMBER} (2^53 − 1)`;
  return undefined;
};

/** `definition.children[0]`, in the path style of every Rekindle error. */
export const childPath = (parent: string, key: string | number): string => {
  if (typeof key === 'number') return `${parent === '' ? '(root)' : parent}[${key}]`;
  const name = /^[\p{L}\p{N}_$-]+$/u.test(key) ? key : JSON.stringify(show(key));
  return parent === '' ? name : `${parent}.${name}`;
};

/**
 * Every problem of a parsed JSON value (walked without recursion, so a body nested 100 000 deep
 * costs a loop, not the stack); at most MAX_PROBLEMS. `prefix` is where the value sits (`''` for
 * a body, `query`, `params`).
 */
export const inputProblems = (value: unknown, prefix: string): InputProblem[] => {
  const out: InputProblem[] = [];
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: prefix, depth: 0 }];
  const at = (path: string) => (path === '' ? '(root)' : path);
  while (stack.length > 0 && out.length < MAX_PROBLEMS) {
    const { v, path, depth } = stack.pop() as { v: unknown; path: string; depth: number };
    if (typeof v === 'string') {
      const p = textProblem(v);
      if (p !== undefined) out.push({ path: at(path), message: p });
    } else if (typeof v === 'number') {
      const p = numberProblem(v);
      if (p !== undefined) out.push({ path: at(path), message: p });
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= MAX_INPUT_DEPTH) {
        out.push({ path: at(path), message: `is nested deeper than ${MAX_INPUT_DEPTH} levels` });
        continue;
      }
      const entries: [string | number, unknown][] = Array.isArray(v)
        ? v.map((x, i) => [i, x])
        : Object.entries(v as Record<string, unknown>);
      // Pushed in reverse so problems come out in document order.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i] as [string | number, unknown];
        const child = childPath(path, k);
        if (typeof k === 'string') {
          const p = k === '__proto__' ? 'is a forbidden key (__proto__)' : textProblem(k);
          if (p !== undefined) {
            out.push({ path: at(child), message: `key ${p}` });
            continue;
          }
        }
        stack.push({ v: x, path: child, depth: depth + 1 });
      }
    }
  }
  return out.slice(0, MAX_PROBLEMS);
};

/** Whether a body is parsed JSON (a stream or a Buffer is an upload, judged by its own route). */
const isParsedJson = (body: unknown): boolean => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return true;
  const proto: unknown = Object.getPrototypeOf(body);
  return proto === Object.prototype || proto === null;
};

/** Refuses management requests whose body, query or path break the limits above (400, with paths). */
export const guardManagementInput = (scope: FastifyInstance): void => {
  scope.addHook('preValidation', async (req, reply) => {
    const problems = [
      ...inputProblems(req.params, 'params'),
      ...inputProblems(req.query, 'query'),
      // An upload's body is a stream (POST /v1/jobs/import): walking it would judge the socket.
      ...(isParsedJson(req.body) ? inputProblems(req.body, '') : []),
    ].slice(0, MAX_PROBLEMS);
    if (problems.length === 0) return;
    await reply.code(400).send({
      error: `invalid request: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      errors: problems,
    });
  });
};
