// `npm start` on a fresh clone: build the web console once if console/dist is missing
// (`npx rekindle demo` does the same through src/server/console-build.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('console/dist/index.html')) {
  process.stdout.write('Building the web console (first start only)…\n');
  const r = spawnSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'console/vite.config.ts'],
    {
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  process.exit(r.status ?? 1);
}
