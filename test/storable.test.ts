import { describe, expect, it } from 'vitest';
import {
  isStorableTime,
  jsonNestsDeeperThan,
  nameProblem,
  putOwn,
  storableJson,
} from '../src/core/events/storable.ts';
import { parseTimestamp } from '../src/core/events/timestamp.ts';
import { isStorageFailure } from '../src/storage/warehouse/isolating-commit.ts';

describe('what the warehouse can store', () => {
  it('replaces lone surrogates in values and keys, keeps pairs, and copies only what changed', () => {
    const same = { a: 'ok 😀', b: [1, { c: true }] };
    expect(storableJson(same)).toEqual({ ok: true, value: same });
    expect((storableJson(same) as { value: unknown }).value).toBe(same);
    const r = storableJson(JSON.parse('{"x":1,"k\\ud800":["a\\udc00b"],"__proto__":{"p":1}}'));
    expect(r.ok).toBe(true);
    const value = (r as { value: Record<string, unknown> }).value;
    expect(JSON.stringify(value)).toBe('{"x":1,"k\uFFFD":["a\uFFFDb"],"__proto__":{"p":1}}');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('names the path of a non-finite number or of nesting past 64 levels', () => {
    expect(storableJson(JSON.parse('{"a":{"b":[0,1e400]}}'))).toEqual({
      ok: false,
      error: { path: '.a.b.1', reason: 'must be a finite number (±1.8e308 at most)' },
    });
    const deep = JSON.parse(`{"x":${'['.repeat(70)}${']'.repeat(70)}}`) as unknown;
    const r = storableJson(deep);
    expect(r.ok === false && r.error.reason).toBe('nests deeper than 64 levels');
    expect(r.ok === false && r.error.path).toBe(`.x${'.0'.repeat(63)}`);
  });

  it('measures JSON depth on the text, ignoring brackets inside strings and escaped quotes', () => {
    expect(jsonNestsDeeperThan(`${'['.repeat(64)}${']'.repeat(64)}`, 64)).toBe(false);
    expect(jsonNestsDeeperThan(`${'['.repeat(65)}${']'.repeat(65)}`, 64)).toBe(true);
    expect(jsonNestsDeeperThan(`{"a":"${'['.repeat(100)}\\"${'{'.repeat(100)}\\\\"}`, 64)).toBe(false);
    expect(jsonNestsDeeperThan(`{"a\\\\":[[[]]]}`, 2)).toBe(true);
  });

  it('refuses blank, NUL and lone-surrogate names; keeps __proto__ an own key', () => {
    expect(nameProblem(' \t\n')).toBe('must not be empty or only whitespace');
    expect(nameProblem('a\u0000')).toBe('must not contain a NUL character (\\u0000)');
    expect(nameProblem('a\ud800')).toMatch(/lone UTF-16 surrogate/);
    expect(nameProblem('用户 😀')).toBeNull();
    const o: Record<string, unknown> = {};
    putOwn(o, '__proto__', { polluted: true });
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(JSON.stringify(o)).toBe('{"__proto__":{"polluted":true}}');
  });

  it('knows days that do not exist and times outside years 1–9999', () => {
    expect(parseTimestamp('2026-02-30T00:00:00Z')).toBeNaN();
    expect(parseTimestamp('2026-04-31')).toBeNaN();
    expect(parseTimestamp('2100-02-29')).toBeNaN();
    expect(parseTimestamp('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
    expect(parseTimestamp('2026-01-31T23:59:59Z')).toBe(Date.UTC(2026, 0, 31, 23, 59, 59));
    expect(isStorableTime(1e16)).toBe(false);
    expect(isStorableTime(Date.parse('9999-12-31T23:59:59.999Z'))).toBe(true);
    expect(isStorableTime(Date.parse('0001-01-01T00:00:00Z'))).toBe(true);
    expect(isStorableTime(Date.parse('0000-12-31T23:59:59Z'))).toBe(false);
  });

  it('tells a failing store from a refused record', () => {
    expect(isStorageFailure(new Error('IO Error: No space left on device'))).toBe(true);
    expect(isStorageFailure(new Error('Out of Memory Error: failed to allocate'))).toBe(true);
    expect(isStorageFailure(new Error('Invalid Input Error: Malformed JSON'))).toBe(false);
    expect(isStorageFailure(new Error('micros out of int64 range'))).toBe(false);
  });
});
