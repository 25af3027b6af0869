// What the compiled CLI (dist/) was built from, shared by bin/rekindle.js and scripts/build-cli.mjs.
// The fingerprint is every input file's path, size and modification time (no contents read):
// one readdir per folder and one stat per file, a few milliseconds for ~600 files. The build
// stores it in dist/.build-stamp; bin/rekindle.js runs dist/ only when the stamp equals the
// fingerprint of the sources as they are now. Any edit, added, deleted or renamed file, or a file
// put back with an older time, changes it, so a stale build is never run.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { URL, fileURLToPath } from 'node:url';

export const DIST = 'dist';
export const STAMP = `${DIST}/.build-stamp`;
/** Inputs besides src/: the build's own code and settings shape the output too. */
const EXTRA_INPUTS = ['tsconfig.json', 'scripts/build-cli.mjs', 'bin/build-stamp.mjs'];

/** @param {string | URL} root */
const pathOf = (root) => (root instanceof URL ? fileURLToPath(root) : root);

/** @param {string | URL} root the repository root */
export const sourceFingerprint = (root) => {
  const dir = pathOf(root);
  const hash = createHash('sha256');
  /** @param {string} rel */
  const add = (rel) => {
    const s = statSync(join(dir, rel));
    hash.update(`${rel}\0${s.size}\0${s.mtimeMs}\n`);
  };
  /** @param {string} rel */
  const walk = (rel) => {
    const entries = readdirSync(join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else add(child);
    }
  };
  walk('src');
  for (const f of EXTRA_INPUTS) add(f);
  return hash.digest('hex');
};

/**
 * True when dist/ holds a build of exactly the sources as they are now; false when it is
 * missing, older or newer, or anything cannot be read.
 * @param {string | URL} root the repository root
 */
export const buildIsCurrent = (root) => {
  try {
    const stamp = readFileSync(join(pathOf(root), STAMP), 'utf8').trim();
    return stamp === sourceFingerprint(root);
  } catch {
    return false;
  }
};
