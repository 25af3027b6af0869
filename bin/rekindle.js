#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm ci` through the `prepare` script or `npm run build`)
// when it was built from exactly the sources as they are now, else the TypeScript directly
// through tsx, so `npx rekindle` never runs a stale build: bin/build-stamp.mjs compares every
// source file's path, size and modification time with what the build recorded (a few ms).
import { buildIsCurrent } from './build-stamp.mjs';

const root = new URL('..', import.meta.url);
if (buildIsCurrent(root)) {
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
