import { emailOverHttpWarning, publicUrlForEmail } from '../../core/tracking/unsubscribe-https.ts';
import { enabledEmailProviderNames } from '../../storage/control/enabled-email-providers.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';

/**
 * At start: when e-mail providers are enabled and the public URL is not HTTPS, says so on stderr
 * (once), in words that name the setting to change. Returns whether it warned.
 */
export const warnEmailOverHttp = async (
  control: SqlClient,
  publicUrl: string,
  write: (text: string) => void = (t) => process.stderr.write(t),
): Promise<boolean> => {
  if (publicUrlForEmail(publicUrl).kind === 'https') return false;
  const names = await enabledEmailProviderNames(control);
  if (names.length === 0) return false;
  write(`${emailOverHttpWarning(publicUrl, names)}\n`);
  return true;
};
