import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { exportSnapshotCsv, takeSnapshot, type ContactMode } from '../../audience/saved-audiences.ts';
import type { Actor } from '../../core/auth/roles.ts';
import type { Runtime } from '../../runtime.ts';
import { findUserByName } from '../../storage/control/users.ts';
import { EXPORT_COLUMNS_HELP, parseExportColumns } from '../../core/export/columns.ts';

type Io = { stdout: NodeJS.WritableStream; stderr: { write(s: string): unknown } };

/**
 * `rekindle export audience <id> --as <user>`: freezes the saved audience now (a snapshot, as a
 * campaign run does) and writes its members as CSV, with the same rules as the API: the named
 * user's role decides (operator or admin; contacts in clear only for admins) and the export is
 * audited under that user.
 */
export const registerExportCommand = (
  program: Command,
  open: () => Promise<Runtime>,
  io: Io = process,
): void => {
  const exp = program.command('export').description('export data as CSV');
  exp
    .command('audience <audienceId>')
    .description('snapshot a saved audience now and write its members as CSV (stdout or --out)')
    .requiredOption('--as <user>', 'the console user the export is made and audited as')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--columns <list>', `columns, comma-separated (${EXPORT_COLUMNS_HELP})`, '')
    .option('--contacts <mode>', 'none | masked | clear (clear: admins only)', 'masked')
    .option('--lang <locale>', 'language of top_risk_reason: zh-CN | en', 'zh-CN')
    .action(
      async (
        audienceId: string,
        opts: { as: string; out?: string; columns: string; contacts: string; lang: string },
      ) => {
        const fail = (message: string) => {
          io.stderr.write(`rekindle export audience: ${message}\n`);
          process.exitCode = 2;
        };
        const columns = parseExportColumns(opts.columns);
        if (!columns.ok) return fail(`--columns: ${columns.error}`);
        if (opts.lang !== 'zh-CN' && opts.lang !== 'en')
          return fail(`--lang must be zh-CN or en, got '${opts.lang}'`);
        if (!['none', 'masked', 'clear'].includes(opts.contacts))
          return fail(`--contacts must be none, masked or clear, got '${opts.contacts}'`);
        const rt = await open();
        try {
          const user = await findUserByName(rt.control, opts.as);
          if (!user || user.disabledAt) return fail(`--as: no active user '${opts.as}'`);
          const actor: Actor = {
            userId: user.id,
            workspaceId: user.workspaceId,
            name: user.name,
            role: user.role,
          };
          const snap = await takeSnapshot(rt, actor, audienceId);
          if (!snap.ok) return fail(JSON.stringify(snap.error));
          const csv = await exportSnapshotCsv(rt, actor, snap.value.id, {
            columns: columns.value,
            contacts: opts.contacts as ContactMode,
            locale: opts.lang,
          });
          if (!csv.ok) return fail(JSON.stringify(csv.error));
          const out: NodeJS.WritableStream =
            opts.out === undefined ? io.stdout : createWriteStream(opts.out, { mode: 0o600 });
          for await (const chunk of csv.value.lines) if (!out.write(chunk)) await once(out, 'drain');
          if (opts.out !== undefined) {
            out.end();
            await finished(out);
            io.stderr.write(
              `wrote ${snap.value.memberCount} members of audience ${audienceId} to ${opts.out}\n`,
            );
          }
        } finally {
          await rt.close();
        }
      },
    );
};
