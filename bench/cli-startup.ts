import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildIsCurrent } from '../bin/build-stamp.mjs';

/**
 * CLI start-up (issue 20): wall time of `rekindle --help` through bin/rekindle.js (the compiled
 * dist/ with help from the build's manifest), beside `node -e 0` (the floor: starting Node) and
 * the TypeScript run through tsx (what bin/rekindle.js falls back to when dist/ is stale, and
 * what every start cost before the build). Runs interleave, so load hits each alike; medians.
 */
export interface CliStartupResult {
  runs: number;
  helpMs: number;
  commandHelpMs: number;
  nodeMs: number;
  tsxMs: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const wallMs = (args: string[]): number => {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return ms;
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export const benchCliStartup = (runs = 11): CliStartupResult => {
  if (!buildIsCurrent(ROOT)) execFileSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT });
  if (!buildIsCurrent(ROOT)) throw new Error('dist/ is not current after building it');
  const cases = {
    helpMs: ['bin/rekindle.js', '--help'],
    commandHelpMs: ['bin/rekindle.js', 'demo', '--help'],
    nodeMs: ['-e', '0'],
    tsxMs: ['--import', 'tsx', 'src/cli/main.ts', '--help'],
  };
  const times: Record<keyof typeof cases, number[]> = {
    helpMs: [],
    commandHelpMs: [],
    nodeMs: [],
    tsxMs: [],
  };
  const keys = Object.keys(cases) as (keyof typeof cases)[];
  for (const k of keys) wallMs(cases[k]); // warm the file cache
  for (let i = 0; i < runs; i++) for (const k of keys) times[k].push(wallMs(cases[k]));
  return {
    runs,
    helpMs: median(times.helpMs),
    commandHelpMs: median(times.commandHelpMs),
    nodeMs: median(times.nodeMs),
    tsxMs: median(times.tsxMs),
  };
};

export const cliStartupRows = (r: CliStartupResult): string[] => [
  `| CLI start-up, \`node bin/rekindle.js --help\` (compiled \`dist/\`, help from the build's checked manifest, no command module loaded; median of ${r.runs} runs) | — | **${Math.round(r.helpMs)} ms** (\`rekindle demo --help\`: ${Math.round(r.commandHelpMs)} ms) | \`node -e 0\`: ${Math.round(r.nodeMs)} ms; the TypeScript through tsx, every command's module loaded (the fallback when \`dist/\` is stale, and every start before the build): ${Math.round(r.tsxMs)} ms | ${(r.helpMs / r.tsxMs).toFixed(2)}× of tsx | < 500 ms |`,
];
