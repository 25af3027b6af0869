import { afterAll, describe, expect, it } from 'vitest';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { startChildServer } from './support/child-server.ts';
import { basicAuth } from './support/runtime.ts';
import { tempDir } from './support/tmp.ts';

const KEY = 'rk_crash_test_key';
const tmp = tempDir('rekindle-crash-');
afterAll(() => tmp.cleanup());

const batchBody = (b: number) =>
  JSON.stringify({
    batch: Array.from({ length: 100 }, (_, i) => ({
      type: 'track',
      userId: `u${(b * 100 + i) % 997}`,
      event: 'view_item',
      messageId: `crash-${b}-${i}`,
      properties: { product_id: `p${i}` },
    })),
  });

const send = async (url: string, b: number): Promise<boolean> => {
  try {
    const res = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(KEY) },
      body: batchBody(b),
    });
    return res.status === 200;
  } catch {
    return false; // connection dropped by the kill: not acknowledged
  }
};

describe('an acknowledged event survives kill -9', () => {
  it('keeps every acknowledged batch across three SIGKILLs, and retries store nothing twice', async () => {
    const env = { REKINDLE_DATA_DIR: tmp.dir, REKINDLE_WRITE_KEY: KEY };
    const acked = new Set<number>();
    let next = 0;
    for (let round = 0; round < 3; round++) {
      const server = await startChildServer(env);
      let killed = false;
      const worker = async () => {
        while (!killed) {
          const b = next++;
          if (await send(server.url, b)) {
            acked.add(b);
            // Kill right after a 200 once the round has some volume, while other requests are in flight.
            if (acked.size >= (round + 1) * 40 && !killed) {
              killed = true;
              server.child.kill('SIGKILL');
            }
          }
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      expect(await server.exited).toBeNull();
    }
    const sent = next;
    expect(acked.size).toBeGreaterThanOrEqual(120);

    // Restart (DuckDB replays its WAL on open) and count before any retry.
    const afterCrash = await Warehouse.open(`${tmp.dir}/warehouse.duckdb`);
    const firsts = await afterCrash.query<{ message_id: string }>(
      `SELECT message_id FROM events WHERE message_id LIKE 'crash-%-0'`,
    );
    const survived = Number(await afterCrash.scalar('SELECT count(*) FROM events'));
    afterCrash.close();
    const stored = new Set(firsts.map((r) => Number(r.message_id.split('-')[1])));
    expect([...acked].filter((b) => !stored.has(b))).toEqual([]);
    expect(survived).toBeGreaterThanOrEqual(acked.size * 100);

    // Restart and retry everything, as a client that got no answer would: nothing may double.
    const server = await startChildServer(env);
    for (let b = 0; b < sent; b += 8) {
      const results = await Promise.all(
        Array.from({ length: Math.min(8, sent - b) }, (_, k) => send(server.url, b + k)),
      );
      expect(results.every(Boolean)).toBe(true);
    }
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const wh = await Warehouse.open(`${tmp.dir}/warehouse.duckdb`);
    const [stats] = await wh.query<{ n: bigint; distinct_ids: bigint }>(
      'SELECT count(*) AS n, count(DISTINCT message_id) AS distinct_ids FROM events',
    );
    wh.close();
    expect(Number(stats?.n)).toBe(sent * 100);
    expect(Number(stats?.distinct_ids)).toBe(sent * 100);
  });
});
