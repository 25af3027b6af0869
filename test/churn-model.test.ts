import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runChurnEvaluate } from '../src/cli/commands/churn.ts';
import { Rng } from '../src/core/demo/prng.ts';
import type { EventRow, IdentifyRow } from '../src/core/events/rows.ts';
import { binOf, fitFeatureEdges } from '../src/core/models/churn/binning.ts';
import { temporalSplit } from '../src/core/models/churn/churn-definition.ts';
import { trainGbdt, type GbdtModel } from '../src/core/models/churn/gbdt.ts';
import { logisticProbability, trainLogistic } from '../src/core/models/churn/logistic.ts';
import { featureMatrix, fromRows, type FeatureMatrix } from '../src/core/models/churn/matrix.ts';
import { calibrationTable } from '../src/core/models/churn/metrics/calibration.ts';
import { averagePrecision, rocAuc } from '../src/core/models/churn/metrics/ranking.ts';
import { brierScore, logLoss } from '../src/core/models/churn/metrics/scoring-rules.ts';
import { atThreshold, chooseThreshold } from '../src/core/models/churn/metrics/threshold.ts';
import { deserializeGbdt, serializeGbdt } from '../src/core/models/churn/model-json.ts';
import { predictMargin, predictMarginWalk, predictProbability } from '../src/core/models/churn/predict.ts';
import { topReasons } from '../src/core/models/churn/reasons.ts';
import { saabasContributions, topSaabasReasons } from '../src/core/models/churn/saabas.ts';
import type { Tree } from '../src/core/models/churn/tree.ts';
import { expectedMargin, shapContributions } from '../src/core/models/churn/tree-shap.ts';
import { extractFeatures, planFeatures } from '../src/storage/warehouse/churn-features.ts';
import { ParallelHistograms } from '../src/models/churn/parallel-histograms.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { cdnowDir } from './support/shared-data.ts';
import { tempDir } from './support/tmp.ts';
import { DAY_MS } from '../src/core/time/units.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/rekindle.js', import.meta.url));
const CDNOW = join(cdnowDir(), 'CDNOW_master.txt');
const tmp = tempDir('rekindle-churn-');
afterAll(() => tmp.cleanup());

const f64 = (xs: readonly number[]) => Float64Array.from(xs);
const u8 = (xs: readonly number[]) => Uint8Array.from(xs);

/** Mann–Whitney by definition: P(score of a positive > score of a negative) + ½ P(equal). */
const bruteForceAuc = (s: Float64Array, y: Uint8Array): number => {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < s.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < s.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      const a = s[i] as number;
      const b = s[j] as number;
      wins += a > b ? 1 : a === b ? 0.5 : 0;
    }
  }
  return wins / pairs;
};

describe('metrics', () => {
  it('ROC AUC: perfect, reversed, all tied, a hand-computed case', () => {
    const y = u8([0, 0, 1, 1]);
    expect(rocAuc(f64([0.1, 0.2, 0.3, 0.4]), y)).toBe(1);
    expect(rocAuc(f64([0.4, 0.3, 0.2, 0.1]), y)).toBe(0);
    expect(rocAuc(f64([0.5, 0.5, 0.5, 0.5]), y)).toBe(0.5);
    // Pairs (pos, neg): (0.35, 0.1) win, (0.35, 0.4) loss, (0.8, ·) two wins → 3/4.
    expect(rocAuc(f64([0.1, 0.4, 0.35, 0.8]), y)).toBe(0.75);
    // A tie between a positive and a negative counts one half: (0.4 vs 0.4) ½ + 3 wins → 3.5/4.
    expect(rocAuc(f64([0.1, 0.4, 0.4, 0.8]), y)).toBe(0.875);
    expect(rocAuc(f64([0.1, 0.2]), u8([1, 1]))).toBeNaN();
  });

  it('ROC AUC equals the Mann–Whitney statistic computed pair by pair (random data with ties)', () => {
    const rng = new Rng(7, 1);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + rng.int(150);
      const s = new Float64Array(n).map(() => Math.round(rng.next() * 20) / 20); // many ties
      const y = new Uint8Array(n).map((_, i) => (rng.next() < 0.2 + 0.6 * (s[i] as number) ? 1 : 0));
      expect(rocAuc(s, y)).toBeCloseTo(bruteForceAuc(s, y), 12);
    }
  });

  it('average precision: scikit-learn example, perfect ranking, ties enter together', () => {
    // sklearn.metrics.average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333…
    expect(averagePrecision(f64([0.1, 0.4, 0.35, 0.8]), u8([0, 0, 1, 1]))).toBeCloseTo(5 / 6, 12);
    expect(averagePrecision(f64([0.1, 0.2, 0.9, 0.8]), u8([0, 0, 1, 1]))).toBe(1);
    // All tied: one threshold, recall 0 → 1 at precision 2/4.
    expect(averagePrecision(f64([0.3, 0.3, 0.3, 0.3]), u8([0, 1, 0, 1]))).toBe(0.5);
  });

  it('precision, recall and F1 at a threshold; threshold choice by F1 and by target recall', () => {
    const s = f64([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]);
    const y = u8([1, 1, 0, 1, 0, 0, 1, 0]);
    const at = atThreshold(s, y, 0.6); // called positive: 0.9 0.8 0.7 0.6 → tp 3, fp 1; positives 4
    expect(at).toMatchObject({ tp: 3, fp: 1, fn: 1, tn: 3, precision: 0.75, recall: 0.75, f1: 0.75 });
    // F1 by threshold: 0.9 → 2/5, 0.8 → 2/3, 0.7 → 4/7, 0.6 → 3/4, 0.5 → 2/3, 0.4 → 0.6, 0.3 → 8/11, 0.2 → 2/3.
    expect(chooseThreshold(s, y, { kind: 'max-f1' }).threshold).toBe(0.6);
    const r = chooseThreshold(s, y, { kind: 'target-recall', recall: 1 });
    expect(r.threshold).toBe(0.3);
    expect(r.recall).toBe(1);
    expect(r.precision).toBeCloseTo(4 / 7, 12);
  });

  it('calibration deciles, log-loss and Brier score by hand', () => {
    const p = new Float64Array(20).map((_, i) => (i + 0.5) / 20);
    const y = new Uint8Array(20).map((_, i) => (i % 2 === 1 ? 1 : 0));
    const table = calibrationTable(p, y, 10);
    expect(table).toHaveLength(10);
    expect(table[0]).toEqual({
      count: 2,
      minPredicted: 0.025,
      maxPredicted: 0.075,
      meanPredicted: 0.05,
      observedRate: 0.5,
    });
    expect(table[9]?.meanPredicted).toBeCloseTo(0.95, 12);
    expect(table.reduce((s, b) => s + b.count, 0)).toBe(20);

    expect(logLoss(f64([0.8, 0.4]), u8([1, 0]))).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 12);
    expect(brierScore(f64([0.8, 0.4]), u8([1, 0]))).toBeCloseTo((0.04 + 0.16) / 2, 12);
    expect(logLoss(f64([1]), u8([0]))).toBe(-Math.log(1 - (1 - 1e-15))); // clipped, finite
  });
});

/** XOR-like data: y = [x0 · x1 > 0] with 10 % of labels flipped, plus three noise features. */
const xorData = (n: number, seed: number): { x: FeatureMatrix; y: Uint8Array } => {
  const rng = new Rng(seed, 3);
  const x = featureMatrix(n, 5);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 5; j++) x.values[i * 5 + j] = rng.range(-1, 1);
    const a = x.values[i * 5] as number;
    const b = x.values[i * 5 + 1] as number;
    const clean = a * b > 0 ? 1 : 0;
    y[i] = rng.chance(0.1) ? 1 - clean : clean;
  }
  return { x, y };
};
const XOR_NAMES = ['a', 'b', 'noise1', 'noise2', 'noise3'];

describe('gradient-boosted trees', () => {
  const train = xorData(4000, 1);
  const test = xorData(2000, 2);
  const fit = trainGbdt(train.x, train.y, { featureNames: XOR_NAMES, params: { seed: 5 } });

  it('learns an XOR interaction that logistic regression cannot', () => {
    const gbdtAuc = rocAuc(predictProbability(fit.model, test.x), test.y);
    const lr = trainLogistic(train.x, train.y, { featureNames: XOR_NAMES });
    const lrAuc = rocAuc(logisticProbability(lr, test.x), test.y);
    expect(gbdtAuc).toBeGreaterThan(0.85); // the Bayes rate caps it near 0.9
    expect(lrAuc).toBeLessThan(0.6);
    expect(gbdtAuc).toBeGreaterThan(lrAuc + 0.25);
    expect(fit.model.trees.length).toBeGreaterThan(5);
    expect(fit.validationLoss.length).toBe(fit.rounds);
  });

  it('serialises to versioned JSON and reloads with bit-identical predictions', () => {
    const text = serializeGbdt(fit.model);
    const doc = JSON.parse(text) as { format: string; version: number };
    expect(doc.format).toBe('rekindle-churn-gbdt');
    expect(doc.version).toBe(1);
    const back = deserializeGbdt(text);
    if (!back.ok) throw new Error(back.error);
    expect(predictMargin(back.value, test.x)).toEqual(predictMargin(fit.model, test.x));
    // The compiled scorer adds the same numbers in the same order as the node-array walker.
    expect(predictMargin(fit.model, test.x)).toEqual(predictMarginWalk(fit.model, test.x));
    expect(serializeGbdt(back.value)).toBe(text);

    expect(deserializeGbdt(text.replace('"version":1', '"version":2'))).toEqual({
      ok: false,
      error: 'version 2 is not supported (this build reads 1)',
    });
    const broken = JSON.parse(text) as { trees: { left: number[] }[] };
    (broken.trees[0] as { left: number[] }).left[0] = 0;
    const bad = deserializeGbdt(broken);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^trees\[0\] node 0 has children 0, \d+ out of order$/);
  });

  it('is deterministic for a seed, and the seed matters when rows are subsampled', () => {
    const again = trainGbdt(train.x, train.y, { featureNames: XOR_NAMES, params: { seed: 5 } });
    expect(serializeGbdt(again.model)).toBe(serializeGbdt(fit.model));
    const other = trainGbdt(train.x, train.y, { featureNames: XOR_NAMES, params: { seed: 6 } });
    expect(serializeGbdt(other.model)).not.toBe(serializeGbdt(fit.model));
  });

  it('tracks the training log-odds while boosting exactly as the finished model predicts them', () => {
    for (const subsample of [1, 0.6]) {
      const all = trainGbdt(train.x, train.y, {
        featureNames: XOR_NAMES,
        params: { subsample, maxRounds: 15, earlyStoppingRounds: 0, validationFraction: 0 },
      });
      expect(all.model.trees).toHaveLength(15);
      expect(all.trainingMargin).toEqual(predictMargin(all.model, train.x));
    }
  });

  it('builds the same model when a worker thread shares the histograms', async () => {
    const big = xorData(80_000, 21); // nodes of 32 768 rows and more are cut in two halves
    const params = { maxRounds: 8, earlyStoppingRounds: 0, validationFraction: 0 };
    const serial = trainGbdt(big.x, big.y, { featureNames: XOR_NAMES, params });
    const engine = await ParallelHistograms.start();
    expect(engine).toBeDefined();
    try {
      const threaded = trainGbdt(big.x, big.y, { featureNames: XOR_NAMES, params, engine });
      expect(serializeGbdt(threaded.model)).toBe(serializeGbdt(serial.model));
      const again = trainGbdt(big.x, big.y, {
        featureNames: XOR_NAMES,
        params: { ...params, seed: 9 },
        engine,
      });
      expect(again.model.trees).toHaveLength(8);
    } finally {
      await engine?.close();
    }
  });

  it('respects the depth, leaf and leaf-size limits', () => {
    const small = trainGbdt(train.x, train.y, {
      featureNames: XOR_NAMES,
      params: {
        maxLeaves: 4,
        maxDepth: 2,
        minSamplesLeaf: 100,
        maxRounds: 10,
        earlyStoppingRounds: 0,
        subsample: 1,
      },
    });
    expect(small.model.trees).toHaveLength(10);
    for (const t of small.model.trees) {
      const leaves = t.feature.filter((f) => f < 0).length;
      expect(leaves).toBeLessThanOrEqual(4);
      for (let i = 0; i < t.feature.length; i++)
        if ((t.feature[i] as number) < 0) expect(t.cover[i]).toBeGreaterThan(80);
    }
  });

  it('sends missing values (NaN) the same way in training and prediction', () => {
    // y depends only on whether x is missing; the trees must find it and apply it to raw NaN.
    const n = 2000;
    const rng = new Rng(3, 3);
    const x = featureMatrix(n, 1);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const missing = rng.chance(0.3);
      x.values[i] = missing ? NaN : rng.range(0, 100);
      y[i] = missing ? 1 : 0;
    }
    const m = trainGbdt(x, y, { featureNames: ['x'], params: { subsample: 1 } }).model;
    const p = predictProbability(m, fromRows([[NaN], [1e9], [50], [0]]));
    expect(p[0]).toBeGreaterThan(0.9);
    expect(p[2]).toBeLessThan(0.1);
    expect(p[3]).toBeLessThan(0.1);
    // Above every training value shares the missing bin's side of every split.
    expect(p[1]).toBe(p[0]);
  });

  it('bins: one bin per distinct value when few, equal-count bins when many, NaN alone in the last bin', () => {
    const e = fitFeatureEdges(f64([1, 1, 2, 3, NaN]), 255);
    expect(Array.from(e)).toEqual([1.5, 2.5, 3]);
    expect([binOf(e, 1), binOf(e, 2), binOf(e, 3), binOf(e, 4), binOf(e, NaN)]).toEqual([0, 1, 2, 3, 3]);
    const many = fitFeatureEdges(
      new Float64Array(10_000).map((_, i) => i),
      10,
    );
    expect(many.length).toBe(9);
    for (let b = 0; b < 10; b++) expect(binOf(many, b * 1000 + 500)).toBe(b);
  });
});

/** v(S) = E[f(x) | x_S] with the expectation over node covers (the game TreeSHAP solves). */
const conditionalExpectation = (t: Tree, x: Float64Array, known: Set<number>, node = 0): number => {
  const f = t.feature[node] as number;
  if (f < 0) return t.value[node] as number;
  const l = t.left[node] as number;
  const r = t.right[node] as number;
  if (known.has(f)) {
    return conditionalExpectation(t, x, known, (x[f] as number) <= (t.threshold[node] as number) ? l : r);
  }
  const c = t.cover[node] as number;
  return (
    ((t.cover[l] as number) * conditionalExpectation(t, x, known, l) +
      (t.cover[r] as number) * conditionalExpectation(t, x, known, r)) /
    c
  );
};

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

/** Exact Shapley values by enumerating every coalition (2^M of them). */
const bruteForceShap = (model: GbdtModel, x: Float64Array): Float64Array => {
  const m = model.featureNames.length;
  const v = (mask: number) => {
    const known = new Set<number>();
    for (let j = 0; j < m; j++) if (mask & (1 << j)) known.add(j);
    return model.trees.reduce((s, t) => s + conditionalExpectation(t, x, known), model.baseScore);
  };
  const phi = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    for (let mask = 0; mask < 1 << m; mask++) {
      if (mask & (1 << j)) continue;
      let size = 0;
      for (let k = 0; k < m; k++) if (mask & (1 << k)) size++;
      const w = (factorial(size) * factorial(m - size - 1)) / factorial(m);
      phi[j] = (phi[j] as number) + w * (v(mask | (1 << j)) - v(mask));
    }
  }
  return phi;
};

describe('TreeSHAP contributions', () => {
  const train = xorData(3000, 11);
  const model = trainGbdt(train.x, train.y, {
    featureNames: XOR_NAMES,
    params: { maxRounds: 12, earlyStoppingRounds: 0, maxLeaves: 8, maxDepth: 4, seed: 2 },
  }).model;
  const rows = xorData(40, 12).x;

  it('add up to the prediction minus the base value', () => {
    const phi = shapContributions(model, rows);
    const margin = predictMargin(model, rows);
    const base = expectedMargin(model);
    for (let i = 0; i < rows.rows; i++) {
      let s = base;
      for (let j = 0; j < 5; j++) s += phi[i * 5 + j] as number;
      expect(s).toBeCloseTo(margin[i] as number, 10);
    }
  });

  it('equal the exact Shapley values computed by enumerating coalitions', () => {
    const phi = shapContributions(model, rows);
    for (let i = 0; i < 10; i++) {
      const x = rows.values.subarray(i * 5, i * 5 + 5);
      const exact = bruteForceShap(model, x);
      for (let j = 0; j < 5; j++) expect(phi[i * 5 + j]).toBeCloseTo(exact[j] as number, 10);
    }
    // A feature the model never split on gets nothing.
    const used = new Set(model.trees.flatMap((t) => Array.from(t.feature).filter((f) => f >= 0)));
    for (let j = 0; j < 5; j++)
      if (!used.has(j)) for (let i = 0; i < rows.rows; i++) expect(phi[i * 5 + j]).toBe(0);
  });

  it('Saabas path attributions (the fast alternative) add up the same way', () => {
    const phi = saabasContributions(model, rows);
    const margin = predictMargin(model, rows);
    const base = expectedMargin(model);
    for (let i = 0; i < rows.rows; i++) {
      let s = base;
      for (let j = 0; j < 5; j++) s += phi[i * 5 + j] as number;
      expect(s).toBeCloseTo(margin[i] as number, 10);
    }
    // The streaming top-k (used to score millions of users) names the same reasons as the matrix.
    for (const k of [1, 2, 3]) {
      const top = topSaabasReasons(model, rows, k);
      for (let i = 0; i < rows.rows; i++) {
        const expected = topReasons(phi, rows.values, XOR_NAMES, i, k);
        const got = [...top.feature.subarray(i * k, i * k + k)].filter((j) => j >= 0);
        expect(got.map((j) => XOR_NAMES[j])).toEqual(expected.map((r) => r.feature));
        expected.forEach((r, n) => expect(top.contribution[i * k + n]).toBe(r.contribution));
      }
    }
  });

  it('name the top reasons of a user', () => {
    const phi = shapContributions(model, rows);
    const reasons = topReasons(phi, rows.values, XOR_NAMES, 0, 2);
    expect(reasons.length).toBeLessThanOrEqual(2);
    for (const r of reasons) {
      expect(XOR_NAMES).toContain(r.feature);
      expect(r.contribution).toBeGreaterThan(0);
    }
    if (reasons.length === 2)
      expect(reasons[0]!.contribution).toBeGreaterThanOrEqual(reasons[1]!.contribution);
  });
});

describe('features and labels in SQL', () => {
  const C = Date.UTC(2024, 2, 1);
  const day = DAY_MS;
  let n = 0;
  const ev = (userId: string, event: string, ts: number, amount: number | null = null): EventRow => ({
    messageId: `m${n++}`,
    userId,
    anonymousId: null,
    event,
    ts,
    receivedAt: ts,
    amount,
    currency: null,
    productId: null,
    category: null,
    orderId: null,
    platform: null,
    properties: '{}',
    source: 'import',
  });
  const events = [
    ev('u1', 'order', C - 1 * day, 10),
    ev('u1', 'order', C - 10 * day, 20),
    ev('u1', 'order', C - 40 * day, 30),
    ev('u1', 'order', C - 100 * day, 40),
    ev('u1', 'login', C - 2 * day),
    ev('u1', 'login', C - 2 * day + 3_600_000), // same day as the one before
    ev('u1', 'login', C - 35 * day),
    ev('u1', 'order', C, 99), // at the cutoff: not a feature, but keeps u1 retained
    ev('u2', 'login', C - 50 * day),
    ev('u2', 'login', C + 3 * day), // a login is not a retention event here
    ev('u3', 'order', C - 200 * day, 5), // not active in the 90 days: not eligible
    ev('u4', 'order', C + 1 * day, 5), // no history before the cutoff: not eligible
  ];
  const identify: IdentifyRow = {
    messageId: 'i1',
    userId: 'u1',
    ts: C - 120 * day,
    receivedAt: C - 120 * day,
    columns: { register_time: C - 120 * day, acquisition_channel: 'referral' },
    traits: {},
    source: 'import',
  };

  it('computes every feature of a hand-made event set at a cutoff, and the labels after it', async () => {
    const wh = await Warehouse.open(':memory:');
    try {
      await wh.commit({ events, identifies: [identify], rejections: [] });
      const plan = await planFeatures(wh, { cutoff: C });
      const snap = await extractFeatures(wh, plan, {
        cutoff: C,
        population: { activeDays: 90, activityEvents: null },
        label: { horizonDays: 30, retentionEvents: ['order'] },
      });
      expect(snap.userIds).toEqual(['u1', 'u2']);
      expect(Array.from(snap.y as Uint8Array)).toEqual([0, 1]);
      const row = (i: number) =>
        Object.fromEntries(snap.names.map((name, j) => [name, snap.x.values[i * snap.x.cols + j]]));
      const u1 = row(0);
      const u2 = row(1);
      expect(u1).toMatchObject({
        events_7d: 3,
        events_30d: 4,
        events_90d: 6,
        events_total: 7,
        active_days_30d: 3,
        active_days_90d: 5,
        days_since_last_event: 1,
        tenure_days: 100,
        orders_total: 4,
        orders_90d: 3,
        days_since_last_order: 1,
        order_interval_days: 33,
        amount_sum_90d: 60,
        amount_avg_90d: 20,
        amount_max_90d: 30,
        amount_sum_365d: 100,
        amount_avg_365d: 25,
        amount_max_365d: 40,
        login_7d: 2,
        login_30d: 2,
        login_90d: 3,
        order_7d: 1,
        order_90d: 3,
        channel_referral: 1,
        days_since_register: 120,
      });
      expect(u1['events_trend_30d']).toBeCloseTo(Math.log(5 / 3), 12);
      expect(u1['login_trend_30d']).toBeCloseTo(Math.log(3 / 2), 12);
      expect(u1['order_recency_ratio']).toBeCloseTo(1 / 33, 12);
      expect(u2).toMatchObject({
        events_total: 1,
        days_since_last_event: 50,
        orders_total: 0,
        amount_sum_90d: 0,
        channel_referral: 0,
      });
      for (const missing of [
        'days_since_last_order',
        'order_interval_days',
        'amount_avg_90d',
        'days_since_register',
      ]) {
        expect(u2[missing], missing).toBeNaN();
      }

      // With any event as retention, u2's login after the cutoff keeps it; everyone with history is eligible.
      const all = await extractFeatures(wh, plan, {
        cutoff: C,
        population: { activeDays: 0, activityEvents: null },
        label: { horizonDays: 30, retentionEvents: null },
      });
      expect(all.userIds).toEqual(['u1', 'u2', 'u3']);
      expect(Array.from(all.y as Uint8Array)).toEqual([0, 0, 1]);
    } finally {
      wh.close();
    }
  });

  it("counts only the users' own events: what Rekindle writes (tier changes, relapse marks) neither makes a user eligible, nor is a feature, nor keeps a user retained", async () => {
    const wh = await Warehouse.open(':memory:');
    try {
      await wh.commit({
        events: [
          ...events,
          ev('u1', 'tier_changed', C - 1 * day), // not one of u1's events
          ev('u3', 'recall_relapsed', C - 5 * day), // does not make u3 active
          ev('u3', 'tier_changed', C + 2 * day), // does not keep u3 retained
        ],
        identifies: [identify],
        rejections: [],
      });
      const plan = await planFeatures(wh, { cutoff: C });
      expect(plan.features.map((f) => f.name).filter((f) => f.startsWith('tier_changed'))).toEqual([]);
      const snap = await extractFeatures(wh, plan, {
        cutoff: C,
        population: { activeDays: 90, activityEvents: null },
        label: { horizonDays: 30, retentionEvents: null },
      });
      expect(snap.userIds).toEqual(['u1', 'u2']);
      const u1 = Object.fromEntries(snap.names.map((name, j) => [name, snap.x.values[j]]));
      expect(u1).toMatchObject({ events_7d: 3, events_total: 7, days_since_last_event: 1 });
      const all = await extractFeatures(wh, plan, {
        cutoff: C,
        population: { activeDays: 0, activityEvents: null },
        label: { horizonDays: 30, retentionEvents: null },
      });
      expect(all.userIds).toEqual(['u1', 'u2', 'u3']);
      expect(Array.from(all.y as Uint8Array)).toEqual([0, 0, 1]);
    } finally {
      wh.close();
    }
  });

  it('splits in time so that training labels end at the evaluation cutoff', () => {
    const s = temporalSplit(C, 90);
    expect(s.train).toEqual({ cutoff: C - 90 * day, labelsUntil: C });
    expect(s.evaluate).toEqual({ cutoff: C, labelsUntil: C + 90 * day });
  });
});

describe('rekindle churn evaluate', () => {
  const cutoff = Date.UTC(1998, 2, 1);
  /** CDNOW's purchases as a transactions CSV, and the eligible and churned customers counted here. */
  const cdnow = () => {
    const lines = readFileSync(CDNOW, 'utf8').split(/\r?\n/);
    const out = ['user_id,timestamp,amount'];
    const active = new Set<string>();
    const retained = new Set<string>();
    for (const line of lines.slice(1)) {
      const parts = line.trim().split(/\s+/);
      if (parts.length !== 4) continue;
      const [id, date, , dollars] = parts as [string, string, string, string];
      const iso = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
      out.push(`${id},${iso},${dollars}`);
      const ts = Date.parse(`${iso}T00:00:00Z`);
      if (ts >= cutoff - 90 * DAY_MS && ts < cutoff) active.add(id);
      if (ts >= cutoff && ts < cutoff + 90 * DAY_MS) retained.add(id);
    }
    const path = join(tmp.dir, 'cdnow.csv');
    writeFileSync(path, `${out.join('\n')}\n`);
    const churned = [...active].filter((u) => !retained.has(u)).length;
    return { path, eligible: active.size, churned };
  };

  it('trains before cutoff − horizon, evaluates at the cutoff on CDNOW, beats recency alone', async () => {
    const data = cdnow();
    const { stdout } = await run(
      process.execPath,
      [
        BIN,
        'churn',
        'evaluate',
        '--transactions',
        data.path,
        '--cutoff',
        '1998-03-01',
        '--horizon-days',
        '90',
        '--json',
      ],
      { maxBuffer: 1 << 24 },
    );
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const r = JSON.parse(lines[0] as string) as Record<string, number>;
    expect(r['n']).toBe(data.eligible);
    expect(r['churned']).toBe(data.churned);
    expect(r['auc']).toBeGreaterThan(0.7);
    expect(r['auc']).toBeGreaterThan((r['baselineRecencyAuc'] as number) - 0.005);
    expect(r['prAuc']).toBeGreaterThan(data.churned / data.eligible);
    expect(r['logisticAuc']).toBeGreaterThan(0.65);
    expect(r['trainN']).toBeGreaterThan(0);
    console.log(
      `CDNOW at 1998-03-01, 90 days: auc ${r['auc']}, prAuc ${r['prAuc']}, recency ${r['baselineRecencyAuc']}, ` +
        `logistic ${r['logisticAuc']}, n ${r['n']}, trainN ${r['trainN']}, trees ${r['trees']}`,
    );
  }, 180_000);

  it('refuses bad input with the line, field and reason, exit code 2', async () => {
    const path = join(tmp.dir, 'bad.csv');
    writeFileSync(path, 'user_id,timestamp,amount\nu1,2024-01-01,10\nu2,2024-02-30,5\nu3,2024-01-03,ten\n');
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
    };
    const code = await runChurnEvaluate({ transactions: path, cutoff: '2024-02-01', horizonDays: '30' }, io);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    const text = err.join('');
    expect(text).toContain('2 invalid records');
    expect(text).toContain("line 3, field timestamp: '2024-02-30' is not a calendar date");
    expect(text).toContain("line 4, field amount: 'ten' is not a finite number");

    const badOption = await runChurnEvaluate({ transactions: path, cutoff: 'soon', horizonDays: '30' }, io);
    expect(badOption).toBe(2);
    expect(err.join('')).toContain("--cutoff: 'soon' is not an ISO-8601 date");
    const noHeader = join(tmp.dir, 'no-header.csv');
    writeFileSync(noHeader, 'id,when,amount\n1,2024-01-01,3\n');
    expect(
      await runChurnEvaluate({ transactions: noHeader, cutoff: '2024-02-01', horizonDays: '30' }, io),
    ).toBe(2);
    expect(err.join('')).toContain("line 1: the header lacks 'user_id', 'timestamp'");

    // The real process exits 2 too (commander's own errors included).
    const proc = await run(process.execPath, [
      BIN,
      'churn',
      'evaluate',
      '--transactions',
      path,
      '--cutoff',
      '2024-02-01',
      '--horizon-days',
      '30',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((proc as { code: number }).code).toBe(2);
    expect((proc as { stderr: string }).stderr).toContain('line 3, field timestamp');
  }, 60_000);
});
