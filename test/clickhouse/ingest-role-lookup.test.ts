import { describe, expect, it } from 'vitest';
import { coalesced } from '../../src/storage/clickhouse/ingest-sink.ts';

/** The ids lookup of the ingest role: asks made while one runs share the next query, each answered its own ids. */
describe('coalesced stored-ids lookup', () => {
  it('answers each ask with its own ids, many asks with few queries', async () => {
    const stored = new Set(['a1', 'b2', 'c3']);
    const queries: string[][] = [];
    const lookup = coalesced(async (ids) => {
      queries.push([...ids]);
      await new Promise((r) => setTimeout(r, 5));
      return new Set(ids.filter((id) => stored.has(id)));
    });
    const asks = [['a1', 'x'], ['b2', 'a1'], ['y'], ['c3', 'z', 'b2']];
    const answers = await Promise.all(asks.map((ids) => lookup(ids)));
    expect(answers.map((s) => [...s].sort())).toEqual([['a1'], ['a1', 'b2'], [], ['b2', 'c3']]);
    // The first ask runs at once; the three asked meanwhile share the second query (ids once each).
    expect(queries).toHaveLength(2);
    expect(queries[1]?.sort()).toEqual(['a1', 'b2', 'c3', 'y', 'z']);
  });

  it('fails every ask that shared a failed query, and serves the next ones', async () => {
    let fail = true;
    const lookup = coalesced(async (ids) => {
      await new Promise((r) => setTimeout(r, 1));
      if (fail) throw new Error('Code: 210. DB::Exception: connection refused');
      return new Set(ids);
    });
    const results = await Promise.allSettled([lookup(['a']), lookup(['b'])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect([...(await lookup(['c']))]).toEqual(['c']);
  });
});
