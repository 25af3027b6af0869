import { every, type Loop } from '../scheduling/every.ts';
import { ChurnModelMissing, scoreChurnRisk } from './churn-model.ts';
import { runScoring, type ScoringRun } from './run-scoring.ts';
import type { ScoresContext } from './context.ts';

/**
 * The in-process scoring schedule of `rekindle serve`: one run at start, then one every
 * `everyMinutes` (REKINDLE_SCORE_EVERY_MINUTES; 0 turns it off): lifecycle, RFM and warnings, then
 * churn risk with the active model if there is one. A failed run is logged and the next one tried
 * on time. Durable, cluster-wide scheduling comes with the campaign work (a job
 * queue in the control plane); until then each server process scores its own warehouse.
 */

export interface ScoreScheduleLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type ScoreSchedule = Loop;

export const startScoreSchedule = (
  ctx: ScoresContext,
  options: { everyMinutes: number; workspaceId?: string; log: ScoreScheduleLog },
): ScoreSchedule => {
  if (!(options.everyMinutes > 0)) return { stop: async () => undefined };
  const workspaceId = options.workspaceId ?? 'default';
  const scoreAll = async () => {
    try {
      const run: ScoringRun = await runScoring(ctx, workspaceId);
      options.log.info(
        {
          runId: run.runId,
          users: run.scores.users,
          tierChanged: run.scores.tierChanged,
          lifecycleChanged: run.scores.lifecycleChanged,
          warningsRaised: run.warnings.raised,
          failedRules: run.warnings.failed.length,
          ms: Math.round(run.ms.total),
        },
        'scores computed',
      );
    } catch (e) {
      options.log.error({ err: e }, 'scheduled scoring failed');
    }
    // Churn risk with the active model, when one has been trained; its own failure is its own.
    try {
      const churn = await scoreChurnRisk(ctx, { workspaceId });
      options.log.info(
        {
          modelVersion: churn.modelVersion,
          users: churn.users,
          levels: churn.levels,
          ms: Math.round(churn.ms.total),
        },
        'churn risk scored',
      );
    } catch (e) {
      if (!(e instanceof ChurnModelMissing)) options.log.error({ err: e }, 'scheduled churn scoring failed');
    }
  };
  // Each half logs its own failure; `onError` only sees what escapes both.
  return every(options.everyMinutes * 60_000, scoreAll, {
    firstAfterMs: 0,
    onError: (e) => options.log.error({ err: e }, 'scheduled scoring failed'),
  });
};
