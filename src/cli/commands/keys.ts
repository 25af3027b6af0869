import type { Command } from 'commander';
import type { Runtime } from '../../runtime.ts';
import { addWriteKey, listWriteKeys, newWriteKey, revokeWriteKey } from '../../storage/control/write-keys.ts';

export const registerKeysCommand = (program: Command, open: () => Promise<Runtime>): void => {
  const keys = program.command('keys').description('manage Segment write keys');
  keys
    .command('create')
    .option('--name <name>', 'what the key is for', 'default')
    .description('create a write key and print it (it is shown only this once)')
    .action(async (opts: { name: string }) => {
      const rt = await open();
      const key = newWriteKey();
      await addWriteKey(rt.control, key, opts.name);
      process.stdout.write(`${key}\n`);
      await rt.close();
    });
  keys
    .command('list')
    .description('list write keys (prefixes only)')
    .action(async () => {
      const rt = await open();
      for (const k of await listWriteKeys(rt.control)) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
        process.stdout.write(`${k.id}\t${k.prefix}…\t${k.name}\t${state}\n`);
      }
      await rt.close();
    });
  keys
    .command('revoke <id>')
    .description('revoke a write key by id')
    .action(async (id: string) => {
      const rt = await open();
      const done = await revokeWriteKey(rt.control, Number(id));
      process.stdout.write(done ? `revoked ${id}\n` : `no active key ${id}\n`);
      await rt.close();
      if (!done) process.exitCode = 1;
    });
};
