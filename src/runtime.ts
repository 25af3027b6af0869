import { randomBytes } from 'node:crypto';
import type { Clock } from './core/clock.ts';
import { systemClock } from './lib/system-clock.ts';
import type { RekindleConfig } from './config.ts';
import { IngestQueue } from './ingest/ingest-queue.ts';
import { carryOptOutsToCanonical } from './ingest/merged-opt-outs.ts';
import { lockDataDir, type DataDirLock } from './storage/data-dir-lock.ts';
import { migrate } from './storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from './storage/control/sql-client.ts';
import { addWriteKey } from './storage/control/write-keys.ts';
import { bindMasterKeys, sealPlaintextWorkspaceSecrets } from './storage/control/workspace-secrets.ts';
import { loadMasterKeys } from './lib/secret-box.ts';
import { Warehouse } from './storage/warehouse/warehouse.ts';

/** Everything a running Rekindle holds open: the two stores and the ingest queue. */
export interface Runtime {
  config: RekindleConfig;
  control: SqlClient;
  warehouse: Warehouse;
  ingest: IngestQueue;
  clock: Clock;
  /** This process's hold on `config.dataDir`; undefined when both stores are in memory. */
  dataDirLock: DataDirLock | undefined;
  /** Closes the stores, then releases the data directory. */
  close(): Promise<void>;
}

export const openRuntime = async (
  config: RekindleConfig,
  options: { clock?: Clock; controlSchema?: string } = {},
): Promise<Runtime> => {
  const clock = options.clock ?? systemClock;
  // Before any store: a second process opening PGlite's files destroys the control plane
  // (throws DataDirLockedError, naming the holder). PostgreSQL still leaves the DuckDB file here.
  const inMemory =
    config.warehousePath === ':memory:' &&
    (config.databaseUrl !== undefined || config.pgliteDir.startsWith('memory://'));
  const dataDirLock = inMemory ? undefined : lockDataDir(config.dataDir);
  let control: SqlClient | undefined;
  let warehouse: Warehouse | undefined;
  try {
    control = await openSqlClient({
      databaseUrl: config.databaseUrl,
      pgliteDir: config.pgliteDir,
      schema: options.controlSchema,
    });
    await migrate(control);
    // Workspace signing secrets are sealed with the master key; a control plane that lives only
    // in memory gets a key that lives as long (no master.key file for nothing).
    const ephemeral = config.databaseUrl === undefined && config.pgliteDir.startsWith('memory://');
    bindMasterKeys(
      control,
      ephemeral && !process.env['REKINDLE_MASTER_KEY']
        ? { current: randomBytes(32), previous: [] }
        : loadMasterKeys(process.env, config.dataDir),
    );
    await sealPlaintextWorkspaceSecrets(control);
    if (config.writeKey) await addWriteKey(control, config.writeKey, 'from REKINDLE_WRITE_KEY');
    warehouse = await Warehouse.open(config.warehousePath);
    // Opt-outs of ids merged by identity stitching hold for the merged user (ingestion.md).
    await carryOptOutsToCanonical(control, warehouse);
    const carrying = { warehouse, control, chain: Promise.resolve() };
    warehouse.onLinked(() => {
      carrying.chain = carrying.chain
        .then(() => carryOptOutsToCanonical(carrying.control, carrying.warehouse))
        .then(
          () => undefined,
          // Retried at the next link or restart: the copy is idempotent.
          () => undefined,
        );
    });
    const ingest = await IngestQueue.open(warehouse, {
      clock,
      windowMs: config.dedupWindowHours * 3600_000,
    });
    const opened = { control, warehouse };
    return {
      config,
      control,
      warehouse,
      ingest,
      clock,
      dataDirLock,
      close: async () => {
        try {
          await ingest.drained();
          await carrying.chain;
          opened.warehouse.close();
          await opened.control.close();
        } finally {
          dataDirLock?.release();
        }
      },
    };
  } catch (e) {
    warehouse?.close();
    await control?.close().catch(() => undefined);
    dataDirLock?.release();
    throw e;
  }
};
