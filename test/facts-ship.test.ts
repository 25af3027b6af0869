import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newShipState, shipFacts, shippablePrefix } from '../src/facts/ship.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { appendMessageLog, type MessageLogRow } from '../src/storage/control/message-log.ts';
import { SHIP_T0, sentLogEntry } from './support/sent-log-entry.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { tempDir } from './support/tmp.ts';

/**
 * The fact shipper: message_log → message_facts exactly once, across a crash between batches
 * (the warehouse file reopened), with gaps in seq waited for.
 */

const T0 = SHIP_T0;

let cleanup: (() => void) | undefined;
let control: SqlClient | undefined;
afterEach(async () => {
  await control?.close();
  control = undefined;
  cleanup?.();
  cleanup = undefined;
});

describe('fact shipper', () => {
  it('ships every log row once, in yuan, and survives a crash between batches', async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    control = await openSqlClient({ pgliteDir: 'memory://' });
    await migrate(control);
    await appendMessageLog(
      control,
      Array.from({ length: 250 }, (_, i) => sentLogEntry(i)),
    );
    const path = join(tmp.dir, 'w.duckdb');
    let w = await Warehouse.open(path);
    const crash = new Error('killed after the second batch');
    let batches = 0;
    await expect(
      shipFacts(control, w, {
        clock: () => T0,
        batchSize: 100,
        afterBatch: () => {
          if (++batches === 2) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    w.close();
    w = await Warehouse.open(path);
    expect(Number(await w.scalar('SELECT count(*) FROM message_facts'))).toBe(200);
    await appendMessageLog(control, [{ ...sentLogEntry(1), kind: 'clicked', at: T0 + 999_000 }]);
    const r = await shipFacts(control, w, { clock: () => T0, batchSize: 100 });
    expect(r).toEqual({ shipped: 51, batches: 1, cursor: 251, waiting: false });
    expect(await shipFacts(control, w, { clock: () => T0 })).toMatchObject({ shipped: 0, cursor: 251 });
    const rows = await w.query<{ n: bigint; seqs: bigint; lo: bigint; hi: bigint; cost: number }>(
      'SELECT count(*) AS n, count(DISTINCT seq) AS seqs, min(seq) AS lo, max(seq) AS hi, sum(cost) AS cost FROM message_facts',
    );
    expect(rows[0]).toEqual({ n: 251n, seqs: 251n, lo: 1n, hi: 251n, cost: expect.closeTo(12.55, 9) });
    const [one] = await w.query<Record<string, unknown>>(
      'SELECT message_id, variant, status, properties::VARCHAR AS p FROM message_facts WHERE seq = 251',
    );
    expect(one).toEqual({ message_id: 'c1:r1:0:u1', variant: 'b', status: 'clicked', p: '{"n":1}' });
    w.close();
  });

  it('waits for a gap in seq, then steps over it once it has stayed open long enough', () => {
    const row = (seq: number) => ({ seq }) as MessageLogRow;
    const state = newShipState();
    const rows = [row(11), row(12), row(14), row(15)];
    expect(shippablePrefix(10, rows, state, 0, 1000).rows.map((r) => r.seq)).toEqual([11, 12]);
    // 13 is still open: nothing after it ships
    expect(shippablePrefix(12, rows.slice(2), state, 500, 1000)).toMatchObject({ rows: [], waiting: true });
    // 13 committed meanwhile: it fills the gap
    expect(shippablePrefix(12, [row(13), ...rows.slice(2)], state, 600, 1000).rows.map((r) => r.seq)).toEqual(
      [13, 14, 15],
    );
    const s2 = newShipState();
    expect(shippablePrefix(12, rows.slice(2), s2, 0, 1000).rows).toEqual([]);
    expect(shippablePrefix(12, rows.slice(2), s2, 1000, 1000).rows.map((r) => r.seq)).toEqual([14, 15]);
    expect(s2.gap).toBeNull();
  });
});
