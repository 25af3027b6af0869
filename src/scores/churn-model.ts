import { randomBytes } from 'node:crypto';
import type { ProgressFn } from '../core/jobs/progress.ts';
import type { Actor } from '../core/auth/roles.ts';
import type { ChurnDefinition } from '../core/models/churn/churn-definition.ts';
import type { GbdtParams } from '../core/models/churn/gbdt.ts';
import type { FeatureMatrix } from '../core/models/churn/matrix.ts';
import { deserializeChurnModel, serializeChurnModel } from '../core/models/churn/model-json.ts';
import { churnProbability, topChurnReasons, type ChurnModel } from '../core/models/churn/churn-model.ts';
import { notScoredReason, type NotScored } from '../core/models/churn/not-scored.ts';
import { reasonTexts, type ReasonTexts } from '../core/models/churn/reason-words.ts';
import type { ScoreConfig } from '../core/scores/config.ts';
import { err, ok } from '../core/result.ts';
import { notFound, type Outcome } from '../core/service-failure.ts';
import { ChurnDataError, evaluateChurnModel, type ChurnEvaluation } from '../models/churn/evaluate.ts';
import {
  extractFeatures,
  planFeatureSpec,
  planFromSpec,
  type FeaturePlan,
  type FeaturePlanSpec,
} from '../storage/warehouse/churn-features.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  activateChurnModelRow,
  getChurnModelRow,
  insertChurnModel,
  listChurnModelRows,
  type ChurnModelRow,
} from '../storage/control/churn-models.ts';
import {
  latestChurnRiskRunModel,
  readUserChurnRisk,
  writeChurnRisk,
  type ChurnReasonRow,
  type ChurnRiskRow,
  type UserChurnRisk,
} from '../storage/warehouse/churn-risk.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { refusal, type ScoresContext } from './context.ts';
import { loadScoreConfig } from './score-config.ts';
import { DAY_MS } from '../core/time/units.ts';

/**
 * The churn model on the warehouse (features.md B6): trained with a temporal split on the workspace's
 * churn definition, stored versioned in the control plane (`churn_models`), and scored into
 * `user_scores.churn_risk_score` / `churn_risk_level` with each user's top reasons in
 * `churn_risk_reasons`. Details in docs/churn-model.md.
 */

export { ChurnDataError };

/** No model to score with: none trained yet, or the id names none of the workspace's. */
export class ChurnModelMissing extends Error {}

/** Risk levels on the 0–100 score: `high` from `high`, `medium` from `medium`, else `low`. */
export interface RiskLevels {
  high: number;
  medium: number;
}

/** Score ≥ 70 (probability ≥ 0.695) is high, ≥ 40 medium. */
export const DEFAULT_RISK_LEVELS: Readonly<RiskLevels> = { high: 70, medium: 40 };

/** Training snapshots by default (cutoff − horizon, and 30 and 60 days before it). */
const TRAIN_SNAPSHOTS = 3;

/** Reasons kept per user. */
export const REASONS_PER_USER = 3;

/** What a stored model was trained with; enough to rebuild its features. */
export interface ChurnModelParams {
  cutoff: string;
  trainCutoff: string;
  horizonDays: number;
  definition: ChurnDefinition;
  /** The scoring configuration version whose churn definition gave the labels (0: the defaults). */
  configVersion: number;
  features: FeaturePlanSpec;
  seed: number;
  gbdt: Partial<GbdtParams>;
}

/** The evaluation stored with a model (the `churn evaluate` report without its timings). */
export type ChurnModelMetrics = Omit<ChurnEvaluation, 'seconds'> & { trainingSeconds: number };

export interface ChurnModelRecord {
  id: string;
  workspaceId: string;
  version: number;
  createdAt: number;
  createdBy: number | null;
  active: boolean;
  params: ChurnModelParams;
  metrics: ChurnModelMetrics;
}

export interface TrainChurnOptions {
  /** The evaluation instant; default now − horizon (the latest whose labels are complete). */
  cutoff?: number;
  /** Default: the churn definition's `days`. */
  horizonDays?: number;
  workspaceId?: string;
  seed?: number;
  gbdt?: Partial<GbdtParams>;
  /** Training snapshots, 30 days apart, all labelled before the cutoff (default 3): more rows. */
  trainSnapshots?: number;
  /** The control-plane user who trained it (null: the command line). */
  createdBy?: number | null;
  onProgress?: ProgressFn;
}

/**
 * The model's churn question from the workspace's churn definition (`churn.events` in
 * `churn.days`): among users not churned at a cutoff (one of the events in the `days` before
 * it), who does none of them in the `horizonDays` after it?
 */
export const churnDefinitionFor = (config: ScoreConfig, horizonDays?: number): ChurnDefinition => ({
  horizonDays: horizonDays ?? config.churn.days,
  retentionEvents: [...config.churn.events],
  activeDays: config.churn.days,
  activityEvents: [...config.churn.events],
});

/** Order events of the features: the lifecycle's order event and the RFM event. */
const orderEventsOf = (config: ScoreConfig): string[] => [
  ...new Set([config.lifecycle.mature.orderEvent, config.rfm.event]),
];

const newModelId = (): string => `cm_${randomBytes(8).toString('hex')}`;

const trainings = new WeakMap<WarehouseSql, Promise<unknown>>();
/** Trainings (CPU-heavy, and each takes the next version number) run one at a time per warehouse. */
const oneTrainingAtATime = <T>(warehouse: WarehouseSql, work: () => Promise<T>): Promise<T> => {
  const before = trainings.get(warehouse) ?? Promise.resolve();
  const next = before.then(work, work);
  trainings.set(
    warehouse,
    next.catch(() => undefined),
  );
  return next;
};

const recordOf = (row: ChurnModelRow): ChurnModelRecord => ({
  id: row.id,
  workspaceId: row.workspaceId,
  version: row.version,
  createdAt: row.createdAt,
  createdBy: row.createdBy,
  active: row.active,
  params: row.params as ChurnModelParams,
  metrics: row.metrics as ChurnModelMetrics,
});

/**
 * Trains a model on the warehouse as `churn evaluate` does (features at cutoff − horizon,
 * labelled by the horizon ending at the cutoff; evaluated at the cutoff), stores it as the
 * workspace's next version and makes it the active one.
 */
export const trainChurnModel = (
  ctx: ScoresContext,
  o: TrainChurnOptions = {},
): Promise<{ record: ChurnModelRecord; model: ChurnModel; seconds: ChurnEvaluation['seconds'] }> =>
  oneTrainingAtATime(ctx.warehouse, async () => {
    const workspaceId = o.workspaceId ?? 'default';
    const { config, version: configVersion } = await loadScoreConfig(ctx.control, workspaceId);
    const definition = churnDefinitionFor(config, o.horizonDays);
    const now = ctx.clock();
    const cutoff = o.cutoff ?? now - definition.horizonDays * DAY_MS;
    if (cutoff + definition.horizonDays * DAY_MS > now) {
      throw new ChurnDataError(
        `the evaluation horizon (${definition.horizonDays} days after the cutoff ${new Date(cutoff).toISOString()}) ` +
          `ends after now (${new Date(now).toISOString()}); its labels are not known yet`,
      );
    }
    const seed = o.seed ?? 1;
    const spec = await planFeatureSpec(ctx.warehouse, { cutoff, orderEvents: orderEventsOf(config) });
    const started = performance.now();
    const { report, model } = await evaluateChurnModel(ctx.warehouse, {
      cutoff,
      definition,
      plan: planFromSpec(spec),
      seed,
      trainSnapshots: o.trainSnapshots ?? TRAIN_SNAPSHOTS,
      snapshotStepDays: 30,
      ...(o.gbdt ? { gbdt: o.gbdt } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const { seconds, ...metrics } = report;
    const params: ChurnModelParams = {
      cutoff: report.cutoff,
      trainCutoff: report.trainCutoff,
      horizonDays: definition.horizonDays,
      definition,
      configVersion,
      features: spec,
      seed,
      gbdt: o.gbdt ?? {},
    };
    const row = await insertChurnModel(ctx.control, {
      id: newModelId(),
      workspaceId,
      at: now,
      by: o.createdBy ?? null,
      params,
      metrics: { ...metrics, trainingSeconds: (performance.now() - started) / 1000 },
      model: serializeChurnModel(model),
    });
    return { record: recordOf(row), model, seconds };
  });

/** A stored model read back: its record, the chosen model (trees, regression or blend, calibrated), and the feature plan it was trained on. */
export interface LoadedChurnModel {
  record: ChurnModelRecord;
  model: ChurnModel;
  plan: FeaturePlan;
}

/** The active model (or the one with `modelId`); throws ChurnModelMissing when there is none. */
export const loadChurnModel = async (
  ctx: Pick<ScoresContext, 'control'>,
  workspaceId: string,
  modelId?: string,
): Promise<LoadedChurnModel> => {
  const row = await getChurnModelRow(ctx.control, workspaceId, modelId);
  if (row === null) {
    throw new ChurnModelMissing(
      modelId === undefined
        ? 'no churn model has been trained yet; train one first'
        : `churn model '${modelId}' does not exist`,
    );
  }
  const record = recordOf(row);
  // Format 1 rows (trees only, uncalibrated) load as they were stored.
  const model = deserializeChurnModel(row.model);
  if (!model.ok) throw new Error(`stored churn model ${row.id} is unreadable: ${model.error}`);
  const plan = planFromSpec(record.params.features);
  const names = plan.features.map((f) => f.name);
  if (names.join(',') !== model.value.featureNames.join(',')) {
    throw new Error(`stored churn model ${row.id}: its features do not match its feature plan`);
  }
  return { record, model: model.value, plan };
};

/** Features at `at` of every eligible user (not churned then) and the model's churn probability. */
export const predictChurnAt = async (
  warehouse: WarehouseSql,
  loaded: LoadedChurnModel,
  at: number,
): Promise<{ userIds: string[]; x: FeatureMatrix; probability: Float64Array }> => {
  const snap = await extractFeatures(warehouse, loaded.plan, {
    cutoff: at,
    population: loaded.record.params.definition,
  });
  return { userIds: snap.userIds, x: snap.x, probability: churnProbability(loaded.model, snap.x) };
};

export const riskLevel = (score: number, levels: RiskLevels): 'high' | 'medium' | 'low' =>
  score >= levels.high ? 'high' : score >= levels.medium ? 'medium' : 'low';

export interface ChurnScoringRun {
  modelId: string;
  modelVersion: number;
  asOf: number;
  users: number;
  /** Users scored before but not eligible now, whose risk was cleared. */
  cleared: number;
  levels: Record<'high' | 'medium' | 'low', number>;
  thresholds: RiskLevels;
  reasons: number;
  /** Saabas path contributions for trees, coefficient × standardised value for the regression, their weighted sum for a blend. */
  reasonMethod: 'saabas' | 'linear' | 'saabas+linear';
  ms: { features: number; predict: number; reasons: number; write: number; total: number };
}

export interface ScoreChurnOptions {
  modelId?: string;
  workspaceId?: string;
  /** Default: the clock. */
  now?: number;
  levels?: RiskLevels;
}

const checkLevels = (l: RiskLevels): string | null =>
  !(Number.isFinite(l.high) && Number.isFinite(l.medium)) || l.medium < 0 || l.high > 100 || l.medium > l.high
    ? `risk levels must satisfy 0 <= medium <= high <= 100, got medium ${l.medium}, high ${l.high}`
    : null;

/**
 * Scores every eligible user with the active (or given) model: churn_risk_score =
 * round(probability × 100), churn_risk_level from `levels`, and each user's top three reasons
 * (features with the largest positive Saabas contributions to the log-odds).
 */
export const scoreChurnRisk = async (
  ctx: ScoresContext,
  o: ScoreChurnOptions = {},
): Promise<ChurnScoringRun> => {
  const levels = o.levels ?? DEFAULT_RISK_LEVELS;
  const bad = checkLevels(levels);
  if (bad) throw new RangeError(bad);
  const t0 = performance.now();
  const asOf = Math.round(o.now ?? ctx.clock());
  const loaded = await loadChurnModel(ctx, o.workspaceId ?? 'default', o.modelId);
  return scoreChurnRiskOn(ctx.warehouse, loaded, { asOf, levels, scoredAt: () => ctx.clock(), started: t0 });
};

/**
 * The scoring itself, on either warehouse engine: features at `asOf`, probabilities, reasons,
 * and the write of the run (churn-risk.ts). `scoredAt` is read after the prediction, as the
 * clock of the run's row.
 */
export const scoreChurnRiskOn = async (
  warehouse: WarehouseSql,
  loaded: Pick<LoadedChurnModel, 'model' | 'plan'> & {
    record: Pick<ChurnModelRecord, 'id' | 'version'> & {
      params: Pick<ChurnModelRecord['params'], 'definition'>;
    };
  },
  o: { asOf: number; levels: RiskLevels; scoredAt: () => number; started?: number },
): Promise<ChurnScoringRun> => {
  const { asOf, levels } = o;
  const t0 = o.started ?? performance.now();
  const { userIds, x } = await extractFeatures(warehouse, loaded.plan, {
    cutoff: asOf,
    population: loaded.record.params.definition,
  });
  const t1 = performance.now();
  const p = churnProbability(loaded.model, x);
  const scores: ChurnRiskRow[] = [];
  const counts = { high: 0, medium: 0, low: 0 };
  userIds.forEach((userId, i) => {
    const score = Math.round((p[i] as number) * 100);
    const level = riskLevel(score, levels);
    counts[level]++;
    scores.push({ userId, score, level });
  });
  const t2 = performance.now();
  const top = topChurnReasons(loaded.model, x, REASONS_PER_USER);
  const names = loaded.model.featureNames;
  const reasons: ChurnReasonRow[] = [];
  userIds.forEach((userId, i) => {
    for (let r = 0; r < REASONS_PER_USER; r++) {
      const j = top.feature[i * REASONS_PER_USER + r] as number;
      if (j < 0) break;
      const value = x.values[i * x.cols + j] as number;
      reasons.push({
        userId,
        rank: r + 1,
        feature: names[j] as string,
        contribution: top.contribution[i * REASONS_PER_USER + r] as number,
        value: Number.isFinite(value) ? value : null,
      });
    }
  });
  const t3 = performance.now();
  const written = await writeChurnRisk(warehouse, scores, reasons, {
    modelId: loaded.record.id,
    modelVersion: loaded.record.version,
    asOf,
    scoredAt: o.scoredAt(),
    levels: counts,
  });
  const t4 = performance.now();
  return {
    modelId: loaded.record.id,
    modelVersion: loaded.record.version,
    asOf,
    users: scores.length,
    cleared: written.cleared,
    levels: counts,
    thresholds: { ...levels },
    reasons: reasons.length,
    reasonMethod:
      loaded.model.kind === 'gbdt' ? 'saabas' : loaded.model.kind === 'logistic' ? 'linear' : 'saabas+linear',
    ms: { features: t1 - t0, predict: t2 - t1, reasons: t3 - t2, write: t4 - t3, total: t4 - t0 },
  };
};

/** Makes a stored model the active one; throws ChurnModelMissing when the workspace has none with that id. */
export const activateChurnModel = async (
  ctx: Pick<ScoresContext, 'control'>,
  modelId: string,
  workspaceId = 'default',
): Promise<ChurnModelRecord> => {
  const row = await activateChurnModelRow(ctx.control, workspaceId, modelId);
  if (row === null) throw new ChurnModelMissing(`churn model '${modelId}' does not exist`);
  return recordOf(row);
};

export const listChurnModels = async (
  ctx: Pick<ScoresContext, 'control'>,
  workspaceId = 'default',
): Promise<ChurnModelRecord[]> => (await listChurnModelRows(ctx.control, workspaceId)).map(recordOf);

// ---- As a user (the API): permissions, failures as values, audit. ----

const dataProblem = (e: unknown) => {
  if (e instanceof ChurnDataError) return { type: 'conflict' as const, reason: e.message };
  if (e instanceof ChurnModelMissing) return { type: 'conflict' as const, reason: e.message };
  return null;
};

export const trainChurnModelAs = async (
  ctx: ScoresContext,
  actor: Actor,
  o: { cutoff?: number; horizonDays?: number; onProgress?: ProgressFn },
): Outcome<ChurnModelRecord> => {
  const no = refusal(actor, 'churn_model.train');
  if (no) return err(no);
  let record: ChurnModelRecord;
  try {
    ({ record } = await trainChurnModel(ctx, {
      ...o,
      workspaceId: actor.workspaceId,
      createdBy: actor.userId,
    }));
  } catch (e) {
    const f = dataProblem(e);
    if (f) return err(f);
    throw e;
  }
  await appendAudit(ctx.control, {
    workspaceId: actor.workspaceId,
    at: ctx.clock(),
    actorId: actor.userId,
    action: 'churn_model.train',
    objectType: 'churn_model',
    objectId: record.id,
    details: {
      version: record.version,
      cutoff: record.params.cutoff,
      horizonDays: record.params.horizonDays,
      auc: record.metrics.auc,
    },
  });
  return ok(record);
};

export const listChurnModelsAs = async (ctx: ScoresContext, actor: Actor): Outcome<ChurnModelRecord[]> => {
  const no = refusal(actor, 'scores.read');
  if (no) return err(no);
  return ok(await listChurnModels(ctx, actor.workspaceId));
};

export const scoreChurnRiskAs = async (
  ctx: ScoresContext,
  actor: Actor,
  o: { modelId?: string; levels?: RiskLevels },
): Outcome<ChurnScoringRun> => {
  const no = refusal(actor, 'churn_model.score');
  if (no) return err(no);
  if (o.levels) {
    const bad = checkLevels(o.levels);
    if (bad) return err({ type: 'invalid', message: bad, errors: [{ path: 'levels', message: bad }] });
  }
  let run: ChurnScoringRun;
  try {
    run = await scoreChurnRisk(ctx, { ...o, workspaceId: actor.workspaceId });
  } catch (e) {
    if (e instanceof ChurnModelMissing && o.modelId !== undefined)
      return err(notFound(`churn model '${o.modelId}'`));
    const f = dataProblem(e);
    if (f) return err(f);
    throw e;
  }
  await appendAudit(ctx.control, {
    workspaceId: actor.workspaceId,
    at: ctx.clock(),
    actorId: actor.userId,
    action: 'churn_model.score',
    objectType: 'churn_model',
    objectId: run.modelId,
    details: { version: run.modelVersion, asOf: run.asOf, users: run.users, levels: run.levels },
  });
  return ok(run);
};

export const activateChurnModelAs = async (
  ctx: ScoresContext,
  actor: Actor,
  modelId: string,
): Outcome<ChurnModelRecord> => {
  const no = refusal(actor, 'churn_model.activate');
  if (no) return err(no);
  const before = (await listChurnModelRows(ctx.control, actor.workspaceId)).find((m) => m.active);
  const row = await activateChurnModelRow(ctx.control, actor.workspaceId, modelId);
  if (row === null) return err(notFound(`churn model '${modelId}'`));
  await appendAudit(ctx.control, {
    workspaceId: actor.workspaceId,
    at: ctx.clock(),
    actorId: actor.userId,
    action: 'churn_model.activate',
    objectType: 'churn_model',
    objectId: row.id,
    details: { version: row.version, previous: before ? { id: before.id, version: before.version } : null },
  });
  return ok(recordOf(row));
};

/** A user's risk with each reason also as a sentence in both console languages. */
export type UserChurnRiskInWords = Omit<UserChurnRisk, 'reasons'> & {
  reasons: (UserChurnRisk['reasons'][number] & { text: ReasonTexts })[];
  /** Why there is no score (null when there is one). */
  notScored: NotScored | null;
};

export const userChurnRiskAs = async (
  ctx: ScoresContext,
  actor: Actor,
  userId: string,
): Outcome<UserChurnRiskInWords> => {
  const no = refusal(actor, 'scores.read');
  if (no) return err(no);
  const risk = await readUserChurnRisk(ctx.warehouse, userId);
  if (risk === null) return err(notFound(`user '${userId}'`));
  // The model's plan names the events and channels behind feature slugs in the sentences.
  const id = risk.model?.id;
  const params =
    id === undefined
      ? undefined
      : (await listChurnModelRows(ctx.control, actor.workspaceId)).find((r) => r.id === id)?.params;
  const plan = (params as ChurnModelParams | undefined)?.features;
  return ok({
    ...risk,
    reasons: risk.reasons.map((r) => ({ ...r, text: reasonTexts(r, plan) })),
    notScored: risk.score === null ? await whyNotScored(ctx, actor.workspaceId) : null,
  });
};

const whyNotScored = async (ctx: ScoresContext, workspaceId: string): Promise<NotScored> => {
  const active = (await listChurnModelRows(ctx.control, workspaceId)).find((r) => r.active);
  if (active === undefined) return notScoredReason({ activeModel: null });
  const lastRunModel = await latestChurnRiskRunModel(ctx.warehouse);
  return notScoredReason({
    activeModel: {
      definition: (active.params as ChurnModelParams).definition,
      scoredSince: lastRunModel === active.id,
    },
  });
};
