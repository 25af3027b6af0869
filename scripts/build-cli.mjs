// Compiles src/ to dist/ (one .js per .ts, same folders, so every `new URL('../..', import.meta.url)`
// still lands on the repository root) for bin/rekindle.js to run without compiling TypeScript at
// start-up. Run by `npm ci`/`npm install` (the `prepare` script) and `npm run build`. Not bundled:
// packages stay imports (DuckDB, PGlite, chDB load files relative to their packages) and the
// CLI's `await import(...)` keeps loading a command's modules only when that command runs.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { cpSync, existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { URL, fileURLToPath } from 'node:url';
import { DIST, STAMP, sourceFingerprint } from '../bin/build-stamp.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
// Taken before reading any source: a file edited during the build makes the stamp stale.
const fingerprint = sourceFingerprint(ROOT);

const files = (dir) =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(`${dir}/${e.name}`) : [`${dir}/${e.name}`],
  );
const all = files('src');
const sources = all.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
const assets = all.filter((f) => !f.endsWith('.ts'));

// Built beside dist/ and swapped in at the end, so a CLI starting meanwhile sees the old build
// with its old stamp (stale, so it uses tsx) or the new one whole, never half of each.
const tmp = join(ROOT, `${DIST}.tmp-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });

/** Every import stays an import; relative ones name the compiled file (`./x.ts` → `./x.js`). */
const keepImports = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('.')) return { path: args.path.replace(/\.ts$/, '.js'), external: true };
      return { path: args.path, external: true };
    });
  },
};

await build({
  absWorkingDir: ROOT,
  entryPoints: sources,
  outdir: tmp,
  outbase: 'src',
  bundle: true,
  plugins: [keepImports],
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const f of assets) cpSync(join(ROOT, f), join(tmp, relative('src', f)));
// Help without loading every command (src/cli/lazy-commands.ts): the compiled CLI writes its
// command tree after checking that stubs built from it render the same help. If that fails,
// the build still stands and help loads the commands' modules (slower, never different).
const manifest = spawnSync(process.execPath, [join(tmp, 'cli/main.js')], {
  cwd: ROOT,
  env: { ...process.env, REKINDLE_BUILD_HELP_MANIFEST: join(tmp, 'cli/help-manifest.json') },
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (manifest.status !== 0)
  process.stderr.write('build-cli: no help manifest; `rekindle --help` will be slower\n');
writeFileSync(join(tmp, relative(DIST, STAMP)), `${fingerprint}\n`);

const old = join(ROOT, `${DIST}.old-${process.pid}`);
if (existsSync(join(ROOT, DIST))) renameSync(join(ROOT, DIST), old);
renameSync(tmp, join(ROOT, DIST));
rmSync(old, { recursive: true, force: true });
process.stdout.write(
  `Compiled ${sources.length} files to ${DIST}/ in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`,
);
