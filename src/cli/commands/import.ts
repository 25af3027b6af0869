import { stat } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import {
  ImportFileError,
  importFile,
  type ImportFormat,
  type ImportProgress,
  type ImportReport,
} from '../../ingest/import/import-file.ts';
import type { WarehouseStore } from '../../storage/warehouse-sql.ts';

/** Errors listed in the human summary (all are in `ingest_rejections`). */
const ERRORS_SHOWN = 20;

export interface ImportCliOptions {
  format?: ImportFormat;
  json?: boolean;
}

/** Where the command writes; the process streams in real use, buffers in tests. */
export interface ImportCliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

/** The warehouse the command imports into, on either engine; closed when the import ends. */
export type ImportWarehouse = WarehouseStore & { close(): void | Promise<void> };

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const count = (n: number): string => n.toLocaleString('en-US');

const progressBar = (io: ImportCliIo, started: number) => {
  const stream = io.stderr as NodeJS.WriteStream;
  const bar = new SingleBar({
    format:
      'importing [{bar}] {percentage}% | {read}/{size} MiB | {records} records | {rate} records/s | ETA {eta_formatted}',
    stream,
    hideCursor: true,
    etaBuffer: 50,
  });
  let begun = false;
  return {
    update(p: ImportProgress) {
      const payload = {
        read: mib(p.bytesRead),
        size: mib(p.totalBytes),
        records: count(p.records),
        rate: count(Math.round(p.records / Math.max(0.001, (performance.now() - started) / 1000))),
      };
      if (!begun) {
        begun = true;
        bar.start(Math.max(1, p.totalBytes), p.bytesRead, payload);
      } else bar.update(p.bytesRead, payload);
    },
    stop() {
      if (begun) bar.stop();
    },
  };
};

/** The human summary: counts, then the first errors as `line N, field F: reason`. */
export const formatImportSummary = (file: string, r: ImportReport): string => {
  const seconds = r.ms / 1000;
  const rate = seconds > 0 ? ` (${count(Math.round(r.records / seconds))} records/s)` : '';
  const lines = [
    `Imported ${file} (${r.format}) in ${seconds.toFixed(1)} s${rate}`,
    `  records     ${count(r.records)}`,
    `  accepted    ${count(r.accepted)}`,
    `  duplicates  ${count(r.duplicates)} (already stored or repeated in the file; stored once)`,
    `  rejected    ${count(r.rejected)}`,
  ];
  if (r.errors.length > 0) {
    const shown = r.errors.slice(0, ERRORS_SHOWN);
    const more = r.rejected > shown.length || r.errors.length > shown.length;
    lines.push(more ? `First ${shown.length} errors:` : 'Errors:');
    for (const e of shown) lines.push(`  line ${e.index}, field ${e.field}: ${e.reason}`);
    lines.push(
      `Every rejected record is kept with its reason in the table ingest_rejections (source 'import').`,
    );
  }
  return `${lines.join('\n')}\n`;
};

/**
 * `rekindle import <file>`: returns the exit code — 0 when every record was stored or was a
 * duplicate, 1 when any record was rejected, 2 when the file cannot be read at all.
 */
export const runImport = async (
  file: string,
  opts: ImportCliOptions,
  openWarehouse: () => Promise<ImportWarehouse>,
  io: ImportCliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> => {
  const fail = (message: string, partial?: ImportReport): number => {
    if (opts.json)
      io.stdout.write(`${JSON.stringify({ error: message, ...(partial ? { partial } : {}) })}\n`);
    else {
      io.stderr.write(`rekindle import: ${message}\n`);
      if (partial) io.stderr.write(`Before that:\n${formatImportSummary(file, partial)}`);
    }
    return 2;
  };
  // Check the file before opening (and possibly creating) the warehouse.
  try {
    if (!(await stat(file)).isFile()) return fail(`cannot read ${file}: not a regular file`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`);
  }
  const started = performance.now();
  const bar = !opts.json && io.stderr.isTTY === true ? progressBar(io, started) : undefined;
  const warehouse = await openWarehouse();
  try {
    const report = await importFile(warehouse, {
      path: file,
      ...(opts.format ? { format: opts.format } : {}),
      ...(bar ? { onProgress: (p: ImportProgress) => bar.update(p) } : {}),
    });
    bar?.stop();
    io.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatImportSummary(file, report));
    return report.rejected > 0 ? 1 : 0;
  } catch (e) {
    bar?.stop();
    if (e instanceof ImportFileError) return fail(e.message, e.partial);
    throw e;
  } finally {
    await warehouse.close();
  }
};

export const registerImportCommand = (
  program: Command,
  openWarehouse: () => Promise<ImportWarehouse>,
): void => {
  program
    .command('import <file>')
    .description(
      'bulk-import events and profiles from a CSV, NDJSON or Parquet file (format: docs/import.md); ' +
        'exits 1 when records were rejected, 2 when the file cannot be read',
    )
    .addOption(
      new Option(
        '--format <format>',
        'file format (default: from the extension, .gz allowed for text)',
      ).choices(['csv', 'ndjson', 'parquet']),
    )
    .option('--json', 'print the report as one JSON object on stdout (no progress bar)')
    .action(async (file: string, opts: ImportCliOptions) => {
      process.exitCode = await runImport(file, opts, openWarehouse);
    });
};
