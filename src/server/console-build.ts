import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONSOLE_DIST } from './console.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITE = `${ROOT}node_modules/vite/bin/vite.js`;

/**
 * A fresh clone has no console/dist (it is gitignored): build it once before the server
 * starts, so `npx rekindle demo` / `npm start` open a working console. A few seconds; a
 * failure is reported and the server starts anyway (the API does not need the console).
 */
export const ensureConsoleBuilt = (
  write: (line: string) => void = (l) => process.stdout.write(l),
): boolean => {
  if (existsSync(`${CONSOLE_DIST}/index.html`)) return true;
  if (!existsSync(VITE)) {
    write('The console is not built and Vite is not installed; run `npm ci && npm run build:console`.\n');
    return false;
  }
  write('Building the web console (first start only)…\n');
  const r = spawnSync(
    process.execPath,
    [VITE, 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  if (r.status !== 0)
    write('Building the console failed; the API still works. Run `npm run build:console` to see why.\n');
  return r.status === 0;
};
