import { describe, expect, it } from 'vitest';
import { planLinks, type LinkRequest, type StoredLink } from '../../src/core/events/identity-links.ts';

/** The pure part of identity stitching: chains, cycles, shared devices, known users. */

let n = 0;
const alias = (from: string, to: string, at = 0): LinkRequest => ({
  from,
  to,
  explicit: true,
  via: 'alias',
  messageId: `a${++n}`,
  ts: n,
  at,
});
const anon = (from: string, to: string): LinkRequest => ({
  from,
  to,
  explicit: false,
  via: 'identify',
  messageId: `i${++n}`,
  ts: n,
  at: -1,
});
const stored = (aliasId: string, linkedTo: string, canonicalId: string): StoredLink => ({
  aliasId,
  linkedTo,
  canonicalId,
});
const none = new Set<string>();

describe('planLinks', () => {
  it('follows chains within one batch: a→b, b→c moves a and b to c', () => {
    const p = planLinks([alias('a', 'b'), alias('b', 'c')], [], none);
    expect(p.links.map((l) => [l.aliasId, l.linkedTo, l.canonicalId])).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c', 'c'],
    ]);
    expect(p.merges).toEqual([
      { from: 'a', to: 'c' },
      { from: 'b', to: 'c' },
    ]);
  });

  it('an alias from an id already merged moves its whole tree (root to the new user)', () => {
    const p = planLinks([alias('a', 'x')], [stored('a', 'b', 'b')], none);
    expect(p.links.map((l) => [l.aliasId, l.linkedTo, l.canonicalId])).toEqual([['b', 'x', 'x']]);
    expect(p.merges).toEqual([{ from: 'b', to: 'x' }]);
  });

  it('refuses a cycle, direct or through a chain; restating a link is a no-op', () => {
    const known = [stored('a', 'b', 'c'), stored('b', 'c', 'c')];
    const p = planLinks([alias('c', 'a', 3), alias('b', 'a', 4), alias('a', 'c', 5)], known, none);
    expect(p.refused).toEqual([
      { at: 3, reason: "would make a cycle: userId 'a' is already merged into 'c'" },
      { at: 4, reason: "would make a cycle: userId 'a' is already merged into 'b'" },
    ]);
    expect(p.links).toEqual([]);
  });

  it('an anonymous id links once (shared device), never when it was a userId or has ids linked to it', () => {
    const p = planLinks(
      [anon('dev', 'u1'), anon('dev', 'u2'), anon('known', 'u3'), anon('root', 'u4')],
      [stored('x', 'root', 'root')],
      new Set(['known']),
    );
    expect(p.links.map((l) => [l.aliasId, l.canonicalId])).toEqual([['dev', 'u1']]);
    expect(p.settled.sort()).toEqual(['dev', 'known', 'root']);
  });
});
