#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx rekindle` never runs a stale build.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
