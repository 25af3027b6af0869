import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { err, ok, type Result } from '../../core/result.ts';
import { lockDataDir } from '../../storage/data-dir-lock.ts';
import type { ControlCopyReport } from '../../storage/control/copy-to-postgres.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';

type Io = { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } };

/** The address given to `--to`: a PostgreSQL URL (the password may come from PGPASSWORD instead). */
export const controlTargetOf = (address: string): Result<URL, string> => {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return err('not a URL: give postgres://user@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    return err(
      `${url.protocol.replace(/:$/, '')} is not PostgreSQL: give postgres://user@host:5432/database`,
    );
  if (url.pathname.length <= 1) return err('name the database: postgres://user@host:5432/database');
  return ok(url);
};

/** The target as it may be printed: never the password. */
export const describeControlTarget = (url: URL): string => {
  const shown = new URL(url.toString());
  shown.password = '';
  return `${shown.protocol}//${shown.username === '' ? '' : `${shown.username}@`}${shown.host}${shown.pathname}`;
};

const count = (n: number) => n.toLocaleString('en-US');

export const formatControlCopyReport = (r: ControlCopyReport): string =>
  [
    `Copied ${count(r.copiedRows)} rows of ${r.tables.length} tables in ${(r.ms / 1000).toFixed(1)} s; row counts equal on both sides:`,
    ...r.tables.map((t) => `  ${t.table.padEnd(30)} ${count(t.rows).padStart(11)} rows`),
    `Sequences set past the copied rows: ${r.sequences.length}.`,
    '',
  ].join('\n');

/**
 * `rekindle control copy --to postgres://…`: the data directory's embedded control plane (PGlite)
 * into PostgreSQL, for moving an embedded installation to the PostgreSQL deployment. It takes the
 * data directory's lock, so it refuses (naming the holder) while `rekindle serve` runs: PGlite's
 * files must not be opened by two processes.
 */
export const registerControlCopyCommand = (
  program: Command,
  config: () => { dataDir: string; pgliteDir: string },
  io: Io = process,
): void => {
  const control = program.command('control').description('the control plane: move it to PostgreSQL');
  control
    .command('copy')
    .description(
      'copy the embedded control plane (PGlite) of the data directory into an unused PostgreSQL database, in one transaction (stop the server first)',
    )
    .requiredOption(
      '--to <url>',
      'postgres://user@host:5432/database (password: PGPASSWORD; ?options=-c%20search_path%3Dschema for a schema)',
    )
    .action(async (opts: { to: string }) => {
      const fail = (message: string, code = 2) => {
        io.stderr.write(`rekindle control copy: ${message}\n`);
        process.exitCode = code;
      };
      const target = controlTargetOf(opts.to);
      if (!target.ok) return fail(`--to: ${target.error}`);
      const c = config();
      // Refuses with who holds the directory (a running server) before anything is opened.
      const lock = lockDataDir(c.dataDir, { command: 'control copy' });
      const { openSqlClient } = await import('../../storage/control/sql-client.ts');
      const { copyControlPlane, formatControlCopyRefusal } =
        await import('../../storage/control/copy-to-postgres.ts');
      let source: SqlClient | undefined;
      let db: SqlClient | undefined;
      try {
        if (!existsSync(c.pgliteDir)) return fail(`no embedded control plane at ${c.pgliteDir}`);
        io.stderr.write(`copying ${c.pgliteDir} into PostgreSQL (${describeControlTarget(target.value)})\n`);
        source = await openSqlClient({ pgliteDir: c.pgliteDir });
        db = await openSqlClient({ databaseUrl: target.value.toString(), pgliteDir: '' });
        const r = await copyControlPlane(source, db, { log: (line) => io.stderr.write(`${line}\n`) });
        if (!r.ok) return fail(`nothing was copied: ${formatControlCopyRefusal(r.error)}`, 1);
        io.stdout.write(formatControlCopyReport(r.value));
      } catch (e) {
        // The driver's message names the server, never the password; the URL itself is not printed.
        return fail(e instanceof Error ? e.message : String(e), 1);
      } finally {
        await db?.close().catch(() => undefined);
        await source?.close().catch(() => undefined);
        lock.release();
      }
    });
};
