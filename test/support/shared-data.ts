import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's shared test data (CDNOW logs) lives beside the repository (`../shared`). A
 * clone elsewhere can point at it with REKINDLE_SHARED_DIR; the workspace path is the last resort.
 */
export const sharedDataDir = (): string => {
  const candidates = [
    process.env['REKINDLE_SHARED_DIR'],
    fileURLToPath(new URL('../../../shared', import.meta.url)),
    '/work/shared',
  ].filter((c): c is string => c !== undefined && c !== '');
  const found = candidates.find((c) => existsSync(join(c, 'data', 'cdnow')));
  return join(found ?? candidates[0] ?? '../shared', 'data');
};

export const cdnowDir = (): string => join(sharedDataDir(), 'cdnow');
