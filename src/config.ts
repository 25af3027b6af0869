import { join, resolve } from 'node:path';
import {
  DEFAULT_RETENTION_DAYS,
  RETENTION_ENV,
  retentionProblem,
  type RetentionDays,
} from './core/retention/policy.ts';
import { parseClickHouseTarget, type ClickHouseTarget } from './storage/clickhouse/target.ts';

export interface RekindleConfig {
  dataDir: string;
  /** `postgres://…` selects a PostgreSQL control plane; unset means embedded PGlite under dataDir. */
  databaseUrl: string | undefined;
  warehousePath: string;
  /**
   * `REKINDLE_WAREHOUSE=clickhouse://…` (or `http(s)://…`, `chdb:///path`): the ClickHouse
   * warehouse; unset or `duckdb`: the embedded DuckDB file at `warehousePath`. On ClickHouse,
   * `rekindle serve` runs the ingestion role only for now (src/cli/ingest-role.ts).
   */
  clickhouseWarehouse: ClickHouseTarget | undefined;
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
  /** Seconds between the campaign scheduler's looks for due slots while serving; 0: never. */
  plannerPollSeconds: number;
  /** Milliseconds between fact-shipper passes (message_log → warehouse message_facts); 0: never. */
  factShipMs: number;
  /** How often the leader decides identity links on a ClickHouse warehouse (DuckDB links at commit). */
  identityStitchMs: number;
  /** Milliseconds between looks for events that trigger campaigns (besides a look after each commit). */
  triggerPollMs: number;
  /** Seconds between evaluations of the operator alert rules while serving; 0: never. */
  alertEverySeconds: number;
  /** Minutes between conversion attribution runs while serving (goal events → last touch); 0: never. */
  attributeEveryMinutes: number;
  /** Console sessions end after this many hours without a request. */
  sessionIdleHours: number;
  /** Console sessions end this many days after login, however busy. */
  sessionMaxDays: number;
  /** Mark the session cookie `Secure` even on plain-HTTP requests (behind a TLS-terminating proxy). */
  cookieSecure: boolean;
  /**
   * The address recipients reach Rekindle at, for short links (`/l/<code>`) and one-click
   * unsubscribe links in messages, e.g. `https://r.example.com`; default `http://host:port`.
   */
  publicUrl: string;
  /** Delivery loops sending the outbox while serving (`REKINDLE_DELIVERY`: 0/false = off, default 2). */
  deliveryWorkers: number;
  /** Seconds a delivery batch holds its messages; after a crash they are sent again after this. */
  deliveryLeaseSeconds: number;
  /**
   * Milliseconds between a process's tries to become the leader of the processes sharing a
   * PostgreSQL control plane, and between the leader's checks of its lock (docs/cluster.md).
   */
  leaderPollMs: number;
  /** Minutes between retention passes while serving (docs/retention.md); 0: never. */
  retentionEveryMinutes: number;
  /** Days each growing table keeps its rows (`REKINDLE_RETENTION_*_DAYS`; 0: for ever). */
  retention: RetentionDays;
  /**
   * Providers and alert destinations may call loopback and private-network addresses
   * (`REKINDLE_ALLOW_PRIVATE_TARGETS`, default off): a local relay or a test vendor.
   */
  allowPrivateTargets: boolean;
}

const int = (v: string | undefined, fallback: number, name: string): number => {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
};

const positive = (v: string | undefined, fallback: number, name: string): number => {
  const n = int(v, fallback, name);
  if (n === 0) throw new Error(`${name} must be at least 1, got '${v}'`);
  return n;
};

const flag = (v: string | undefined, name: string): boolean => {
  if (v === undefined || v === '' || v === '0' || v.toLowerCase() === 'false') return false;
  if (v === '1' || v.toLowerCase() === 'true') return true;
  throw new Error(`${name} must be 1 or 0 (true or false), got '${v}'`);
};

const publicUrl = (v: string | undefined, host: string, port: number): string => {
  if (v === undefined || v === '') return `http://${host}:${port}`;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(`REKINDLE_PUBLIC_URL must be an absolute http(s) URL, got '${v}'`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new Error(`REKINDLE_PUBLIC_URL must be an absolute http(s) URL, got '${v}'`);
  return v.replace(/\/+$/, '');
};

const clickhouseWarehouse = (v: string | undefined): ClickHouseTarget | undefined => {
  if (v === undefined || v === '' || v.toLowerCase() === 'duckdb') return undefined;
  const t = parseClickHouseTarget(v);
  if (!t.ok) throw new Error(`REKINDLE_WAREHOUSE: ${t.error}`);
  return t.value;
};

const deliveryWorkers = (v: string | undefined): number => {
  if (v === undefined || v === '' || v.toLowerCase() === 'true') return 2;
  if (v.toLowerCase() === 'false') return 0;
  return int(v, 2, 'REKINDLE_DELIVERY');
};

const retention = (env: NodeJS.ProcessEnv): RetentionDays => {
  const out = { ...DEFAULT_RETENTION_DAYS };
  for (const k of Object.keys(out) as (keyof RetentionDays)[]) {
    out[k] = int(env[RETENTION_ENV[k]], out[k], RETENTION_ENV[k]);
    const problem = retentionProblem(k, out[k]);
    if (problem) throw new Error(problem);
  }
  return out;
};

/** Reads configuration from the environment; every setting has a default for the quick start. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env, overrides: Partial<RekindleConfig> = {}) => {
  const dataDir = resolve(overrides.dataDir ?? env['REKINDLE_DATA_DIR'] ?? './data');
  const config: RekindleConfig = {
    dataDir,
    databaseUrl: env['DATABASE_URL'] || undefined,
    warehousePath: join(dataDir, 'warehouse.duckdb'),
    clickhouseWarehouse: clickhouseWarehouse(env['REKINDLE_WAREHOUSE']),
    pgliteDir: join(dataDir, 'control'),
    host: env['HOST'] ?? '127.0.0.1',
    port: int(env['PORT'], 8080, 'PORT'),
    writeKey: env['REKINDLE_WRITE_KEY'] || undefined,
    maxBodyBytes: int(env['REKINDLE_MAX_BODY_BYTES'], 512 * 1024, 'REKINDLE_MAX_BODY_BYTES'),
    maxBatchRecords: int(env['REKINDLE_MAX_BATCH_RECORDS'], 2500, 'REKINDLE_MAX_BATCH_RECORDS'),
    dedupWindowHours: int(env['REKINDLE_DEDUP_WINDOW_HOURS'], 24, 'REKINDLE_DEDUP_WINDOW_HOURS'),
    logLevel: env['LOG_LEVEL'] ?? 'info',
    scoreEveryMinutes: int(env['REKINDLE_SCORE_EVERY_MINUTES'], 60, 'REKINDLE_SCORE_EVERY_MINUTES'),
    sessionIdleHours: positive(env['REKINDLE_SESSION_IDLE_HOURS'], 12, 'REKINDLE_SESSION_IDLE_HOURS'),
    sessionMaxDays: positive(env['REKINDLE_SESSION_MAX_DAYS'], 7, 'REKINDLE_SESSION_MAX_DAYS'),
    cookieSecure: flag(env['REKINDLE_COOKIE_SECURE'], 'REKINDLE_COOKIE_SECURE'),
    plannerPollSeconds: int(env['REKINDLE_PLANNER_POLL_SECONDS'], 10, 'REKINDLE_PLANNER_POLL_SECONDS'),
    triggerPollMs: int(env['REKINDLE_TRIGGER_POLL_MS'], 500, 'REKINDLE_TRIGGER_POLL_MS'),
    alertEverySeconds: int(env['REKINDLE_ALERT_EVERY_SECONDS'], 60, 'REKINDLE_ALERT_EVERY_SECONDS'),
    factShipMs: int(env['REKINDLE_FACT_SHIP_MS'], 2000, 'REKINDLE_FACT_SHIP_MS'),
    identityStitchMs: int(env['REKINDLE_IDENTITY_STITCH_MS'], 2000, 'REKINDLE_IDENTITY_STITCH_MS'),
    attributeEveryMinutes: int(
      env['REKINDLE_ATTRIBUTE_EVERY_MINUTES'],
      10,
      'REKINDLE_ATTRIBUTE_EVERY_MINUTES',
    ),
    publicUrl: '',
    deliveryWorkers: deliveryWorkers(env['REKINDLE_DELIVERY']),
    deliveryLeaseSeconds: positive(
      env['REKINDLE_DELIVERY_LEASE_SECONDS'],
      60,
      'REKINDLE_DELIVERY_LEASE_SECONDS',
    ),
    leaderPollMs: positive(env['REKINDLE_LEADER_POLL_MS'], 2000, 'REKINDLE_LEADER_POLL_MS'),
    retentionEveryMinutes: int(
      env['REKINDLE_RETENTION_EVERY_MINUTES'],
      60,
      'REKINDLE_RETENTION_EVERY_MINUTES',
    ),
    retention: retention(env),
    allowPrivateTargets: flag(env['REKINDLE_ALLOW_PRIVATE_TARGETS'], 'REKINDLE_ALLOW_PRIVATE_TARGETS'),
    ...overrides,
  };
  if (config.publicUrl === '')
    config.publicUrl = publicUrl(env['REKINDLE_PUBLIC_URL'], config.host, config.port);
  return config;
};
