import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testClickHouseTarget } from '../support/clickhouse-target.ts';
import type { EventRow, IdentifyRow } from '../../src/core/events/rows.ts';
import { ClickHouseWarehouse } from '../../src/storage/clickhouse/clickhouse-warehouse.ts';

/**
 * Helpers of the ClickHouse ingestion tests: rows to commit, and each warehouse's tables read back
 * in one comparable form (times as epoch ms, JSON texts parsed, -0 as 0).
 */

/** chDB takes one data directory per process: every test of a file uses this one. */
export const chdbDir = (): string => mkdtempSync(join(tmpdir(), 'rekindle-ch-ingest-'));

let databases = 0;
/** A fresh database at the file's chDB directory (tests never see each other's rows). */
export const openClickHouse = (dir: string): Promise<ClickHouseWarehouse> =>
  ClickHouseWarehouse.open(testClickHouseTarget(dir, `ingest_${process.pid}_${++databases}`));

export const event = (
  over: Partial<EventRow> & { messageId: string; userId: string; ts: number },
): EventRow => ({
  anonymousId: null,
  event: 'buy',
  receivedAt: Date.UTC(2026, 0, 1),
  amount: null,
  currency: null,
  productId: null,
  category: null,
  orderId: null,
  platform: null,
  properties: '{}',
  source: 'http',
  ...over,
});

export const identify = (
  over: Partial<IdentifyRow> & { messageId: string; userId: string; ts: number },
): IdentifyRow => ({
  receivedAt: Date.UTC(2026, 0, 1),
  columns: {},
  traits: {},
  source: 'http',
  ...over,
});

/** A ClickHouse DateTime64 text ('YYYY-MM-DD hh:mm:ss.mmm', UTC) or a JS Date, as epoch ms. */
export const msOf = (v: unknown): number | null => {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') return Date.parse(`${v.replace(' ', 'T')}Z`);
  throw new Error(`not a time: ${String(v)}`);
};

const num = (v: unknown): unknown => (typeof v === 'number' && v === 0 ? 0 : v);
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

/**
 * Traits as a plain object without JSON nulls: DuckDB keeps `"k": null` when a user's first
 * identify creates the profile (a later merge patch removes it), ClickHouse never keeps it.
 */
const traitsOf = (v: unknown): Record<string, unknown> => {
  const o = json(v) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== null));
};

const TIMES = new Set(['register_time', 'first_seen', 'updated_at', 'ts', 'received_at', 'valid_from']);

const normalise = (row: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      TIMES.has(k)
        ? msOf(v)
        : k === 'traits'
          ? traitsOf(v)
          : k === 'properties' || k === 'value'
            ? json(v)
            : num(v),
    ]),
  );

interface Reader {
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

const sortBy = (rows: Record<string, unknown>[]) =>
  rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** profiles, events and profile_history of either warehouse, normalised and sorted. */
export const readTables = async (
  db: Reader,
): Promise<{
  profiles: Record<string, unknown>[];
  events: Record<string, unknown>[];
  history: Record<string, unknown>[];
}> => ({
  profiles: sortBy((await db.query('SELECT * FROM profiles')).map(normalise)),
  events: sortBy((await db.query('SELECT * FROM events')).map(normalise)),
  history: sortBy((await db.query('SELECT * FROM profile_history')).map(normalise)),
});
