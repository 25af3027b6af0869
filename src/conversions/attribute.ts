import type { Clock } from '../core/clock.ts';
import { every, type Loop } from '../scheduling/every.ts';
import {
  attributionQuery,
  defaultSince,
  goalsOf,
  type AttributionGoal,
} from '../core/conversions/attribution.ts';
import { campaignsWithGoal } from '../storage/control/campaign-goals.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { rewriteConversions } from '../storage/warehouse/conversion-rewrite.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

export interface AttributionContext {
  control: SqlClient;
  warehouse: WarehouseSql;
  clock: Clock;
}

export interface AttributionRun {
  goals: number;
  /** The goal events recomputed: those in (since, until], epoch ms. */
  since: number;
  until: number;
  /** Conversions written by this run (new, or re-attributed to another message). */
  added: number;
  /** Conversions this run took back (their message or goal changed), before re-adding. */
  removed: number;
  /** Conversions in the range after the run. */
  inRange: number;
  ms: number;
}

/** Every campaign that has a goal, whatever its status: a finished campaign's messages still convert. */
export const loadGoals = async (db: SqlClient): Promise<AttributionGoal[]> =>
  goalsOf(await campaignsWithGoal(db));

/**
 * Recomputes the conversions of goal events in (since, now] from `events` and the `sent` facts
 * in one warehouse transaction: rows whose attribution still holds stay as they are (with their
 * first `attributed_at`), changed or vanished ones are replaced or removed, new ones added. So a
 * run is idempotent and a re-run after late facts corrects earlier answers.
 */
export const runAttribution = async (
  ctx: AttributionContext,
  options: { since?: number } = {},
): Promise<AttributionRun> => {
  const started = performance.now();
  const now = ctx.clock();
  const goals = await loadGoals(ctx.control);
  const since = options.since ?? defaultSince(now, goals);
  const counts = await rewriteConversions(
    ctx.warehouse,
    goals.length === 0
      ? null
      : attributionQuery(goals, { since, until: now, attributedAt: now }, ctx.warehouse.dialect),
    since,
    now,
  );
  return { goals: goals.length, since, until: now, ...counts, ms: performance.now() - started };
};

export interface AttributionLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The periodic attribution of `rekindle serve`: one run shortly after start, then one every
 * `everyMinutes` (REKINDLE_ATTRIBUTE_EVERY_MINUTES; 0 turns it off). Runs never overlap; a failed
 * run is logged and the next one tried on time.
 */
export const startAttribution = (
  ctx: AttributionContext,
  options: {
    everyMinutes: number;
    log: AttributionLog;
    /** Runs after each pass (e.g. the relapse sweep, which reads the conversions just written). */
    after?: () => Promise<unknown>;
  },
): Loop => {
  if (!(options.everyMinutes > 0)) return { stop: async () => undefined };
  return every(
    options.everyMinutes * 60_000,
    async () => {
      try {
        const r = await runAttribution(ctx);
        options.log.info(
          { goals: r.goals, added: r.added, removed: r.removed, inRange: r.inRange, ms: Math.round(r.ms) },
          'conversions attributed',
        );
      } catch (e) {
        options.log.error({ err: e }, 'conversion attribution failed');
      }
      await options.after?.();
    },
    { firstAfterMs: 5_000, onError: (e) => options.log.error({ err: e }, 'after attribution failed') },
  );
};
