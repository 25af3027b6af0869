import type { Clock } from '../clock.ts';
import { gather, selectRows } from '../models/churn/matrix.ts';
import { err, ok, type Result } from '../result.ts';
import type { Interval } from '../stats/proportions.ts';
import { qiniCurvePoints, randomLine, type CurvePoint } from './curves.ts';
import { DECILE_INTERVAL_METHOD, DECILE_TIE_RULE, upliftByDecile, type DecileRow } from './deciles.ts';
import {
  armDifference,
  defaultLearners,
  type ArmProbabilities,
  type LearnerId,
  type UpliftLearner,
  type UpliftRows,
} from './learners.ts';
import { bootstrapQini, differenceInterval, qiniCoefficient, qiniCurve, rankByScore } from './qini.ts';
import {
  assignSegments,
  defaultSegmentThresholds,
  SEGMENT_RULE,
  type SegmentCounts,
  type SegmentThresholds,
} from './segments.ts';
import { stratifiedSplit } from './split.ts';

/**
 * `rekindle uplift evaluate`'s core (features.md B9, issue 21): split a randomised test's rows
 * in two (stratified by treatment × outcome, seeded); on the training half, fit our learners on
 * two thirds and choose the one with the best Qini coefficient on the other third, then refit
 * every learner and baseline on the whole training half; on the test half, report each one's
 * Qini coefficient with a bootstrap interval. The test half is never seen by the choice, so the
 * chosen model's figure there is not flattered by having been picked.
 */

/** The least data an evaluation is attempted on, per arm. */
export interface UpliftMinimum {
  readonly rowsPerArm: number;
  readonly outcomesPerArm: number;
  readonly nonOutcomesPerArm: number;
}

/**
 * Below these, the test half holds about 100 users per arm and 20 outcomes, where a Qini
 * interval spans far more than any plausible uplift: saying "not enough data" is more useful
 * than a figure that is all noise.
 */
export const MIN_UPLIFT_DATA: UpliftMinimum = { rowsPerArm: 200, outcomesPerArm: 40, nonOutcomesPerArm: 40 };

export interface ArmCounts {
  readonly rows: number;
  readonly outcomes: number;
}

export interface NotEnoughData {
  readonly kind: 'not-enough-data';
  readonly treated: ArmCounts;
  readonly control: ArmCounts;
  readonly minimum: UpliftMinimum;
  /** Each shortfall in words, e.g. "control: 31 rows with the outcome, 40 needed (9 more)". */
  readonly missing: readonly string[];
}

export interface LearnerResult {
  readonly id: LearnerId;
  readonly label: string;
  readonly baseline: boolean;
  /** Qini coefficient on the selection third of the training half (baselines: not measured). */
  readonly selectionQini: number | null;
  /** Qini coefficient on the test half, and its bootstrap interval. */
  readonly qini: number;
  readonly interval: Interval;
  /** Fitting on the whole training half and scoring the test half, by the injected stopwatch. */
  readonly fitMs: number;
  /** Q(k) per treated user at each tenth of the ranked test users. */
  readonly curve: readonly { x: number; q: number }[];
}

export interface UpliftEvaluation {
  readonly kind: 'evaluated';
  readonly seed: number;
  readonly treated: ArmCounts;
  readonly control: ArmCounts;
  /** Outcome rates of both arms over all rows, and their difference (the average uplift). */
  readonly averageUplift: {
    readonly treatedRate: number;
    readonly controlRate: number;
    readonly difference: number;
  };
  readonly split: {
    readonly train: { readonly treated: number; readonly control: number };
    readonly test: { readonly treated: number; readonly control: number };
  };
  readonly learners: readonly LearnerResult[];
  readonly chosen: LearnerId;
  /** Paired bootstrap intervals of chosen − baseline on the test half. */
  readonly versus: {
    readonly responseModel: { readonly difference: number; readonly interval: Interval };
    readonly random: { readonly difference: number; readonly interval: Interval };
  };
  /** Whether the chosen model's Qini interval on the test half lies wholly above 0 (see SIGNIFICANCE_RULE). */
  readonly significant: boolean;
  readonly bootstrap: { readonly resamples: number; readonly level: number; readonly seed: number };
  /** The chosen model's uplift by decile of its score on the test half (deciles.ts). */
  readonly deciles: {
    readonly learner: LearnerId;
    readonly level: number;
    readonly tieRule: string;
    readonly intervalMethod: string;
    readonly groups: readonly DecileRow[];
  };
  /** Every learner's Qini curve on the test half, at most 101 points (curves.ts), and random's expected line. */
  readonly qiniCurves: {
    readonly learners: readonly { readonly id: LearnerId; readonly points: readonly CurvePoint[] }[];
    readonly randomLine: readonly CurvePoint[];
  };
  /** The test half's users by segment (segments.ts). */
  readonly segments: UpliftSegments;
}

export interface UpliftSegments {
  /** The two-model learner the probabilities come from: the chosen one when it is two-model; null when none was fitted. */
  readonly model: LearnerId | null;
  readonly thresholds: SegmentThresholds;
  /** False: every user is "not-ranked" (`reason` says why). */
  readonly ranked: boolean;
  readonly reason: string;
  readonly counts: SegmentCounts;
  readonly rule: string;
}

export const SIGNIFICANCE_RULE =
  "significant when the lower end of the chosen model's bootstrap interval (test half) is above 0, the Qini coefficient random targeting has on average";

export interface EvaluateOptions {
  seed?: number;
  learners?: readonly UpliftLearner[];
  /** Share of the rows in the test half (default ½). */
  testShare?: number;
  /** Share of the training half held out to choose the model (default ⅓). */
  selectionShare?: number;
  resamples?: number;
  level?: number;
  minimum?: UpliftMinimum;
  /** Monotonic ms for fit times (the shell's performance.now); none: 0. */
  stopwatch?: Clock;
}

const armCounts = (rows: UpliftRows): { treated: ArmCounts; control: ArmCounts } => {
  const n = [0, 0];
  const y = [0, 0];
  for (let i = 0; i < rows.treatment.length; i++) {
    const t = rows.treatment[i] as number;
    n[t] = (n[t] as number) + 1;
    y[t] = (y[t] as number) + (rows.outcome[i] as number);
  }
  return {
    treated: { rows: n[1] as number, outcomes: y[1] as number },
    control: { rows: n[0] as number, outcomes: y[0] as number },
  };
};

/** The shortfalls against the minimum, in words; empty when there is enough. */
export const shortfalls = (
  counts: { treated: ArmCounts; control: ArmCounts },
  min: UpliftMinimum = MIN_UPLIFT_DATA,
): string[] => {
  const out: string[] = [];
  const check = (arm: string, have: number, need: number, what: string): void => {
    if (have < need) out.push(`${arm}: ${have} ${what}, ${need} needed (${need - have} more)`);
  };
  for (const [arm, c] of [
    ['treated', counts.treated],
    ['control', counts.control],
  ] as const) {
    check(arm, c.rows, min.rowsPerArm, 'rows');
    check(arm, c.outcomes, min.outcomesPerArm, 'rows with the outcome');
    check(arm, c.rows - c.outcomes, min.nonOutcomesPerArm, 'rows without the outcome');
  }
  return out;
};

const subset = (rows: UpliftRows, index: Uint32Array): UpliftRows => ({
  x: selectRows(rows.x, index),
  treatment: gather(rows.treatment, index),
  outcome: gather(rows.outcome, index),
  featureNames: rows.featureNames,
});

const DECILES = Array.from({ length: 10 }, (_, i) => (i + 1) / 10);

export const evaluateUplift = (
  rows: UpliftRows,
  options: EvaluateOptions = {},
): Result<UpliftEvaluation, NotEnoughData> => {
  const seed = options.seed ?? 1;
  const learners = options.learners ?? defaultLearners();
  const minimum = options.minimum ?? MIN_UPLIFT_DATA;
  const stopwatch = options.stopwatch ?? ((): number => 0);
  const counts = armCounts(rows);
  const missing = shortfalls(counts, minimum);
  if (missing.length > 0) return err({ kind: 'not-enough-data', ...counts, minimum, missing });
  const ours = learners.filter((l) => !l.baseline);
  const response = learners.find((l) => l.id === 'response-model');
  const random = learners.find((l) => l.id === 'random');
  if (ours.length === 0 || !response || !random)
    throw new Error('evaluateUplift needs at least one learner of ours, the response model and random');

  const { first: testIdx, second: trainIdx } = stratifiedSplit(
    rows.treatment,
    rows.outcome,
    options.testShare ?? 0.5,
    seed,
  );
  const train = subset(rows, trainIdx);
  const test = subset(rows, testIdx);

  // Choose on a held-out third of the training half, never on the test half.
  const inner = stratifiedSplit(train.treatment, train.outcome, options.selectionShare ?? 1 / 3, seed + 1);
  const fitPart = subset(train, inner.second);
  const selectPart = subset(train, inner.first);
  const selection = new Map<LearnerId, number>();
  for (const l of ours) {
    const score = l.fit(fitPart, seed)(selectPart.x);
    selection.set(
      l.id,
      qiniCoefficient(rankByScore(score), selectPart.treatment, selectPart.outcome).coefficient,
    );
  }
  let chosen = ours[0] as UpliftLearner;
  for (const l of ours)
    if ((selection.get(l.id) as number) > (selection.get(chosen.id) as number)) chosen = l;

  const fitted = learners.map((l) => {
    const t0 = stopwatch();
    // A two-model learner keeps both arms' probabilities for the segments; its score is their difference either way.
    const arms: ArmProbabilities | undefined = l.fitArms ? l.fitArms(train, seed)(test.x) : undefined;
    const score = arms ? armDifference(arms) : l.fit(train, seed)(test.x);
    return { learner: l, score, arms, ranking: rankByScore(score), ms: stopwatch() - t0 };
  });
  const boot = bootstrapQini(
    fitted.map((f) => f.ranking),
    test.treatment,
    test.outcome,
    {
      ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
      ...(options.level !== undefined ? { level: options.level } : {}),
      seed: seed + 2,
    },
  );
  const results: LearnerResult[] = fitted.map((f, j) => {
    const e = boot.estimates[j] as { coefficient: number; interval: Interval };
    return {
      id: f.learner.id,
      label: f.learner.label,
      baseline: f.learner.baseline,
      selectionQini: selection.get(f.learner.id) ?? null,
      qini: e.coefficient,
      interval: e.interval,
      fitMs: f.ms,
      curve: qiniCurve(f.ranking, test.treatment, test.outcome, DECILES),
    };
  });
  const at = (l: UpliftLearner): number => learners.indexOf(l);
  const versus = (other: UpliftLearner) => ({
    difference: (results[at(chosen)] as LearnerResult).qini - (results[at(other)] as LearnerResult).qini,
    interval: differenceInterval(boot, at(chosen), at(other)),
  });
  const testCounts = armCounts(test);
  const trainCounts = armCounts(train);
  const rate = (c: ArmCounts): number => c.outcomes / c.rows;
  const chosenResult = results[at(chosen)] as LearnerResult;
  const significant = chosenResult.interval.low > 0;
  const chosenFit = fitted[at(chosen)] as (typeof fitted)[number];
  const level = options.level ?? 0.95;

  // Segments come from a two-model prediction: the chosen learner's when it is one, else the
  // first two-model learner fitted. They are ranked only when the chosen model beats random
  // beyond noise and so does the model they come from.
  const segmentFit = chosenFit.arms
    ? chosenFit
    : fitted.find((f) => f.arms !== undefined && !f.learner.baseline);
  const thresholds = defaultSegmentThresholds(trainCounts.treated, trainCounts.control);
  const segmentResult = segmentFit ? (results[fitted.indexOf(segmentFit)] as LearnerResult) : undefined;
  const ranked = significant && segmentResult !== undefined && segmentResult.interval.low > 0;
  const reason = !significant
    ? 'the test shows no uplift the chosen model can rank beyond noise'
    : !segmentResult
      ? 'no two-model learner was fitted, so there are no per-arm probabilities'
      : !ranked
        ? `${segmentResult.label} does not beat random targeting beyond noise`
        : segmentFit === chosenFit
          ? 'the chosen model beats random targeting beyond noise (its Qini interval is above 0)'
          : `the chosen model and ${segmentResult.label}, which gives the probabilities, both beat random targeting beyond noise`;
  const arms = segmentFit?.arms;
  const segmentCounts = arms
    ? assignSegments(arms.treated, arms.control, thresholds, ranked).counts
    : assignSegments(
        new Float64Array(test.treatment.length),
        new Float64Array(test.treatment.length),
        thresholds,
        false,
      ).counts;
  const curves = fitted.map((f) => ({
    id: f.learner.id,
    points: qiniCurvePoints(f.ranking, test.treatment, test.outcome),
  }));
  return ok({
    kind: 'evaluated',
    seed,
    ...counts,
    averageUplift: {
      treatedRate: rate(counts.treated),
      controlRate: rate(counts.control),
      difference: rate(counts.treated) - rate(counts.control),
    },
    split: {
      train: { treated: trainCounts.treated.rows, control: trainCounts.control.rows },
      test: { treated: testCounts.treated.rows, control: testCounts.control.rows },
    },
    learners: results,
    chosen: chosen.id,
    versus: { responseModel: versus(response), random: versus(random) },
    significant,
    bootstrap: { resamples: boot.resamples, level: boot.level, seed: boot.seed },
    deciles: {
      learner: chosen.id,
      level,
      tieRule: DECILE_TIE_RULE,
      intervalMethod: DECILE_INTERVAL_METHOD,
      groups: upliftByDecile(chosenFit.ranking, test.treatment, test.outcome, chosenFit.score, { level }),
    },
    qiniCurves: { learners: curves, randomLine: randomLine((curves[0] as (typeof curves)[number]).points) },
    segments: {
      model: segmentFit ? segmentFit.learner.id : null,
      thresholds,
      ranked,
      reason,
      counts: segmentCounts,
      rule: SEGMENT_RULE,
    },
  });
};
