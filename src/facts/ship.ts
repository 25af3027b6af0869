import type { Clock } from '../core/clock.ts';
import { readMessageLog, type MessageLogRow } from '../storage/control/message-log.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { appendMessageFacts, shippedFactsCursor } from '../storage/warehouse/message-facts.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * The fact shipper (features.md G1): the control plane's `message_log` → the warehouse's
 * `message_facts`, in `seq` order. The cursor is the warehouse's own max(seq), read and advanced
 * in the same DuckDB transaction as the facts it covers, so a crash at any point leaves either
 * the whole batch with its cursor or neither: every log row arrives exactly once. On ClickHouse
 * (no transaction) the cursor is still max(seq) of the facts, and each batch's insert carries a
 * dedup token of its seqs (message-facts.ts), so a cut pass or two shippers at once store it once.
 *
 * Money: the log counts integer cents; facts hold yuan (cents / 100) like `events.amount` and
 * `conversions.revenue`, so reports add them without converting.
 *
 * Gaps: `seq` is a sequence, and on PostgreSQL a transaction that took seq 7 may commit after
 * one that took seq 8. Shipping 8 would move the cursor past 7 for ever, so only the gap-free
 * run after the cursor ships; a gap is stepped over once it has stayed open `gapWaitMs`
 * (a rolled-back transaction leaves a gap that never fills).
 */

export interface ShipState {
  /** The seq a gap is waiting for, and since when (clock ms). */
  gap: { seq: number; since: number } | null;
}

export interface ShipOptions {
  batchSize?: number;
  /** How long a gap in seq may hold shipping back before it is taken as a rollback. */
  gapWaitMs?: number;
  clock: Clock;
  state?: ShipState;
  /** Test seam: runs after each committed batch (a crash here must lose nothing). */
  afterBatch?: (shipped: number) => Promise<void> | void;
}

export interface ShipReport {
  shipped: number;
  batches: number;
  /** The warehouse cursor after the call. */
  cursor: number;
  /** A gap is holding rows back. */
  waiting: boolean;
}

export const newShipState = (): ShipState => ({ gap: null });

/** The rows that may ship now: the gap-free run after the cursor (see the gap note above). */
export const shippablePrefix = (
  cursor: number,
  rows: readonly MessageLogRow[],
  state: ShipState,
  now: number,
  gapWaitMs: number,
): { rows: readonly MessageLogRow[]; waiting: boolean } => {
  let expected = cursor + 1;
  let n = 0;
  for (const r of rows) {
    if (r.seq !== expected) {
      // The gap at `expected`: wait for it unless it has been open long enough.
      if (state.gap === null || state.gap.seq !== expected) {
        state.gap = { seq: expected, since: now };
        break;
      }
      if (now - state.gap.since < gapWaitMs) break;
      state.gap = null;
    }
    expected = r.seq + 1;
    n++;
  }
  if (n === rows.length) state.gap = null;
  return { rows: rows.slice(0, n), waiting: n < rows.length };
};

/** Ships until the log is drained (or a gap holds it back); returns what it did. */
export const shipFacts = async (
  control: SqlClient,
  warehouse: WarehouseSql,
  options: ShipOptions,
): Promise<ShipReport> => {
  const batchSize = options.batchSize ?? 5000;
  const gapWaitMs = options.gapWaitMs ?? 10_000;
  const state = options.state ?? newShipState();
  let shipped = 0;
  let batches = 0;
  for (;;) {
    const step = await warehouse.transaction(async (tx) => {
      const cursor = await shippedFactsCursor(tx);
      const rows = await readMessageLog(control, cursor, batchSize);
      const ready = shippablePrefix(cursor, rows, state, options.clock(), gapWaitMs);
      if (ready.rows.length > 0) await appendMessageFacts(tx, ready.rows, warehouse.dialect);
      const last = ready.rows[ready.rows.length - 1];
      return {
        count: ready.rows.length,
        cursor: last?.seq ?? cursor,
        waiting: ready.waiting,
        full: rows.length === batchSize,
      };
    });
    if (step.count > 0) {
      shipped += step.count;
      batches++;
      await options.afterBatch?.(step.count);
    }
    if (step.count === 0 || step.waiting || !step.full)
      return { shipped, batches, cursor: step.cursor, waiting: step.waiting };
  }
};

export interface FactShipperLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FactShipper {
  /** Ships now (also what the timer does); resolves when this pass is done. */
  shipNow(): Promise<ShipReport | null>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * The background loop of `rekindle serve`: a pass every `everyMs` (REKINDLE_FACT_SHIP_MS; 0 turns
 * it off). Passes never overlap; a failed pass is logged and the next one retries from the
 * warehouse cursor.
 */
export const startFactShipper = (
  rt: { control: SqlClient; warehouse: WarehouseSql; clock: Clock },
  options: { everyMs: number; log: FactShipperLog; batchSize?: number; gapWaitMs?: number },
): FactShipper => {
  const state = newShipState();
  let current: Promise<ShipReport | null> = Promise.resolve(null);
  let stopped = false;
  const pass = async (): Promise<ShipReport | null> => {
    try {
      const r = await shipFacts(rt.control, rt.warehouse, {
        clock: rt.clock,
        state,
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.gapWaitMs === undefined ? {} : { gapWaitMs: options.gapWaitMs }),
      });
      if (r.shipped > 0) options.log.info({ shipped: r.shipped, cursor: r.cursor }, 'facts shipped');
      return r;
    } catch (e) {
      options.log.error({ err: e }, 'fact shipping failed');
      return null;
    }
  };
  const shipNow = (): Promise<ShipReport | null> => {
    const next = current.then(pass, pass);
    current = next;
    return next;
  };
  const timer = options.everyMs > 0 ? setInterval(() => void (stopped || shipNow()), options.everyMs) : null;
  timer?.unref();
  return {
    shipNow,
    stop: async () => {
      stopped = true;
      if (timer) clearInterval(timer);
      await current;
    },
  };
};
