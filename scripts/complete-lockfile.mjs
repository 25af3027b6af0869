// The npm mirror this project is built behind only carries the linux-x64 DuckDB bindings, so
// `npm install` leaves the other platforms' optional bindings out of package-lock.json and a
// later `npm ci` refuses the lock as "not in sync". This adds the missing entries as
// platform-restricted optional packages, which `npm ci` skips on non-matching machines.
// Run it after any `npm install` that rewrites the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const platform = (name) => {
  const m = /-(darwin|linux|win32)-(x64|arm64)(-musl)?$/.exec(name);
  if (!m) return undefined;
  return { os: [m[1]], cpu: [m[2]], ...(m[3] ? { libc: ['musl'] } : {}) };
};
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (lock.packages[key] || !path.startsWith('node_modules/')) continue;
    const p = platform(dep);
    if (!p) continue;
    lock.packages[key] = { version, optional: true, ...p, license: entry.license ?? 'MIT' };
    added += 1;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} platform entries`);
