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
import type { WarehouseStore } from './storage/warehouse-sql.ts';
import type { ClickHouseWarehouse } from './storage/clickhouse/clickhouse-warehouse.ts';

/**
 * The warehouse engine a runtime holds: the statements (`Runtime.warehouse`) run on either; what
 * only one engine does (DuckDB's CSV import path, compaction and identity stitching; ClickHouse's
 * group-committed ingestion) is reached through this.
 */
export type WarehouseEngine =
  { kind: 'duckdb'; warehouse: Warehouse } | { kind: 'clickhouse'; warehouse: ClickHouseWarehouse };

/** Everything a running Rekindle holds open: the two stores and the ingest queue. */
export interface Runtime {
  config: RekindleConfig;
  control: SqlClient;
  /** The warehouse's statements, on DuckDB or ClickHouse (REKINDLE_WAREHOUSE). */
  warehouse: WarehouseStore;
  engine: WarehouseEngine;
  ingest: IngestQueue;
  clock: Clock;
  /** This process's hold on `config.dataDir`; undefined when both stores are in memory. */
  dataDirLock: DataDirLock | undefined;
  /** Closes the stores, then releases the data directory. */
  close(): Promise<void>;
}

/**
 * The embedded DuckDB warehouse of a runtime, for what only DuckDB has (compaction, the demo's
 * sort order); throws on a ClickHouse warehouse, where the caller has nothing to do.
 */
export const duckdbWarehouseOf = (rt: Pick<Runtime, 'engine'>): Warehouse => {
  if (rt.engine.kind !== 'duckdb')
    throw new Error('this needs the embedded DuckDB warehouse (REKINDLE_WAREHOUSE is ClickHouse)');
  return rt.engine.warehouse;
};

export const openRuntime = async (
  config: RekindleConfig,
  options: { clock?: Clock; controlSchema?: string } = {},
): Promise<Runtime> => {
  const clock = options.clock ?? systemClock;
  // Before any store: a second process opening PGlite's files destroys the control plane
  // (throws DataDirLockedError, naming the holder). PostgreSQL still leaves the DuckDB file here.
  const onClickHouse = config.clickhouseWarehouse !== undefined;
  // PostgreSQL with ClickHouse keeps nothing in the data directory but master.key: any number of
  // processes may share it (the cluster shape, docs/cluster.md).
  const inMemory =
    (config.warehousePath === ':memory:' || onClickHouse) &&
    (config.databaseUrl !== undefined || config.pgliteDir.startsWith('memory://'));
  const dataDirLock = inMemory ? undefined : lockDataDir(config.dataDir);
  let control: SqlClient | undefined;
  let warehouse: Warehouse | undefined;
  let clickhouse: ClickHouseWarehouse | undefined;
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
    if (config.clickhouseWarehouse !== undefined) {
      // Loaded only here: the embedded default never loads the ClickHouse client.
      const { ClickHouseWarehouse } = await import('./storage/clickhouse/clickhouse-warehouse.ts');
      const { openClickHouseIngestSink } = await import('./storage/clickhouse/ingest-sink.ts');
      const ch = await ClickHouseWarehouse.open(config.clickhouseWarehouse);
      clickhouse = ch;
      const parts = {
        ingest: await IngestQueue.openOn(await openClickHouseIngestSink(ch), {
          clock,
          windowMs: config.dedupWindowHours * 3600_000,
        }),
      };
      const opened = { control };
      return {
        config,
        control,
        warehouse: ch,
        engine: { kind: 'clickhouse', warehouse: ch },
        ingest: parts.ingest,
        clock,
        dataDirLock,
        close: async () => {
          try {
            await parts.ingest.drained();
            await ch.close();
            await opened.control.close();
          } finally {
            dataDirLock?.release();
          }
        },
      };
    }
    const duck = await Warehouse.open(config.warehousePath);
    warehouse = duck;
    // Opt-outs of ids merged by identity stitching hold for the merged user (ingestion.md).
    await carryOptOutsToCanonical(control, duck);
    const carrying = { warehouse: duck, control, chain: Promise.resolve() };
    duck.onLinked(() => {
      carrying.chain = carrying.chain
        .then(() => carryOptOutsToCanonical(carrying.control, carrying.warehouse))
        .then(
          () => undefined,
          // Retried at the next link or restart: the copy is idempotent.
          () => undefined,
        );
    });
    const ingest = await IngestQueue.open(duck, {
      clock,
      windowMs: config.dedupWindowHours * 3600_000,
    });
    const opened = { control, warehouse: duck };
    return {
      config,
      control,
      warehouse: duck,
      engine: { kind: 'duckdb', warehouse: duck },
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
    await clickhouse?.close().catch(() => undefined);
    await control?.close().catch(() => undefined);
    dataDirLock?.release();
    throw e;
  }
};
