import type { Clock } from '../../clock.ts';
import { Rng } from '../../demo/prng.ts';
import { binCount, binMatrix, fitBinEdges, MAX_BINS } from './binning.ts';
import { SerialHistograms, type HistogramEngine } from './histogram.ts';
import { TreeGrower, type GrownTree } from './grow-tree.ts';
import { gather, selectRows, type FeatureMatrix } from './matrix.ts';
import { logLossFromMargins } from './metrics/scoring-rules.ts';
import { sigmoid, logit } from './sigmoid.ts';
import type { Tree } from './tree.ts';

/** Hyper-parameters of gradient-boosted trees for binary log-loss. */
export interface GbdtParams {
  learningRate: number;
  /** Most boosting rounds (trees). */
  maxRounds: number;
  /** Leaves per tree; trees grow leaf-wise, best split first. */
  maxLeaves: number;
  /** Depth limit (root = 0); 0 for none. */
  maxDepth: number;
  /** Least hessian sum in a leaf. */
  minChildWeight: number;
  /** Least training rows in a leaf (at least 1). */
  minSamplesLeaf: number;
  /** L2 regularisation of leaf values. */
  lambda: number;
  /** Least gain for a split. */
  minSplitGain: number;
  /** Share of rows each tree is fitted on (drawn anew every round with the seeded generator). */
  subsample: number;
  /** Bins per feature, at most 255. */
  maxBins: number;
  /** Rows sampled to place the bin edges. */
  binSample: number;
  /** Stop when the validation log-loss has not improved for this many rounds (0: never). */
  earlyStoppingRounds: number;
  /** Share of the rows held out for early stopping when no validation set is given (0: none). */
  validationFraction: number;
  seed: number;
}

export const DEFAULT_GBDT_PARAMS: Readonly<GbdtParams> = {
  learningRate: 0.1,
  maxRounds: 500,
  maxLeaves: 15,
  maxDepth: 6,
  minChildWeight: 1e-3,
  minSamplesLeaf: 40,
  lambda: 1,
  minSplitGain: 0,
  subsample: 0.8,
  maxBins: MAX_BINS,
  binSample: 200_000,
  earlyStoppingRounds: 20,
  validationFraction: 0.2,
  seed: 1,
};

/** A trained model: the log-odds are `baseScore` plus the sum of every tree's leaf. */
export interface GbdtModel {
  readonly featureNames: readonly string[];
  readonly baseScore: number;
  readonly trees: readonly Tree[];
  readonly params: Readonly<GbdtParams>;
}

export interface GbdtTraining {
  model: GbdtModel;
  /** Trees grown before stopping (the model keeps the best `model.trees.length` of them). */
  rounds: number;
  /** Validation log-loss after each round (empty without a validation set). */
  validationLoss: Float64Array;
  /** The validation rows (indices into the training input when they were held out from it), and their log-odds under the kept model. */
  validation?: { rows?: Uint32Array; y: Uint8Array; margin: Float64Array };
  /** Log-odds of the training rows (those not held out) after every round run, as tracked while boosting. */
  trainingMargin: Float64Array;
  /** Seconds spent binning and boosting, by the `stopwatch` given (0 without one). */
  seconds: { binning: number; boosting: number };
}

export const resolveGbdtParams = (p: Partial<GbdtParams> = {}): GbdtParams => {
  const r = { ...DEFAULT_GBDT_PARAMS, ...p };
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`invalid GBDT parameter: ${what}`);
  };
  check(r.learningRate > 0 && r.learningRate <= 1, `learningRate ${r.learningRate} not in (0, 1]`);
  check(Number.isInteger(r.maxRounds) && r.maxRounds >= 1, `maxRounds ${r.maxRounds}`);
  check(Number.isInteger(r.maxLeaves) && r.maxLeaves >= 2, `maxLeaves ${r.maxLeaves} < 2`);
  check(Number.isInteger(r.maxDepth), `maxDepth ${r.maxDepth}`);
  check(r.minChildWeight >= 0, `minChildWeight ${r.minChildWeight} < 0`);
  check(
    Number.isInteger(r.minSamplesLeaf) && r.minSamplesLeaf >= 1,
    `minSamplesLeaf ${r.minSamplesLeaf} < 1`,
  );
  check(r.lambda >= 0, `lambda ${r.lambda} < 0`);
  check(r.minSplitGain >= 0, `minSplitGain ${r.minSplitGain} < 0`);
  check(r.subsample > 0 && r.subsample <= 1, `subsample ${r.subsample} not in (0, 1]`);
  check(Number.isInteger(r.maxBins) && r.maxBins >= 2 && r.maxBins <= MAX_BINS, `maxBins ${r.maxBins}`);
  check(r.binSample >= 1, `binSample ${r.binSample}`);
  check(Number.isInteger(r.earlyStoppingRounds) && r.earlyStoppingRounds >= 0, `earlyStoppingRounds`);
  check(r.validationFraction >= 0 && r.validationFraction < 1, `validationFraction ${r.validationFraction}`);
  check(Number.isInteger(r.seed), `seed ${r.seed}`);
  return r;
};

/** A seeded random split of `n` rows into a training part and a held-out part of about `fraction`. */
export const holdOut = (
  n: number,
  fraction: number,
  seed: number,
): { train: Uint32Array; held: Uint32Array } => {
  const rng = new Rng(seed, 0x0f01d);
  const held: number[] = [];
  const train: number[] = [];
  for (let i = 0; i < n; i++) (rng.next() < fraction ? held : train).push(i);
  return { train: Uint32Array.from(train), held: Uint32Array.from(held) };
};

/** Adds a tree's output to the log-odds of binned rows (row-major, `d` columns); only rows with `skip[i] === 0` when given. */
const addBinned = (
  g: GrownTree,
  bins: Uint8Array,
  d: number,
  margin: Float64Array,
  skip?: Uint8Array,
): void => {
  const { feature, left, right, value } = g.tree;
  const tb = g.thresholdBin;
  const n = margin.length;
  for (let i = 0, base = 0; i < n; i++, base += d) {
    if (skip && skip[i] === 1) continue;
    let node = 0;
    let f = feature[0] as number;
    while (f >= 0) {
      node =
        (bins[base + f] as number) <= (tb[node] as number) ? (left[node] as number) : (right[node] as number);
      f = feature[node] as number;
    }
    margin[i] = (margin[i] as number) + (value[node] as number);
  }
};

/**
 * Adds a new tree's output to the training log-odds: the rows it was grown on are already
 * grouped by leaf, so only the rows left out of the round's sample walk the tree.
 */
const addToTraining = (
  g: GrownTree,
  rows: Uint32Array,
  sampled: number,
  inSample: Uint8Array,
  bins: Uint8Array,
  d: number,
  margin: Float64Array,
): void => {
  const value = g.tree.value;
  for (let i = 0; i < g.leafNode.length; i++) {
    const v = value[g.leafNode[i] as number] as number;
    for (let k = g.leafStart[i] as number; k < (g.leafEnd[i] as number); k++) {
      const r = rows[k] as number;
      margin[r] = (margin[r] as number) + v;
    }
  }
  if (sampled < margin.length) addBinned(g, bins, d, margin, inSample);
};

const checkLabels = (y: Uint8Array, rows: number, what: string): void => {
  if (y.length !== rows) throw new Error(`${what}: ${y.length} labels for ${rows} rows`);
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`${what}: label ${i} is ${y[i]}, not 0 or 1`);
  }
};

/**
 * Gradient boosting for binary log-loss: every round fits a leaf-wise tree to the gradients
 * g = p − y and hessians h = p(1 − p) on a seeded subsample of rows, using histograms of
 * pre-binned features; leaf values are −G/(H + λ) times the learning rate. With a validation
 * set (given, or held out by `validationFraction`), training stops once the validation
 * log-loss has not improved for `earlyStoppingRounds` rounds and keeps the best prefix of
 * trees. Deterministic for a given input and seed.
 */
export const trainGbdt = (
  x: FeatureMatrix,
  y: Uint8Array,
  options: {
    featureNames: readonly string[];
    params?: Partial<GbdtParams>;
    validation?: { x: FeatureMatrix; y: Uint8Array };
    /** Who builds histograms (default: this thread). A threaded engine gives the same model. */
    engine?: HistogramEngine;
    /** A monotonic clock in ms (the shell's `performance.now`) for `seconds`; the core reads none. */
    stopwatch?: Clock;
  },
): GbdtTraining => {
  const params = resolveGbdtParams(options.params);
  if (options.featureNames.length !== x.cols) {
    throw new Error(`${options.featureNames.length} feature names for ${x.cols} columns`);
  }
  checkLabels(y, x.rows, 'training set');
  let trainX = x;
  let trainY = y;
  let validation = options.validation;
  let heldRows: Uint32Array | undefined;
  if (!validation && params.earlyStoppingRounds > 0 && params.validationFraction > 0) {
    const split = holdOut(x.rows, params.validationFraction, params.seed);
    if (split.held.length > 0 && split.train.length > 0) {
      trainX = selectRows(x, split.train);
      trainY = gather(y, split.train);
      validation = { x: selectRows(x, split.held), y: gather(y, split.held) };
      heldRows = split.held;
    }
  }
  if (validation) {
    if (validation.x.cols !== x.cols)
      throw new Error(`validation set has ${validation.x.cols} columns, not ${x.cols}`);
    checkLabels(validation.y, validation.x.rows, 'validation set');
  }
  const n = trainX.rows;
  const d = trainX.cols;
  if (n === 0) throw new Error('no training rows');

  const stopwatch = options.stopwatch ?? ((): number => 0);
  const t0 = stopwatch();
  const rng = new Rng(params.seed, 0x6b0057);
  let binSample: Uint32Array | undefined;
  if (n > params.binSample) {
    // Evenly spaced rows with a random start: deterministic and spread over the whole input.
    binSample = new Uint32Array(params.binSample);
    const step = n / params.binSample;
    const offset = rng.next() * step;
    for (let k = 0; k < params.binSample; k++) binSample[k] = Math.min(n - 1, Math.floor(offset + k * step));
  }
  const edges = fitBinEdges(trainX, params.maxBins, binSample);
  const engine = options.engine ?? new SerialHistograms();
  const bins = binMatrix(trainX, edges, undefined, engine.allocateBytes(n * d));
  const vBins = validation ? binMatrix(validation.x, edges) : undefined;
  const binsPerFeature = Uint16Array.from(edges, binCount);
  const t1 = stopwatch();

  let positives = 0;
  for (let i = 0; i < n; i++) positives += trainY[i] as number;
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, positives / n));
  const baseScore = logit(rate);
  const margin = new Float64Array(n).fill(baseScore);
  const vMargin = validation ? new Float64Array(validation.x.rows).fill(baseScore) : undefined;
  const bestMargin = vMargin ? vMargin.slice() : undefined;
  const grad = engine.allocateDoubles(n);
  const hess = engine.allocateDoubles(n);
  const rows = engine.allocateIndices(n);
  const inSample = new Uint8Array(n);
  const data = { bins, d, grad, hess, rows };
  const grower = new TreeGrower(data, engine, edges, binsPerFeature, params);
  engine.attach(data);
  const trees: Tree[] = [];
  const losses: number[] = [];
  let best = Infinity;
  let bestRounds = 0;
  let rounds = 0;

  try {
    for (let round = 0; round < params.maxRounds; round++) {
      for (let i = 0; i < n; i++) {
        const p = sigmoid(margin[i] as number);
        grad[i] = p - (trainY[i] as number);
        hess[i] = Math.max(p * (1 - p), 1e-16);
      }
      let m = 0;
      if (params.subsample < 1) {
        for (let i = 0; i < n; i++) {
          const take = rng.next() < params.subsample ? 1 : 0;
          inSample[i] = take;
          if (take === 1) rows[m++] = i;
        }
      }
      if (m === 0) {
        for (let i = 0; i < n; i++) rows[i] = i;
        inSample.fill(1);
        m = n;
      }
      const grown = grower.grow(m);
      if (grown.tree.feature.length === 1 && params.subsample === 1) break; // nothing left to split
      rounds++;
      trees.push(grown.tree);
      addToTraining(grown, rows, m, inSample, bins, d, margin);
      if (validation && vBins && vMargin && bestMargin) {
        addBinned(grown, vBins, d, vMargin);
        const loss = logLossFromMargins(vMargin, validation.y);
        losses.push(loss);
        if (loss < best - 1e-12) {
          best = loss;
          bestRounds = trees.length;
          bestMargin.set(vMargin);
        } else if (params.earlyStoppingRounds > 0 && trees.length - bestRounds >= params.earlyStoppingRounds)
          break;
      } else bestRounds = trees.length;
    }
  } finally {
    engine.detach();
  }
  const t2 = stopwatch();
  const model: GbdtModel = {
    featureNames: [...options.featureNames],
    baseScore,
    trees: trees.slice(0, bestRounds),
    params,
  };
  return {
    model,
    rounds,
    validationLoss: Float64Array.from(losses),
    trainingMargin: margin,
    ...(validation && bestMargin
      ? { validation: { ...(heldRows ? { rows: heldRows } : {}), y: validation.y, margin: bestMargin } }
      : {}),
    seconds: { binning: (t1 - t0) / 1000, boosting: (t2 - t1) / 1000 },
  };
};
