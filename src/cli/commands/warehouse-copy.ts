import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ok, type Result } from '../../core/result.ts';
import type { ClickHouseDb } from '../../storage/clickhouse/client.ts';
import type { CopyReport } from '../../storage/clickhouse/copy-from-duckdb.ts';
import { parseClickHouseTarget, type ClickHouseTarget } from '../../storage/clickhouse/target.ts';
import { lockDataDir } from '../../storage/data-dir-lock.ts';
import { Warehouse } from '../../storage/warehouse/warehouse.ts';

type Io = { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } };

/** The target as it may be printed: the server and user, never the password. */
export const describeTarget = (t: ClickHouseTarget): string =>
  t.kind === 'chdb'
    ? `chDB at ${t.path}, database ${t.database}`
    : `${t.url} as ${t.username}, database ${t.database}`;

/**
 * The address given to `--to`; a server address without a password takes CLICKHOUSE_PASSWORD,
 * so the password need not be on the command line (where `ps` shows it).
 */
export const copyTargetOf = (
  address: string,
  env: Readonly<Record<string, string | undefined>>,
): Result<ClickHouseTarget, string> => {
  const t = parseClickHouseTarget(address);
  if (!t.ok) return t;
  const password = env['CLICKHOUSE_PASSWORD'];
  if (t.value.kind === 'server' && t.value.password === '' && password !== undefined)
    return ok({ ...t.value, password });
  return t;
};

const count = (n: number) => n.toLocaleString('en-US');

export const formatCopyReport = (r: CopyReport): string => {
  const lines = r.tables.map(
    (t) =>
      `  ${t.table.padEnd(26)} ${count(t.targetRows).padStart(13)} rows  ${t.action === 'already_copied' ? 'already copied' : t.action}`,
  );
  const seconds = r.ms / 1000;
  return [
    `Copied ${count(r.copiedRows)} rows in ${seconds.toFixed(1)} s (${count(Math.round(r.copiedRows / Math.max(seconds, 0.001)))} rows/s); row counts equal on both sides:`,
    ...lines,
    '',
  ].join('\n');
};

/**
 * `rekindle warehouse copy --to <address>`: the data directory's DuckDB warehouse into a
 * ClickHouse warehouse (a server, or chDB), for moving an embedded installation to the
 * ClickHouse deployment. It takes the data directory's lock, so it refuses (with who holds it)
 * while `rekindle serve` runs: DuckDB lets one process open the file.
 */
export const registerWarehouseCopyCommand = (
  program: Command,
  dataDir: () => { dataDir: string; warehousePath: string },
  io: Io = process,
  env: Readonly<Record<string, string | undefined>> = process.env,
): void => {
  const wh = program.command('warehouse').description('the warehouse: move it to ClickHouse');
  wh.command('copy')
    .description(
      'copy the DuckDB warehouse of the data directory into ClickHouse (stop the server first); a rerun skips tables already copied',
    )
    .requiredOption(
      '--to <address>',
      'clickhouse://user@host:8123/database (password: CLICKHOUSE_PASSWORD), clickhouses://…, http(s)://host:8123?database=…, or chdb:///path',
    )
    .option('--replace', 'empty a ClickHouse table that holds a different number of rows, then copy it')
    .option(
      '--tmp-dir <dir>',
      'where the Parquet files are written on the way (default: the OS temporary directory)',
    )
    .action(async (opts: { to: string; replace?: boolean; tmpDir?: string }) => {
      const fail = (message: string, code = 2) => {
        io.stderr.write(`rekindle warehouse copy: ${message}\n`);
        process.exitCode = code;
      };
      const target = copyTargetOf(opts.to, env);
      if (!target.ok) return fail(`--to: ${target.error}`);
      const c = dataDir();
      if (!existsSync(c.warehousePath)) return fail(`no warehouse at ${c.warehousePath}`);
      // Refuses with who holds the directory (a running server) before anything is opened.
      const lock = lockDataDir(c.dataDir, { command: 'warehouse copy' });
      // Loaded here, so the other commands never load the ClickHouse client.
      const { ClickHouseDb } = await import('../../storage/clickhouse/client.ts');
      const { copyDuckDbToClickHouse, formatCopyRefusal } =
        await import('../../storage/clickhouse/copy-from-duckdb.ts');
      const warehouse = await Warehouse.open(c.warehousePath);
      let db: ClickHouseDb | undefined;
      try {
        io.stderr.write(`copying ${c.warehousePath} into ClickHouse (${describeTarget(target.value)})\n`);
        db = await ClickHouseDb.open(target.value);
        const r = await copyDuckDbToClickHouse(warehouse, db, {
          log: (line) => io.stderr.write(`${line}\n`),
          ...(opts.replace === true ? { replace: true } : {}),
          ...(opts.tmpDir === undefined ? {} : { tmpDir: opts.tmpDir }),
        });
        if (!r.ok) {
          const what = r.error.some((e) => e.kind === 'counts_differ')
            ? 'the copy ended with different row counts:'
            : 'nothing was copied:';
          return fail([what, ...r.error.map((e) => `  ${formatCopyRefusal(e)}`)].join('\n'), 1);
        }
        io.stdout.write(formatCopyReport(r.value));
      } finally {
        await db?.close();
        warehouse.close();
        lock.release();
      }
    });
};
