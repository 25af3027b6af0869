// `npm test` runs this first (the `pretest` script): the console's browser tests need chromium
// and a Chinese font from the system. When either is missing and we are root on a machine with
// apt-get (a fresh Debian container, CI), install them; otherwise stop here with one message
// rather than fail or skip the browser tests later. PostgreSQL needs nothing here: the tests'
// global setup starts an embedded server when none answers.
import { spawnSync } from 'node:child_process';
import {
  APT_PACKAGES,
  chromiumFromEnv,
  missingPrerequisites,
  prerequisiteAdvice,
  type Missing,
} from '../test/support/browser-prerequisites.ts';

const apt = '/usr/bin/apt-get';
const canInstall = (): boolean => process.getuid?.() === 0 && spawnSync(apt, ['--version']).status === 0;

/** Installs what apt can provide; false when apt-get failed, true otherwise. */
const install = (missing: Missing): boolean => {
  // An explicit REKINDLE_CHROMIUM is the user's choice; Debian's chromium would not be used.
  const packages = [
    ...(missing.chromium && !chromiumFromEnv() ? [APT_PACKAGES.chromium] : []),
    ...(missing.font ? [APT_PACKAGES.font] : []),
  ];
  if (packages.length === 0) return true;
  process.stdout.write(`Installing ${packages.join(' ')} with apt-get for the console's browser tests…\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]): boolean =>
    spawnSync(apt, args, { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
  return run(['-qq', 'update']) && run(['-y', '-qq', 'install', ...packages]);
};

const main = (): number => {
  let missing = missingPrerequisites();
  if (!missing.chromium && !missing.font) return 0; // the usual case: no apt-get, no delay
  let note = '';
  if (canInstall()) {
    if (!install(missing)) note = 'apt-get could not install them (its errors are above).\n';
    missing = missingPrerequisites();
  }
  if (!missing.chromium && !missing.font) return 0;
  process.stderr.write(`${note}${prerequisiteAdvice(missing)}\n`);
  return 1;
};

process.exit(main());
