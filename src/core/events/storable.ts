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

/** Any surrogate, paired or not: a plain character class, far cheaper than the `u` one below. */
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
/** With the `u` flag a well-formed pair is one code point, so only lone surrogates match. */
const LONE_SURROGATE = /\p{Surrogate}/u;
const LONE_SURROGATES = /\p{Surrogate}/gu;
const NOT_BLANK = /\S/;

export const hasLoneSurrogate = (s: string): boolean => ANY_SURROGATE.test(s) && LONE_SURROGATE.test(s);
export const wellFormed = (s: string): string =>
  hasLoneSurrogate(s) ? s.replace(LONE_SURROGATES, '\uFFFD') : s;

/**
 * Why an id or event name cannot be stored as given, or null when it can: blank (only
 * whitespace), a NUL character (C strings end there; other tools truncate it), or a lone
 * surrogate (not valid Unicode, so not valid UTF-8).
 */
export const nameProblem = (s: string): string | null => {
  if (!NOT_BLANK.test(s)) return 'must not be empty or only whitespace';
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

/** A problem found while walking; the keys leading to it are collected on the way back up. */
class Unstorable {
  readonly keys: (string | number)[] = [];
  constructor(readonly reason: string) {}
}

/** The value, a cleaned copy, or the first problem. Paths are built only for a problem (hot path). */
const clean = (value: unknown, depth: number): unknown => {
  switch (typeof value) {
    case 'string':
      return wellFormed(value);
    case 'number':
      return Number.isFinite(value) ? value : new Unstorable('must be a finite number (±1.8e308 at most)');
    case 'object':
      break;
    default:
      // booleans; undefined, functions, bigints never come from JSON.parse.
      return value;
  }
  if (value === null) return null;
  if (depth >= MAX_JSON_DEPTH) return new Unstorable(`nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const r = clean(item, depth + 1);
      if (r instanceof Unstorable) {
        r.keys.push(i);
        return r;
      }
      if (r !== item) {
        copy ??= value.slice();
        copy[i] = r;
      }
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  // for…in, not Object.keys: V8's enum cache makes it several times faster on this hot path, and a
  // JSON-parsed object has no inherited enumerable keys.
  for (const key in record) {
    const item = record[key];
    const name = wellFormed(key);
    const r = clean(item, depth + 1);
    if (r instanceof Unstorable) {
      r.keys.push(name);
      return r;
    }
    if (copy === undefined && (name !== key || r !== item)) {
      // Copy on the first change, keeping key order; `putOwn` so `__proto__` stays plain data.
      copy = {};
      for (const before in record) {
        if (before === key) break;
        putOwn(copy, before, record[before]);
      }
    }
    if (copy !== undefined) putOwn(copy, name, r);
  }
  return copy ?? record;
};

/**
 * The value as the warehouse will store it (lone surrogates replaced, the same object when
 * nothing changed), or the first problem that makes it unstorable.
 */
export const storableJson = (value: unknown): Result<unknown, JsonProblem> => {
  const r = clean(value, 0);
  if (!(r instanceof Unstorable)) return ok(r);
  const path = r.keys
    .reverse()
    .map((k) => `.${k}`)
    .join('');
  return err({ path, reason: r.reason });
};

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
