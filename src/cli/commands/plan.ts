import type { Command } from 'commander';
import { parseInstant } from '../../core/models/churn/transactions.ts';
import { runSlot, type SlotReport } from '../../planner/run-slot.ts';
import type { Runtime } from '../../runtime.ts';
import { listCampaigns } from '../../storage/control/campaigns.ts';

/**
 * `rekindle plan`: plans every campaign due now (or at --at) into the outbox, as the scheduler
 * of `rekindle serve` does on each poll; `rekindle campaigns`: the campaigns and their status.
 * Both open the stores themselves: run them with the server stopped.
 */

export const formatSlotReport = (r: SlotReport): string =>
  r.campaigns.length === 0
    ? `Nothing due at ${new Date(r.slotAt).toISOString()}.\n`
    : [
        `Planned ${r.campaigns.length} campaign(s) at ${new Date(r.slotAt).toISOString()} in ${(r.ms.total / 1000).toFixed(2)} s`,
        ...r.campaigns.map(
          (c) =>
            `  ${c.campaignId}  members ${c.members} · messages ${c.messages} · holdout ${c.holdout} · skipped ${c.skipped}` +
            ` · spend ${(c.spendCents / 100).toFixed(2)}` +
            (c.skipped > 0
              ? `\n    skipped: ${Object.entries(c.skipReasons)
                  .map(([k, n]) => `${k} ${n}`)
                  .join(', ')}`
              : ''),
        ),
        '',
      ].join('\n');

export const registerPlanCommands = (
  program: Command,
  open: () => Promise<Runtime>,
  io: { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } } = process,
): void => {
  program
    .command('plan')
    .description(
      'plan every campaign due now into the outbox (caps, quiet hours, conflicts, budgets), as the scheduler does',
    )
    .option('--at <instant>', 'plan as of this instant instead of now (ISO-8601)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { at?: string; json?: boolean }) => {
      let at: number | undefined;
      if (opts.at !== undefined) {
        const p = parseInstant(opts.at.trim());
        if (!p.ok) {
          io.stderr.write(`rekindle plan: --at: ${p.error}\n`);
          process.exitCode = 2;
          return;
        }
        at = p.value;
      }
      const rt = await open();
      try {
        const report = await runSlot(rt, 'default', at ?? rt.clock());
        io.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatSlotReport(report));
      } finally {
        await rt.close();
      }
    });
  program
    .command('campaigns')
    .description('list the campaigns with their status and next slot')
    .option('--json', 'print them as JSON')
    .action(async (opts: { json?: boolean }) => {
      const rt = await open();
      try {
        const cs = await listCampaigns(rt.control, 'default');
        io.stdout.write(
          opts.json
            ? `${JSON.stringify(cs)}\n`
            : cs.length === 0
              ? 'No campaigns yet.\n'
              : `${cs
                  .map(
                    (c) =>
                      `${c.id}  ${c.status.padEnd(15)} v${c.version}  next ${c.nextSlotAt === null ? '—' : new Date(c.nextSlotAt).toISOString()}  ${c.name}`,
                  )
                  .join('\n')}\n`,
        );
      } finally {
        await rt.close();
      }
    });
};
