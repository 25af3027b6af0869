import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ClickHouseWarehouse } from '../../src/storage/clickhouse/clickhouse-warehouse.ts';
import { durableBatch, EVENTS_PER_BATCH } from './ingest-durable.batch.ts';
import { chdbDir } from './ingest-support.ts';

const CHILD = fileURLToPath(new URL('./ingest-durable.child.ts', import.meta.url));

/** A seeded generator (mulberry32): the kill points are the same every run. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/**
 * Runs the child until it acknowledged `acks` batches, waits `extraMs` more (it is then in the
 * middle of some commit) and kills it with SIGKILL. Returns the batches it acknowledged.
 */
const runAndKill = (dir: string, database: string, from: number, acks: number, extraMs: number) =>
  new Promise<number[]>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, database, String(from)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    let stderr = '';
    let buffered = '';
    let killing = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^acked (\d+)$/.exec(line);
        if (m !== null) acked.push(Number(m[1]));
      }
      if (!killing && acked.length >= acks) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child ended by itself (${code}): ${stderr.slice(-2000)}`));
    });
  });

describe('ClickHouse ingestion: acknowledged = durable', () => {
  it('keeps every acknowledged batch whole through kill -9 (twice), the rest at most once', async () => {
    const dir = chdbDir();
    const database = 'durable';
    const random = seeded(19);
    const acked = [
      ...(await runAndKill(dir, database, 0, 3 + Math.floor(random() * 10), Math.floor(random() * 150))),
      ...(await runAndKill(dir, database, 1000, 3 + Math.floor(random() * 10), Math.floor(random() * 150))),
    ];
    expect(acked.length).toBeGreaterThanOrEqual(6);
    const w = await ClickHouseWarehouse.open({ kind: 'chdb', path: dir, database });
    try {
      const perBatch = async (sql: string) =>
        new Map((await w.db.query<{ b: string; n: number }>(sql)).map((r) => [Number(r.b), r.n] as const));
      const events = await perBatch(
        `SELECT extract(message_id, '^b(\\\\d+)-') AS b, count() AS n FROM events GROUP BY b`,
      );
      const history = await perBatch(
        `SELECT extract(message_id, '^b(\\\\d+)-') AS b, count() AS n FROM profile_history GROUP BY b`,
      );
      const rejections = await perBatch(
        `SELECT extract(reason, 'bad in (\\\\d+)') AS b, count() AS n FROM ingest_rejections GROUP BY b`,
      );
      for (const n of acked) {
        expect(events.get(n), `events of batch ${n}`).toBe(EVENTS_PER_BATCH);
        expect(history.get(n), `history of batch ${n}`).toBe(2);
        expect(rejections.get(n), `rejection of batch ${n}`).toBe(1);
        const p = await w.db.query<{ city: string }>('SELECT city FROM profiles WHERE user_id = {u:String}', {
          u: `u${n % 50}`,
        });
        expect(p).toHaveLength(1);
      }
      // A batch cut by the kill may be partly stored, never twice.
      for (const n of events.values()) expect(n).toBeLessThanOrEqual(EVENTS_PER_BATCH);

      // The clients retry: every batch again, the acknowledged ones and the one each kill cut.
      // After the restart the tokens still hold: each batch is then stored whole, exactly once.
      const cut = [Math.max(...acked.filter((n) => n < 1000)) + 1, Math.max(...acked) + 1];
      for (const n of [...acked, ...cut]) await w.commit(durableBatch(n));
      const again = await perBatch(
        `SELECT extract(message_id, '^b(\\\\d+)-') AS b, count() AS n FROM events GROUP BY b`,
      );
      const historyAgain = await perBatch(
        `SELECT extract(message_id, '^b(\\\\d+)-') AS b, count() AS n FROM profile_history GROUP BY b`,
      );
      const rejectionsAgain = await perBatch(
        `SELECT extract(reason, 'bad in (\\\\d+)') AS b, count() AS n FROM ingest_rejections GROUP BY b`,
      );
      expect(again.size).toBe(acked.length + 2);
      for (const n of [...acked, ...cut]) {
        expect(again.get(n), `events of batch ${n} after the retry`).toBe(EVENTS_PER_BATCH);
        expect(historyAgain.get(n), `history of batch ${n} after the retry`).toBe(2);
        expect(rejectionsAgain.get(n), `rejection of batch ${n} after the retry`).toBe(1);
      }
    } finally {
      await w.close();
    }
  });
});
