import type { Command } from 'commander';
import { runRetention } from '../../retention/retention.ts';
import type { Runtime } from '../../runtime.ts';

export const registerRetentionCommand = (program: Command, open: () => Promise<Runtime>): void => {
  program
    .command('retention')
    .description(
      'delete rows past their retention now (REKINDLE_RETENTION_*_DAYS; docs/retention.md) (stop the server first)',
    )
    .action(async () => {
      const rt = await open();
      const r = await runRetention(rt, rt.config.retention, rt.clock());
      await rt.close();
      process.stdout.write(
        `Deleted ${r.messageLog} message log rows (shipped), ${r.linkClicks} link clicks, ` +
          `${r.earlyReceipts} early receipts, ${r.jobs} finished jobs, ${r.snapshotMembers} members of ` +
          `${r.snapshots} snapshots, ${r.planDecisions} plan decision rows.\n`,
      );
    });
};
