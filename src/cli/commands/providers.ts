import type { Command } from 'commander';
import { rotateProviderSecrets } from '../../delivery/providers/provider-service.ts';
import { loadMasterKeys } from '../../delivery/providers/secret-box.ts';
import type { Runtime } from '../../runtime.ts';

export const registerProvidersCommand = (program: Command, open: () => Promise<Runtime>): void => {
  const providers = program.command('providers').description('delivery provider secrets');
  providers
    .command('rotate-key')
    .description(
      're-encrypt every provider secret under REKINDLE_MASTER_KEY (keep the old key in REKINDLE_MASTER_KEY_PREVIOUS until this has run)',
    )
    .action(async () => {
      const rt = await open();
      try {
        const n = await rotateProviderSecrets(rt.control, loadMasterKeys(process.env, rt.config.dataDir));
        process.stdout.write(`re-encrypted the secrets of ${n} provider(s)\n`);
      } finally {
        await rt.close();
      }
    });
};
