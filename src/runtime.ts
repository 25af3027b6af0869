import { systemClock, type Clock } from './core/clock.ts';
import type { RekindleConfig } from './config.ts';
import { IngestQueue } from './ingest/ingest-queue.ts';
import { migrate } from './storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from './storage/control/sql-client.ts';
import { addWriteKey } from './storage/control/write-keys.ts';
import { Warehouse } from './storage/warehouse/warehouse.ts';

/** Everything a running Rekindle holds open: the two stores and the ingest queue. */
export interface Runtime {
  config: RekindleConfig;
  control: SqlClient;
  warehouse: Warehouse;
  ingest: IngestQueue;
  clock: Clock;
  close(): Promise<void>;
}

export const openRuntime = async (
  config: RekindleConfig,
  options: { clock?: Clock; controlSchema?: string } = {},
): Promise<Runtime> => {
  const clock = options.clock ?? systemClock;
  const control = await openSqlClient({
    databaseUrl: config.databaseUrl,
    pgliteDir: config.pgliteDir,
    schema: options.controlSchema,
  });
  await migrate(control);
  if (config.writeKey) await addWriteKey(control, config.writeKey, 'from REKINDLE_WRITE_KEY');
  const warehouse = await Warehouse.open(config.warehousePath);
  const ingest = await IngestQueue.open(warehouse, { clock, windowMs: config.dedupWindowHours * 3600_000 });
  return {
    config,
    control,
    warehouse,
    ingest,
    clock,
    close: async () => {
      await ingest.drained();
      warehouse.close();
      await control.close();
    },
  };
};
