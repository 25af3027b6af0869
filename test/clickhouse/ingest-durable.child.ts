/**
 * Child of ingest-durable.test.ts: commits batches into a chDB warehouse one after another and
 * prints "acked N" as soon as the commit of batch N resolved, until it is killed.
 * Arguments: data directory, database, first batch number.
 */
import { ClickHouseWarehouse } from '../../src/storage/clickhouse/clickhouse-warehouse.ts';
import { durableBatch } from './ingest-durable.batch.ts';

const [dir, database, from] = process.argv.slice(2);
if (dir === undefined || database === undefined || from === undefined)
  throw new Error('usage: dir database from');
const w = await ClickHouseWarehouse.open({ kind: 'chdb', path: dir, database });
process.stdout.write('ready\n');
for (let n = Number(from); n < Number(from) + 10_000; n++) {
  await w.commit(durableBatch(n));
  process.stdout.write(`acked ${n}\n`);
}
