import type { EventRow, IdentifyRow } from '../core/events/rows.ts';
import { generateUsers, type DemoOptions } from '../core/demo/generate.ts';
import { demoUserCount } from '../core/demo/sizes.ts';
import type { WarehouseStore } from '../storage/warehouse-sql.ts';

export interface LoadDemoOptions extends DemoOptions {
  onProgress?: (doneUsers: number, totalUsers: number) => void;
  /** Events per transaction (a commit takes whole users, so it may hold a few more). */
  chunkEvents?: number;
}

const DEFAULT_CHUNK_EVENTS = 30_000;

/**
 * Streams generated users into the warehouse, whole users per transaction (their identify and
 * all their events), then checkpoints. Loading twice stores everything twice: callers load into
 * an empty warehouse.
 */
export const loadDemo = async (
  // `checkpoint`: DuckDB's (folds the load from its WAL into the file); ClickHouse has none.
  warehouse: WarehouseStore & { checkpoint?(): Promise<void> },
  options: LoadDemoOptions,
): Promise<{ users: number; events: number; ms: number }> => {
  const started = performance.now();
  const total = demoUserCount(options.size);
  const chunk = options.chunkEvents ?? DEFAULT_CHUNK_EVENTS;
  let events: EventRow[] = [];
  let identifies: IdentifyRow[] = [];
  let users = 0;
  let eventCount = 0;
  const commit = async () => {
    await warehouse.commit({ events, identifies, rejections: [] });
    events = [];
    identifies = [];
    options.onProgress?.(users, total);
  };
  for (const user of generateUsers(options)) {
    users++;
    eventCount += user.events.length;
    identifies.push(user.identify);
    for (const e of user.events) events.push(e);
    if (events.length >= chunk) await commit();
  }
  if (identifies.length > 0) await commit();
  await warehouse.checkpoint?.();
  return { users, events: eventCount, ms: Math.round(performance.now() - started) };
};
