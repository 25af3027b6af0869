import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/stats/rng.ts';
import { processBatch } from '../../src/ingest/process-batch.ts';
import type { ClickHouseWarehouse } from '../../src/storage/clickhouse/clickhouse-warehouse.ts';
import { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { chdbDir, openClickHouse } from './ingest-support.ts';

/**
 * Identity stitching, ClickHouse against DuckDB on random call sequences: the same batches go to
 * a DuckDB warehouse (links made inside the commit) and to a ClickHouse warehouse (links made by
 * the leader's pass, run after each batch as the leader would between them). Afterwards both hold
 * the same users: the same events under the same ids, the same links, the same profiles and the
 * same refused aliases. Profile values are left out: a merged profile takes the newer value of each
 * field on ClickHouse and the canonical's on DuckDB (docs/ingestion.md).
 */

const NOW = Date.UTC(2026, 5, 1, 10, 0, 0);
const ANON = Array.from({ length: 16 }, (_, i) => `a${i}`);
const USERS = Array.from({ length: 12 }, (_, i) => `u${i}`);

const dir = chdbDir();
const opened: { duck: Warehouse[]; ch: ClickHouseWarehouse[] } = { duck: [], ch: [] };
afterAll(async () => {
  for (const d of opened.duck) d.close();
  for (const c of opened.ch) await c.close();
});

type Message = Record<string, unknown>;

/** One random call: the kinds of traffic that link ids, and plain traffic on either kind of id. */
const randomCall = (rnd: () => number, ts: number): Message => {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const timestamp = new Date(ts).toISOString();
  const r = rnd();
  if (r < 0.25) return { type: 'track', anonymousId: pick(ANON), event: 'view', timestamp };
  if (r < 0.45) return { type: 'track', userId: pick(USERS), event: 'order', timestamp };
  if (r < 0.65)
    return { type: 'identify', userId: pick(USERS), anonymousId: pick(ANON), traits: { k: ts }, timestamp };
  if (r < 0.75)
    return { type: 'track', userId: pick(USERS), anonymousId: pick(ANON), event: 'pay', timestamp };
  const ids = [...ANON, ...USERS];
  const previousId = pick(ids);
  const userId = pick(ids.filter((i) => i !== previousId));
  return { type: 'alias', previousId, userId, timestamp };
};

interface State {
  events: Record<string, number>;
  links: [string, string][];
  profiles: string[];
  refused: number;
}

const stateOf = async (w: { query<T>(sql: string): Promise<T[]> }): Promise<State> => ({
  events: Object.fromEntries(
    (
      await w.query<{ user_id: string; n: number }>(
        'SELECT user_id, count(*) AS n FROM events GROUP BY user_id ORDER BY user_id',
      )
    ).map((r) => [r.user_id, Number(r.n)]),
  ),
  links: (
    await w.query<{ alias_id: string; canonical_id: string }>(
      'SELECT alias_id, canonical_id FROM identity_links ORDER BY alias_id',
    )
  ).map((r) => [r.alias_id, r.canonical_id]),
  profiles: (await w.query<{ user_id: string }>('SELECT user_id FROM profiles ORDER BY user_id')).map(
    (r) => r.user_id,
  ),
  refused: Number(
    (
      await w.query<{ n: number }>(`SELECT count(*) AS n FROM ingest_rejections WHERE field = 'previousId'`)
    )[0]?.n,
  ),
});

describe('identity stitching: ClickHouse equals DuckDB on random call sequences', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 30 batches of 1–4 calls, compared every 5 batches`, async () => {
      const duck = await Warehouse.open(':memory:');
      opened.duck.push(duck);
      const ch = await openClickHouse(dir);
      opened.ch.push(ch);
      const rnd = seededRandom(seed);
      let seq = 0;
      for (let b = 0; b < 30; b++) {
        const receivedAt = NOW + b * 1000;
        const size = 1 + Math.floor(rnd() * 4);
        const messages = Array.from({ length: size }, () => ({
          messageId: `s${seed}-m${++seq}`,
          ...randomCall(rnd, NOW - 86_400_000 + seq * 60_000),
        }));
        const p = processBatch(messages, { receivedAt, source: 'http' });
        expect(p.errors).toEqual([]);
        const batch = {
          events: p.events,
          identifies: p.identifies,
          rejections: p.rejections,
          rejectedAt: receivedAt,
        };
        await duck.commit(batch);
        await ch.commit(batch);
        await ch.stitch({ now: receivedAt + 500, marginMs: 0 });
        if (b % 5 === 4) expect(await stateOf(ch), `after batch ${b}`).toEqual(await stateOf(duck));
      }
      const end = await stateOf(duck);
      // The sequences link ids, keep several users apart and refuse cycles, or the comparison
      // would prove little.
      expect(end.links.length).toBeGreaterThan(3);
      expect(end.profiles.length).toBeGreaterThan(3);
    });
  }
});
