import { randomBytes } from 'node:crypto';
import type { ProgressFn } from '../core/jobs/progress.ts';
import type { Actor } from '../core/auth/roles.ts';
import { scoresQuery } from '../core/scores/scoring-sql.ts';
import { err, ok } from '../core/result.ts';
import { conflict, type Outcome } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  lastComputedAt,
  readScoreSummary,
  writeScores,
  type ScoreSummary,
  type ScoreWriteResult,
} from '../storage/warehouse/user-scores.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { refusal, type ScoresContext } from './context.ts';
import { loadScoreConfig } from './score-config.ts';
import { runValueModel, type ValueModelRun } from './value-model.ts';
import { evaluateWarningRules, type WarningRunResult } from './warning-rules.ts';

/**
 * One scoring run: lifecycle stages and RFM tiers into `user_scores` (with transition events),
 * the value model's P(alive), expected purchases and spend and LTV (src/scores/value-model.ts),
 * then the early-warning rules (which may read those scores). Runs of one warehouse never
 * overlap in this process: a run asked for while one is going waits for it.
 */

export interface ScoringRun {
  runId: string;
  asOf: number;
  configVersion: number;
  scores: ScoreWriteResult;
  valueModel: ValueModelRun;
  warnings: WarningRunResult;
  ms: { scores: number; valueModel: number; warnings: number; total: number };
}

const running = new WeakMap<WarehouseSql, Promise<unknown>>();

const oneAtATime = <T>(warehouse: WarehouseSql, work: () => Promise<T>): Promise<T> => {
  const before = running.get(warehouse) ?? Promise.resolve();
  const next = before.then(work, work);
  running.set(
    warehouse,
    next.catch(() => undefined),
  );
  return next;
};

/**
 * A run as of an instant before the last one would overwrite newer scores with older ones and
 * append transitions backwards in time; it is refused.
 */
export class ScoringTimeError extends Error {}

export const newRunId = (now: number): string =>
  `run_${new Date(now).toISOString().replace(/[-:.]/g, '').slice(0, 15)}_${randomBytes(3).toString('hex')}`;

/** Scores every profile and evaluates the warning rules of `workspaceId` as of `now` (default: the clock). */
export const runScoring = (
  ctx: ScoresContext<WarehouseSql>,
  workspaceId = 'default',
  options: { now?: number | undefined; onProgress?: ProgressFn | undefined } = {},
): Promise<ScoringRun> =>
  oneAtATime(ctx.warehouse, async () => {
    const started = performance.now();
    const now = Math.round(options.now ?? ctx.clock());
    const last = await lastComputedAt(ctx.warehouse);
    if (last !== null && now < last)
      throw new ScoringTimeError(
        `scores were last computed as of ${new Date(last).toISOString()}; a run as of ${new Date(now).toISOString()} would go back in time`,
      );
    const runId = newRunId(now);
    const { config, version } = await loadScoreConfig(ctx.control, workspaceId);
    options.onProgress?.({ phase: 'scores', done: 0, total: 3 });
    const scores = await writeScores(ctx.warehouse, scoresQuery(config, now, ctx.warehouse.dialect), {
      id: runId,
      now,
    });
    const afterScores = performance.now();
    // After the stages and tiers (writeScores touches only its own columns, so the value
    // figures it does not write survive it) and before the rules, which may read LTV.
    options.onProgress?.({ phase: 'value_model', done: 1, total: 3 });
    const valueModel = await runValueModel(ctx.warehouse, config, { id: runId, now });
    const afterValue = performance.now();
    options.onProgress?.({ phase: 'warnings', done: 2, total: 3 });
    const warnings = await evaluateWarningRules(ctx, workspaceId, { id: runId, now });
    const done = performance.now();
    return {
      runId,
      asOf: now,
      configVersion: version,
      scores,
      valueModel,
      warnings,
      ms: {
        scores: afterScores - started,
        valueModel: afterValue - afterScores,
        warnings: done - afterValue,
        total: done - started,
      },
    };
  });

/** A run asked for by a user (operators and admins), audited. */
export const computeScoresAs = async (
  ctx: ScoresContext<WarehouseSql>,
  actor: Actor,
  options: { asOf?: number | undefined; onProgress?: ProgressFn } = {},
): Outcome<ScoringRun> => {
  const no = refusal(actor, 'scores.compute');
  if (no) return err(no);
  let run: ScoringRun;
  try {
    run = await runScoring(ctx, actor.workspaceId, { now: options.asOf, onProgress: options.onProgress });
  } catch (e) {
    if (e instanceof ScoringTimeError) return err(conflict(e.message));
    throw e;
  }
  await appendAudit(ctx.control, {
    workspaceId: actor.workspaceId,
    at: ctx.clock(),
    actorId: actor.userId,
    action: 'scores.compute',
    objectType: 'score_run',
    objectId: run.runId,
    details: {
      asOf: run.asOf,
      users: run.scores.users,
      tierChanged: run.scores.tierChanged,
      lifecycleChanged: run.scores.lifecycleChanged,
      warningsRaised: run.warnings.raised,
    },
  });
  return ok(run);
};

export const scoreSummary = async (ctx: ScoresContext<WarehouseSql>, actor: Actor): Outcome<ScoreSummary> => {
  const no = refusal(actor, 'scores.read');
  if (no) return err(no);
  return ok(await readScoreSummary(ctx.warehouse));
};
