import type { Actor } from '../core/auth/roles.ts';
import { fitValueModel, valueModelCustomers, type ValueWarning } from '../core/models/btyd/value-model.ts';
import { err, ok } from '../core/result.ts';
import { valueModelSettings, type ScoreConfig, type ValueModelSettings } from '../core/scores/config.ts';
import type { Outcome } from '../core/service-failure.ts';
import {
  lastWrittenValueRunAt,
  readPurchaseLines,
  readLatestValueModelRun,
  writeValueModelRun,
  type ValueModelRunRow,
} from '../storage/warehouse/value-model.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { refusal, type ScoresContext } from './context.ts';

/**
 * The value model on the scoring schedule (features.md B7): every buyer's purchases up to the
 * run's instant → BG/NBD + Gamma-Gamma in days → P(alive), expected purchases and spend over
 * the horizon and LTV per user in `user_scores`, unless a check failed; then the run is
 * recorded with its warnings and the previous figures stay.
 */

export interface ValueModelRun {
  /** False when the workspace turned the model off: nothing was fitted or recorded. */
  ran: boolean;
  customers: number;
  repeatCustomers: number;
  /** Users whose figures were written (0 when a warning stopped them). */
  users: number;
  warnings: readonly ValueWarning[];
  ms: number;
}

export const runValueModel = async (
  warehouse: WarehouseSql,
  config: ScoreConfig,
  run: { id: string; now: number },
): Promise<ValueModelRun> => {
  const started = performance.now();
  const settings: ValueModelSettings = valueModelSettings(config);
  if (!settings.enabled)
    return { ran: false, customers: 0, repeatCustomers: 0, users: 0, warnings: [], ms: 0 };
  const lines = await readPurchaseLines(warehouse, settings, run.now);
  const fit = fitValueModel(valueModelCustomers(lines, run.now), settings);
  const converged = (fit.bgnbd?.converged ?? false) && (fit.gammaGamma?.converged ?? false);
  const written = await writeValueModelRun(
    warehouse,
    {
      runId: run.id,
      asOf: run.now,
      settings,
      customers: fit.customers,
      repeatCustomers: fit.repeatCustomers,
      bgnbd: fit.bgnbd,
      gammaGamma: fit.gammaGamma,
      converged,
      // The BG/NBD's; Gamma-Gamma's own is in its JSON.
      logLikelihood: fit.bgnbd?.logLikelihood ?? null,
      warnings: fit.warnings,
      summary: fit.summary,
    },
    fit.scores,
  );
  return {
    ran: true,
    customers: fit.customers,
    repeatCustomers: fit.repeatCustomers,
    users: written.users,
    warnings: fit.warnings,
    ms: performance.now() - started,
  };
};

export interface ValueModelState {
  /** The latest run (null before the first), trusted or not. */
  latest: ValueModelRunRow | null;
  /** The instant of the run whose per-user values `user_scores` holds, or null. */
  valuesAsOf: number | null;
}

/** What `GET /v1/scores/value-model` answers. */
export const valueModelState = async (
  ctx: ScoresContext<WarehouseSql>,
  actor: Actor,
): Outcome<ValueModelState> => {
  const no = refusal(actor, 'scores.read');
  if (no) return err(no);
  return ok({
    latest: await readLatestValueModelRun(ctx.warehouse),
    valuesAsOf: await lastWrittenValueRunAt(ctx.warehouse),
  });
};
