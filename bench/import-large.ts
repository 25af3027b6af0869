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

export type LargeImportResult = Awaited<ReturnType<typeof benchLargeImport>>;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/**
 * `benchLargeImport` `runs` times (each import and its DuckDB baseline back to back, so both
 * see the same machine), with the median of each: on a shared machine one run says little.
 */
export const benchImportMedian = async (
  work: string,
  size: 'small' | 'demo' | 'large',
  runs: number,
  log: (s: string) => void,
): Promise<LargeImportResult & { runs: number; each: string }> => {
  const results: LargeImportResult[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await benchLargeImport(work, size);
    removeWarehouse(r.warehousePath);
    log(
      `    run ${i + 1}/${runs}: ${Math.round(r.recordsPerSecond)} records/s, DuckDB read_csv ${Math.round(r.baselineRecordsPerSecond)} records/s`,
    );
    results.push(r);
  }
  const first = results[0];
  if (first === undefined) throw new Error('benchImportMedian needs one run at least');
  const seconds = median(results.map((r) => r.seconds));
  const baselineSeconds = median(results.map((r) => r.baselineSeconds));
  return {
    ...first,
    seconds,
    recordsPerSecond: first.records / seconds,
    baselineSeconds,
    baselineRecordsPerSecond: median(results.map((r) => r.baselineRecordsPerSecond)),
    runs,
    each: results
      .map((r) => `${fmtInt(r.recordsPerSecond)} vs ${fmtInt(r.baselineRecordsPerSecond)}`)
      .join('; '),
  };
};

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The bulk-import row of docs/benchmarks.md (one run, or the medians of `runs`). */
export const importRow = (imp: LargeImportResult & { runs?: number; each?: string }): string => {
  const many = imp.runs !== undefined && imp.runs > 1;
  const how = many ? `median of ${imp.runs} runs, each import beside its baseline: ${imp.each ?? ''}; ` : '';
  return `| Bulk import, \`rekindle import\` of a CSV from \`rekindle generate --size ${imp.size}\` (validate, dedup, commit) | ${fmtInt(imp.records)} records, ${(imp.bytes / 2 ** 20).toFixed(0)} MiB | **${fmtInt(imp.recordsPerSecond)} records/s** (${how}${imp.seconds.toFixed(1)} s) | DuckDB \`read_csv\` of the same file into a table, no validation: ${fmtInt(imp.baselineRecordsPerSecond)} records/s (${imp.baselineSeconds.toFixed(1)} s) | ${(imp.recordsPerSecond / imp.baselineRecordsPerSecond).toFixed(2)}× | — |`;
};

/** Deletes a warehouse kept by `benchLargeImport` (and its WAL). */
export const removeWarehouse = (path: string): void => {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
};
