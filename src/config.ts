import { join, resolve } from 'node:path';

export interface RekindleConfig {
  dataDir: string;
  /** `postgres://…` selects a PostgreSQL control plane; unset means embedded PGlite under dataDir. */
  databaseUrl: string | undefined;
  warehousePath: string;
  pgliteDir: string;
  host: string;
  port: number;
  /** A write key to accept besides those created with `rekindle keys create` (e.g. from a secret store). */
  writeKey: string | undefined;
  maxBodyBytes: number;
  maxBatchRecords: number;
  dedupWindowHours: number;
  logLevel: string;
  /** Minutes between scoring runs while `rekindle serve` runs (lifecycle, RFM, warnings); 0: never. */
  scoreEveryMinutes: number;
}

const int = (v: string | undefined, fallback: number, name: string): number => {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
};

/** Reads configuration from the environment; every setting has a default for the quick start. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env, overrides: Partial<RekindleConfig> = {}) => {
  const dataDir = resolve(overrides.dataDir ?? env['REKINDLE_DATA_DIR'] ?? './data');
  const config: RekindleConfig = {
    dataDir,
    databaseUrl: env['DATABASE_URL'] || undefined,
    warehousePath: join(dataDir, 'warehouse.duckdb'),
    pgliteDir: join(dataDir, 'control'),
    host: env['HOST'] ?? '127.0.0.1',
    port: int(env['PORT'], 8080, 'PORT'),
    writeKey: env['REKINDLE_WRITE_KEY'] || undefined,
    maxBodyBytes: int(env['REKINDLE_MAX_BODY_BYTES'], 512 * 1024, 'REKINDLE_MAX_BODY_BYTES'),
    maxBatchRecords: int(env['REKINDLE_MAX_BATCH_RECORDS'], 2500, 'REKINDLE_MAX_BATCH_RECORDS'),
    dedupWindowHours: int(env['REKINDLE_DEDUP_WINDOW_HOURS'], 24, 'REKINDLE_DEDUP_WINDOW_HOURS'),
    logLevel: env['LOG_LEVEL'] ?? 'info',
    scoreEveryMinutes: int(env['REKINDLE_SCORE_EVERY_MINUTES'], 60, 'REKINDLE_SCORE_EVERY_MINUTES'),
    ...overrides,
  };
  return config;
};
