import type { Command } from 'commander';
import { rotateProviderSecrets } from '../../delivery/providers/provider-service.ts';
import { loadMasterKeys } from '../../lib/secret-box.ts';
import type { Runtime } from '../../runtime.ts';
import { rotateWorkspaceSecrets } from '../../storage/control/workspace-secrets.ts';

export const registerProvidersCommand = (program: Command, open: () => Promise<Runtime>): void => {
  const providers = program.command('providers').description('delivery provider secrets');
  providers
    .command('rotate-key')
    .description(
      're-encrypt every provider secret and workspace signing secret under REKINDLE_MASTER_KEY (keep the old key in REKINDLE_MASTER_KEY_PREVIOUS until this has run)',
    )
    .action(async () => {
      const rt = await open();
      try {
        const keys = loadMasterKeys(process.env, rt.config.dataDir);
        const n = await rotateProviderSecrets(rt.control, keys);
        const w = await rotateWorkspaceSecrets(rt.control, keys);
        process.stdout.write(`re-encrypted the secrets of ${n} provider(s) and ${w} workspace secret(s)\n`);
      } finally {
        await rt.close();
      }
    });
};
