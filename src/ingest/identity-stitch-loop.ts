import type { Clock } from '../core/clock.ts';
import type { StitchReport } from '../storage/clickhouse/identity-stitching.ts';
import type { ClickHouseWarehouse } from '../storage/clickhouse/clickhouse-warehouse.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { carryOptOutsToCanonical } from './merged-opt-outs.ts';

export interface IdentityStitchLog {
  info(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export interface IdentityStitcher {
  /** One pass now, after the one running (tests; a pass is never run twice at once). */
  stitchNow(): Promise<StitchReport | null>;
  stop(): Promise<void>;
}

/** How often a pass also deletes requests decided long ago (identity-stitching.ts `prune`). */
const PRUNE_EVERY_MS = 3_600_000;

/**
 * The leader's identity stitching on a ClickHouse warehouse (storage/clickhouse/identity-
 * stitching.ts): one pass every `everyMs`; after a pass that linked or moved ids, the opt-outs of
 * the merged ids are carried to their canonical ids, as DuckDB does after a commit that linked.
 * One pass at a time, in one process: two would decide the same requests.
 */
export const startIdentityStitching = (
  rt: { control: SqlClient; clock: Clock },
  warehouse: ClickHouseWarehouse,
  options: { everyMs: number; log: IdentityStitchLog },
): IdentityStitcher => {
  let current: Promise<StitchReport | null> = Promise.resolve(null);
  let stopped = false;
  let prunedAt = Number.NEGATIVE_INFINITY;
  const pass = async (): Promise<StitchReport | null> => {
    try {
      const now = rt.clock();
      const prune = now - prunedAt >= PRUNE_EVERY_MS;
      const report = await warehouse.stitch({ now, prune });
      if (prune) prunedAt = now;
      if (report.moved.length > 0) await carryOptOutsToCanonical(rt.control, warehouse);
      if (report.decided > 0 || report.sweep.aliasesWithRows > 0) {
        options.log.info(
          {
            decided: report.decided,
            linked: report.linked,
            refused: report.refused,
            aliasesWithRows: report.sweep.aliasesWithRows,
          },
          'identities stitched',
        );
      }
      return report;
    } catch (e) {
      // The next pass completes what this one left (every step is idempotent).
      options.log.error({ err: e }, 'identity stitching failed');
      return null;
    }
  };
  const stitchNow = (): Promise<StitchReport | null> => {
    const next = current.then(pass, pass);
    current = next;
    return next;
  };
  const timer =
    options.everyMs > 0 ? setInterval(() => void (stopped || stitchNow()), options.everyMs) : null;
  timer?.unref();
  return {
    stitchNow,
    stop: async () => {
      stopped = true;
      if (timer) clearInterval(timer);
      await current;
    },
  };
};
