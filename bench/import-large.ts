import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeDemoFile } from '../src/demo/write-demo-file.ts';
import { importFile } from '../src/ingest/import/import-file.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';

const NOW = Date.UTC(2026, 10, 1);

const freshWarehouse = async (path: string) => {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
  return Warehouse.open(path);
};

/**
 * Imports the generated data set through `importFile` (the code behind `rekindle import`),
 * beside DuckDB's own CSV reader loading the same file with no validation or dedup. The imported
 * warehouse is kept for the audience benchmark (`warehousePath`); `removeWarehouse` deletes it.
 */
export const benchLargeImport = async (work: string, size: 'small' | 'demo' | 'large') => {
  const csv = join(work, `${size}.csv`);
  if (!existsSync(csv)) await writeDemoFile({ size, seed: 7, now: NOW, path: csv, format: 'csv' });
  const bytes = statSync(csv).size;

  const warehousePath = join(work, 'import.duckdb');
  const wh = await freshWarehouse(warehousePath);
  const started = performance.now();
  const report = await importFile(wh, { path: csv, format: 'csv' });
  const seconds = (performance.now() - started) / 1000;
  await wh.checkpoint();
  wh.close();
  if (report.rejected > 0) throw new Error(`import rejected ${report.rejected} records`);

  const base = await freshWarehouse(join(work, 'import-baseline.duckdb'));
  const t = performance.now();
  await base.query(`CREATE TABLE raw AS SELECT * FROM read_csv($1, header = true, all_varchar = true)`, [
    csv,
  ]);
  const baselineSeconds = (performance.now() - t) / 1000;
  const baselineRows = Number(await base.scalar('SELECT count(*) FROM raw'));
  base.close();
  rmSync(join(work, 'import-baseline.duckdb'), { force: true });
  rmSync(join(work, 'import-baseline.duckdb.wal'), { force: true });

  return {
    size,
    bytes,
    records: report.records,
    seconds,
    recordsPerSecond: report.records / seconds,
    baselineSeconds,
    baselineRecordsPerSecond: baselineRows / baselineSeconds,
    warehousePath,
    now: NOW,
  };
};

/** Deletes a warehouse kept by `benchLargeImport` (and its WAL). */
export const removeWarehouse = (path: string): void => {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
};
