// Installs chDB (the ClickHouse engine in-process, ~550 MB) into .clickhouse-engine/, outside
// node_modules, so the quick start's `npm ci` never downloads it. Used by `npm run test:clickhouse`,
// `.ci/run` and anyone trying the ClickHouse warehouse without a server (docs/deploy.md).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = pkg.rekindle?.chdb;
if (typeof version !== 'string') throw new Error('package.json has no rekindle.chdb version');
const dir = join(root, '.clickhouse-engine');
const installed = join(dir, 'node_modules', 'chdb', 'package.json');
if (existsSync(installed) && JSON.parse(readFileSync(installed, 'utf8')).version === version) {
  console.log(`chDB ${version} is installed in .clickhouse-engine/`);
  process.exit(0);
}
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, 'package.json'),
  JSON.stringify(
    { name: 'rekindle-clickhouse-engine', private: true, dependencies: { chdb: version } },
    null,
    2,
  ),
);
console.log(`installing chDB ${version} into .clickhouse-engine/ (about 550 MB)`);
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], {
  cwd: dir,
  stdio: 'inherit',
});
