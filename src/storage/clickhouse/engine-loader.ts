import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClientConfigOptions } from '@clickhouse/client';

/** The part of `chdb/connection` Rekindle uses: a `@clickhouse/client` connection to an in-process engine. */
interface ChdbConnectionModule {
  createChdbConnection(options: { path: string }): NonNullable<ClickHouseClientConfigOptions['connection']>;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where `npm run clickhouse:install` puts chDB: outside node_modules, so `npm ci` never downloads it. */
export const CHDB_DIR = join(ROOT, '.clickhouse-engine');

export class ChdbMissingError extends Error {
  constructor() {
    super(
      'the in-process ClickHouse engine (chDB) is not installed: run `npm run clickhouse:install` ' +
        '(about 550 MB), or point REKINDLE_WAREHOUSE / CLICKHOUSE_URL at a ClickHouse server',
    );
  }
}

/**
 * Loads chDB from .clickhouse-engine/ (or from node_modules where someone installed it there).
 * chDB is a native addon published as CommonJS; `require` keeps it out of the ESM graph that
 * the quick start loads.
 */
export const loadChdb = (): ChdbConnectionModule => {
  const places = [join(CHDB_DIR, 'package.json'), join(ROOT, 'package.json')];
  for (const from of places) {
    if (!existsSync(from)) continue;
    try {
      return createRequire(from)('chdb/connection') as ChdbConnectionModule;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  throw new ChdbMissingError();
};
