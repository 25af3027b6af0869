import type { Command } from 'commander';
import { runAttribution } from '../../conversions/attribute.ts';
import { parseInstant } from '../../core/models/churn/transactions.ts';
import type { Runtime } from '../../runtime.ts';

/**
 * `rekindle attribute`: attributes goal events to the last touching message now, as the server's
 * periodic run does (run it with the server stopped: it opens the stores itself).
 */
export const registerAttributeCommand = (
  program: Command,
  open: () => Promise<Runtime>,
  io: { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } } = process,
): void => {
  program
    .command('attribute')
    .description('attribute goal events (conversions) to the message that last touched the user, now')
    .option(
      '--since <instant>',
      'recompute goal events after this instant (ISO-8601; default: longest window + 7 days)',
    )
    .option('--all', 'recompute every goal event ever stored')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { since?: string; all?: boolean; json?: boolean }) => {
      let since: number | undefined = opts.all ? 0 : undefined;
      if (opts.since !== undefined) {
        const p = parseInstant(opts.since.trim());
        if (!p.ok) {
          io.stderr.write(`rekindle attribute: --since: ${p.error}\n`);
          process.exitCode = 2;
          return;
        }
        since = p.value;
      }
      const rt = await open();
      try {
        const r = await runAttribution(rt, since === undefined ? {} : { since });
        io.stdout.write(
          opts.json
            ? `${JSON.stringify(r)}\n`
            : `Attributed goal events after ${new Date(r.since).toISOString()} for ${r.goals} campaign goal(s): ` +
                `${r.added} added, ${r.removed} taken back, ${r.inRange} conversions in range (${(r.ms / 1000).toFixed(2)} s).\n`,
        );
      } finally {
        await rt.close();
      }
    });
};
