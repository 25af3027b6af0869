import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIsCurrent, sourceFingerprint, STAMP } from '../bin/build-stamp.mjs';
import { commandWord, onlyHelp } from '../src/cli/lazy-commands.ts';
import { tempDir } from './support/tmp.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/rekindle.js');
const MAIN_TS = join(ROOT, 'src/cli/main.ts');

/** stdout, stderr and exit code of `node args…`, whatever the code. */
const node = async (args: string[]): Promise<string> => {
  try {
    const r = await run(process.execPath, args, { cwd: ROOT });
    return `${r.stdout}${r.stderr}exit 0`;
  } catch (e) {
    const f = e as { stdout: string; stderr: string; code: number };
    return `${f.stdout}${f.stderr}exit ${f.code}`;
  }
};

describe('the compiled CLI (dist/)', () => {
  it('is used when current, and its help equals the TypeScript CLI run through tsx', async () => {
    // `npm ci` built it (the prepare script); a developer's edits since make it stale: rebuild.
    if (!buildIsCurrent(ROOT)) execFileSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT });
    expect(buildIsCurrent(ROOT)).toBe(true);
    // The build checked its help manifest against the real commands; without it help is slow.
    expect(existsSync(join(ROOT, 'dist/cli/help-manifest.json'))).toBe(true);
    for (const words of [
      ['--help'],
      [],
      ['demo', '--help'],
      ['churn', 'evaluate', '-h'],
      ['help', 'scores'],
    ]) {
      const built = await node([BIN, ...words]);
      const tsx = await node(['--import', 'tsx', MAIN_TS, ...words]);
      expect(built, words.join(' ')).toBe(tsx);
      expect(built).toContain('Usage: rekindle');
    }
    // Not help: the command's own module runs (here commander's refusal of an unknown option).
    expect(await node([BIN, 'keys', 'list', '--bogus'])).toBe(
      await node(['--import', 'tsx', MAIN_TS, 'keys', 'list', '--bogus']),
    );
  }, 180_000); // a build and a dozen CLI starts, six of them through tsx (seconds each on busy cores)
});

describe('bin/rekindle.js', () => {
  const tmp = tempDir('rekindle-bin-');
  afterAll(() => tmp.cleanup());

  it('never runs a build older or other than the sources: it falls back to tsx', async () => {
    // A project of the same shape whose two entry points say which one ran.
    const dir = tmp.dir;
    for (const d of ['bin', 'src/cli', 'scripts', 'dist/cli']) mkdirSync(join(dir, d), { recursive: true });
    cpSync(BIN, join(dir, 'bin/rekindle.js'));
    cpSync(join(ROOT, 'bin/build-stamp.mjs'), join(dir, 'bin/build-stamp.mjs'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
    writeFileSync(join(dir, 'scripts/build-cli.mjs'), '\n');
    writeFileSync(join(dir, 'src/cli/main.ts'), "const from: string = 'tsx';\nconsole.log(from);\n");
    writeFileSync(join(dir, 'dist/cli/main.js'), "console.log('dist');\n");
    const stamp = () => writeFileSync(join(dir, STAMP), `${sourceFingerprint(dir)}\n`);
    const ran = async () => (await run(process.execPath, [join(dir, 'bin/rekindle.js')])).stdout.trim();

    expect(await ran()).toBe('tsx'); // no stamp: never built
    stamp();
    expect(await ran()).toBe('dist');

    const main = join(dir, 'src/cli/main.ts');
    const later = new Date(Date.now() + 60_000);
    utimesSync(main, later, later); // edited after the build
    expect(await ran()).toBe('tsx');
    stamp();
    expect(await ran()).toBe('dist');

    const earlier = new Date(Date.now() - 86_400_000);
    utimesSync(main, earlier, earlier); // put back with an older time
    expect(await ran()).toBe('tsx');
    stamp();

    writeFileSync(join(dir, 'src/added.ts'), 'export {};\n'); // a new module
    expect(await ran()).toBe('tsx');
    stamp();
    expect(await ran()).toBe('dist');

    writeFileSync(join(dir, 'tsconfig.json'), '{ "compilerOptions": {} }\n'); // the build's settings
    expect(await ran()).toBe('tsx');
  });
});

describe('which commands a run needs', () => {
  const program = new Command().option('--data-dir <dir>');

  it('finds the command word past the global options and their values', () => {
    expect(commandWord(program, ['--data-dir', 'import', 'keys', 'list'])).toBe('keys');
    expect(commandWord(program, ['--data-dir=x', 'import', 'a.csv'])).toBe('import');
    expect(commandWord(program, ['--data-dir', 'x'])).toBeUndefined();
    expect(commandWord(program, ['--', 'serve'])).toBe('serve');
  });

  it('knows when commander will only print help', () => {
    expect(onlyHelp(program, [])).toBe(true);
    expect(onlyHelp(program, ['--help'])).toBe(true);
    expect(onlyHelp(program, ['import', '-h'])).toBe(true);
    expect(onlyHelp(program, ['help', 'import'])).toBe(true);
    expect(onlyHelp(program, ['--data-dir', 'help', 'keys', 'list'])).toBe(false);
    expect(onlyHelp(program, ['import', '--', '--help'])).toBe(false);
    expect(onlyHelp(program, ['serve'])).toBe(false);
  });
});
