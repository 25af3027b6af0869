import { err, ok, type Result } from '../result.ts';

/**
 * What the warehouse can store, checked before a record reaches a commit: a record DuckDB
 * refuses would otherwise fail the whole group commit it shares with other clients' records.
 *
 * - Timestamps lie in years 0001–9999 (ISO-8601's four-digit years; DuckDB's TIMESTAMP and a JS
 *   Date both hold more, but a microsecond count past ±9.2e18 overflows DuckDB's appender).
 * - Numbers are finite (`1e400` is valid JSON, but JSON.parse reads it as Infinity, which JSON
 *   cannot store back: it would silently become `null`).
 * - Text is valid Unicode: a lone UTF-16 surrogate (`"\ud800"`, valid JSON) inside properties
 *   or traits is replaced with U+FFFD; in an id or event name (identity, not data) it is refused.
 * - Properties and traits nest at most `MAX_JSON_DEPTH` levels.
 */

/** Deepest nesting accepted in a request body, and inside properties or traits. */
export const MAX_JSON_DEPTH = 64;
/** 0001-01-01T00:00:00.000Z (Date.UTC maps years 0–99 to 1900–1999, hence the literal). */
export const MIN_STORABLE_MS = -62_135_596_800_000;
/** 9999-12-31T23:59:59.999Z */
export const MAX_STORABLE_MS = 253_402_300_799_999;

export const isStorableTime = (ms: number): boolean =>
  Number.isFinite(ms) && ms >= MIN_STORABLE_MS && ms <= MAX_STORABLE_MS;

/** With the `u` flag a well-formed pair is one code point, so only lone surrogates match. */
const LONE_SURROGATE = /\p{Surrogate}/u;
const LONE_SURROGATES = /\p{Surrogate}/gu;

export const hasLoneSurrogate = (s: string): boolean => LONE_SURROGATE.test(s);
export const wellFormed = (s: string): string =>
  LONE_SURROGATE.test(s) ? s.replace(LONE_SURROGATES, '\uFFFD') : s;

/**
 * Why an id or event name cannot be stored as given, or null when it can: blank (only
 * whitespace), a NUL character (C strings end there; other tools truncate it), or a lone
 * surrogate (not valid Unicode, so not valid UTF-8).
 */
export const nameProblem = (s: string): string | null => {
  if (s.trim() === '') return 'must not be empty or only whitespace';
  if (s.includes('\u0000')) return 'must not contain a NUL character (\\u0000)';
  if (hasLoneSurrogate(s)) return 'must be valid Unicode (it contains a lone UTF-16 surrogate)';
  return null;
};

export interface JsonProblem {
  /** Path below the value's own field, e.g. `.items.0.price` (empty for the value itself). */
  path: string;
  reason: string;
}

/** Own data property, also for `__proto__`: plain assignment would set the prototype instead. */
export const putOwn = (target: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else target[key] = value;
};

const clean = (value: unknown, path: string, depth: number): Result<unknown, JsonProblem> => {
  switch (typeof value) {
    case 'string':
      return ok(wellFormed(value));
    case 'number':
      return Number.isFinite(value)
        ? ok(value)
        : err({ path, reason: 'must be a finite number (±1.8e308 at most)' });
    case 'boolean':
      return ok(value);
    case 'object':
      break;
    default:
      // undefined, functions, bigints: JSON.parse never yields them; dropping them is JSON's rule.
      return ok(value);
  }
  if (value === null) return ok(null);
  if (depth >= MAX_JSON_DEPTH) {
    return err({ path, reason: `nests deeper than ${MAX_JSON_DEPTH} levels` });
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const r = clean(item, `${path}.${i}`, depth + 1);
      if (!r.ok) return r;
      if (r.value !== item) {
        copy ??= value.slice();
        copy[i] = r.value;
      }
    }
    return ok(copy ?? value);
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  const keys = Object.keys(record);
  for (const key of keys) {
    const item = record[key];
    const name = wellFormed(key);
    const r = clean(item, `${path}.${name}`, depth + 1);
    if (!r.ok) return r;
    if (name !== key || r.value !== item) {
      // Copy on the first change, keeping key order; `putOwn` so `__proto__` stays plain data.
      if (copy === undefined) {
        copy = {};
        for (const k of keys) {
          if (k === key) break;
          putOwn(copy, k, record[k]);
        }
      }
    }
    if (copy !== undefined) putOwn(copy, name, r.value);
  }
  return ok(copy ?? record);
};

/**
 * The value as the warehouse will store it (lone surrogates replaced, the same object when
 * nothing changed), or the first problem that makes it unstorable.
 */
export const storableJson = (value: unknown): Result<unknown, JsonProblem> => clean(value, '', 0);

/**
 * Whether JSON text nests deeper than `max` arrays/objects. Runs on the text before parsing so
 * a 5 000-level body is refused precisely instead of overflowing the stack later.
 */
export const jsonNestsDeeperThan = (text: string, max: number): boolean => {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Skip the string: jump to the next quote not escaped by an odd run of backslashes.
      for (;;) {
        const q = text.indexOf('"', i + 1);
        if (q === -1) return false;
        let b = q - 1;
        while (text.charCodeAt(b) === 92 /* \ */) b--;
        i = q;
        if ((q - 1 - b) % 2 === 0) break;
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
};
