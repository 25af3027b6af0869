import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runChurnEvaluate } from '../src/cli/commands/churn.ts';
import { Rng } from '../src/core/demo/prng.ts';
import {
  churnContributions,
  churnMargin,
  churnProbability,
  gbdtChurnModel,
  rawChurnMargin,
  topChurnReasons,
  type ChurnModel,
} from '../src/core/models/churn/churn-model.ts';
import { trainGbdt } from '../src/core/models/churn/gbdt.ts';
import { trainLogistic } from '../src/core/models/churn/logistic.ts';
import { featureMatrix } from '../src/core/models/churn/matrix.ts';
import {
  deserializeChurnModel,
  serializeChurnModel,
  serializeGbdt,
} from '../src/core/models/churn/model-json.ts';
import { fitPlatt } from '../src/core/models/churn/platt.ts';
import { expectedMargin } from '../src/core/models/churn/tree-shap.ts';
import { fitAndSelect } from '../src/models/churn/evaluate.ts';
import type { EventRow } from '../src/core/events/rows.ts';
import {
  extractFeatures,
  planFeatures,
  planFromSpec,
  type FeatureSnapshot,
} from '../src/storage/warehouse/churn-features.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { tempDir } from './support/tmp.ts';

const tmp = tempDir('rekindle-churn-selection-');
afterAll(() => tmp.cleanup());

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

/** A labelled synthetic snapshot: d standard normal features, P(churn) = sigmoid(logit(x) + shift). */
const snapshot = (
  k: number,
  n: number,
  d: number,
  logit: (x: Float64Array, o: number) => number,
  seed: number,
  shift = 0,
): FeatureSnapshot => {
  const rng = new Rng(seed, 17);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const values = new Float64Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) values[i * d + j] = normal();
    const z = logit(values, i * d) + shift;
    y[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return {
    cutoff: T0 - k * 30 * DAY,
    userIds: Array.from({ length: n }, (_, i) => `s${seed}-u${i}`),
    names: Array.from({ length: d }, (_, j) => `f${j}`),
    x: featureMatrix(n, d, values),
    y,
  };
};

const linear = (x: Float64Array, o: number) => {
  let s = 0;
  for (let j = 0; j < 10; j++) s += 0.35 * (x[o + j] as number);
  return s;
};
/** Churn depends on whether f0 and f1 have the same sign: no single feature, no linear score, tells. */
const interaction = (x: Float64Array, o: number) =>
  (x[o] as number) > 0 === (x[o + 1] as number) > 0 ? 2 : -2;

const mean = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s / a.length;
};

describe('model selection on a later temporal fold', () => {
  it('picks the logistic regression on data whose log-odds are linear', async () => {
    // Snapshot 0 is the latest labelled one (selection); 1 and 2 are older (fitting).
    const snaps = [0, 1, 2].map((k) => snapshot(k, 3000, 10, linear, 100 + k));
    const r = await fitAndSelect(snaps, {}, 1);
    const auc = Object.fromEntries(r.selection.candidates.map((c) => [c.kind, c.auc]));
    console.log(`linear: ${JSON.stringify(auc)}`);
    expect(r.selection.fold).toBe('temporal');
    expect(r.selection.selectCutoff).toBe(new Date(T0).toISOString());
    expect(r.selection.fitRows).toBe(6000);
    expect(r.selection.candidates.map((c) => c.kind)).toEqual([
      'logistic',
      'gbdt',
      'blend',
      'blend',
      'blend',
    ]);
    expect(r.selection.chosen).toBe('logistic');
    expect(r.model.kind).toBe('logistic');
    expect(r.model.gbdt).toBeNull();
    expect(auc['logistic']).toBeGreaterThan((auc['gbdt'] as number) + 0.01);
    for (const c of r.selection.candidates)
      if (c.kind !== 'logistic') expect(c.auc).toBeLessThan(auc['logistic'] as number);
  }, 60_000);

  it('picks trees on data with an interaction', async () => {
    const snaps = [0, 1, 2].map((k) => snapshot(k, 3000, 4, interaction, 200 + k));
    const r = await fitAndSelect(snaps, {}, 1);
    const auc = Object.fromEntries(r.selection.candidates.map((c) => [c.kind, c.auc]));
    console.log(`interaction: ${JSON.stringify(auc)}`);
    expect(auc['gbdt']).toBeGreaterThan(0.75);
    expect(auc['logistic']).toBeLessThan(0.6);
    expect(r.selection.chosen).not.toBe('logistic');
    expect(r.model.gbdt).not.toBeNull();
  }, 60_000);

  it('calibration on the latest window brings the mean prediction to the observed rate under drift', async () => {
    // Older snapshots churn at about 50 %; the latest window and the future at about 27 %.
    const snaps = [
      snapshot(0, 3000, 10, linear, 300, -1.2),
      snapshot(1, 3000, 10, linear, 301),
      snapshot(2, 3000, 10, linear, 302),
    ];
    const future = snapshot(-3, 4000, 10, linear, 303, -1.2);
    const r = await fitAndSelect(snaps, { refit: false }, 1);
    const y = future.y as Uint8Array;
    const observed = mean(y);
    const raw = rawChurnMargin(r.model, future.x).map((z) => 1 / (1 + Math.exp(-z)));
    const calibrated = churnProbability(r.model, future.x);
    const gapBefore = Math.abs(mean(raw) - observed);
    const gapAfter = Math.abs(mean(calibrated) - observed);
    console.log(
      `drift: observed ${observed.toFixed(3)}, predicted ${mean(raw).toFixed(3)} → ${mean(calibrated).toFixed(3)}; ` +
        `platt a ${r.calibration.a.toFixed(3)} b ${r.calibration.b.toFixed(3)}`,
    );
    expect(gapBefore).toBeGreaterThan(0.15);
    expect(gapAfter).toBeLessThan(0.03);
    expect(gapAfter).toBeLessThan(gapBefore / 4);
    expect(r.calibration.method).toBe('platt');
    expect(r.calibration.b).toBeLessThan(-0.8);
    // The reliability on the fitting window: mean predicted equals the observed rate after.
    const w = r.calibration.window;
    expect(Math.abs(w.after.meanPredicted - w.after.observedRate)).toBeLessThan(0.005);
    expect(w.after.brier).toBeLessThan(w.before.brier);
    expect(w.after.table).toHaveLength(10);
    expect(w.after.table.reduce((s, b) => s + b.count, 0)).toBe(3000);
    // Refitted on every snapshot (the default), the intercept is set on the latest window again.
    const refit = await fitAndSelect(snaps, {}, 1);
    const refitMean = mean(churnProbability(refit.model, future.x));
    const refitRaw = mean(rawChurnMargin(refit.model, future.x).map((z) => 1 / (1 + Math.exp(-z))));
    console.log(`drift, refitted: predicted ${refitRaw.toFixed(3)} → ${refitMean.toFixed(3)}`);
    expect(Math.abs(refitMean - observed)).toBeLessThan(0.03);
    expect(Math.abs(refitMean - observed)).toBeLessThan(Math.abs(refitRaw - observed));
  }, 60_000);

  it('Platt scaling recovers a known slope and intercept', () => {
    const rng = new Rng(5, 1);
    const n = 20_000;
    const m = new Float64Array(n);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      m[i] = 6 * rng.next() - 3;
      y[i] = rng.next() < 1 / (1 + Math.exp(-(0.5 * (m[i] as number) - 1))) ? 1 : 0;
    }
    const p = fitPlatt(m, y);
    expect(p.a).toBeCloseTo(0.5, 1);
    expect(p.b).toBeCloseTo(-1, 1);
  });
});

describe('stored model format 2', () => {
  const data = snapshot(
    0,
    2000,
    5,
    (x, o) => (x[o] as number) - 0.5 * (x[o + 2] as number) * (x[o + 3] as number),
    400,
  );
  const y = data.y as Uint8Array;
  const gbdt = trainGbdt(data.x, y, { featureNames: data.names, params: { maxRounds: 30 } }).model;
  const logistic = trainLogistic(data.x, y, { featureNames: data.names });
  const calibration = { method: 'platt' as const, a: 0.8, b: -0.3 };
  const models: ChurnModel[] = [
    { kind: 'gbdt', featureNames: data.names, gbdt, logistic: null, blendWeight: 1, calibration },
    { kind: 'logistic', featureNames: data.names, gbdt: null, logistic, blendWeight: 0, calibration },
    { kind: 'blend', featureNames: data.names, gbdt, logistic, blendWeight: 0.5, calibration },
  ];

  it('round-trips every kind with bit-identical probabilities; format 1 still loads', () => {
    for (const m of models) {
      const back = deserializeChurnModel(serializeChurnModel(m));
      if (!back.ok) throw new Error(back.error);
      expect(back.value.kind).toBe(m.kind);
      expect(back.value.calibration).toEqual(calibration);
      expect(Array.from(churnProbability(back.value, data.x))).toEqual(
        Array.from(churnProbability(m, data.x)),
      );
    }
    const v1 = deserializeChurnModel(serializeGbdt(gbdt));
    if (!v1.ok) throw new Error(v1.error);
    expect(v1.value.kind).toBe('gbdt');
    expect(v1.value.calibration).toBeNull();
    expect(Array.from(churnProbability(v1.value, data.x))).toEqual(
      Array.from(churnProbability(gbdtChurnModel(gbdt), data.x)),
    );
  });

  it('refuses documents whose parts do not fit their kind', () => {
    const doc = JSON.parse(serializeChurnModel(models[2] as ChurnModel)) as Record<string, unknown>;
    const broken = (patch: Record<string, unknown>) => deserializeChurnModel({ ...doc, ...patch });
    expect(broken({ logistic: null })).toMatchObject({ ok: false });
    expect(broken({ kind: 'forest' })).toMatchObject({ ok: false });
    expect(broken({ version: 3 })).toMatchObject({ ok: false });
    expect(broken({ calibration: { method: 'isotonic' } })).toMatchObject({ ok: false });
    expect(broken({ blendWeight: 2 })).toMatchObject({ ok: false });
  });

  it('gives reasons for every kind that add up to the calibrated log-odds', () => {
    for (const m of models) {
      const phi = churnContributions(m, data.x);
      const z = churnMargin(m, data.x);
      const bias =
        calibration.a *
          (m.blendWeight * (m.gbdt ? expectedMargin(m.gbdt) : 0) +
            (1 - m.blendWeight) * (m.logistic?.intercept ?? 0)) +
        calibration.b;
      for (const i of [0, 7, 1999]) {
        let s = bias;
        for (let j = 0; j < 5; j++) s += phi[i * 5 + j] as number;
        expect(s).toBeCloseTo(z[i] as number, 8);
      }
      const top = topChurnReasons(m, data.x, 3);
      let named = 0;
      for (let i = 0; i < data.x.rows; i++) {
        const f = top.feature[i * 3] as number;
        if (f < 0) continue;
        named++;
        expect(top.contribution[i * 3]).toBe(Math.max(...Array.from(phi.subarray(i * 5, i * 5 + 5))));
      }
      expect(named).toBeGreaterThan(data.x.rows / 2);
    }
  });
});

describe('churn evaluate report', () => {
  it('carries the selection, the Brier score and reliability tables before and after calibration (JSON and text)', async () => {
    // Customers buying every ~20 days; some stop, the later ones more often (drift).
    const rng = new Rng(9, 3);
    const lines = ['user_id,timestamp,amount'];
    const start = Date.UTC(2024, 0, 1);
    for (let u = 0; u < 1500; u++) {
      const gap = 10 + 30 * rng.next();
      const stop = start + rng.next() * 700 * DAY;
      for (
        let t = start + rng.next() * 60 * DAY;
        t < Math.min(stop, start + 480 * DAY);
        t += gap * DAY * (0.5 + rng.next())
      )
        lines.push(`c${u},${new Date(t).toISOString().slice(0, 10)},${(20 + 50 * rng.next()).toFixed(2)}`);
    }
    const path = join(tmp.dir, 'tx.csv');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const out = {
      text: '',
      write(t: string) {
        this.text += t;
      },
    };
    const err = {
      text: '',
      write(t: string) {
        this.text += t;
      },
    };
    const opts = { transactions: path, cutoff: '2024-12-01', horizonDays: '60', activeDays: '60' };
    const code = await runChurnEvaluate({ ...opts, json: true }, { stdout: out, stderr: err });
    expect(err.text).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(out.text) as Record<string, unknown> & {
      brier: number;
      selection: { chosen: string; candidates: { kind: string; auc: number }[]; fold: string };
      calibrationReport: {
        method: string;
        evaluation: {
          before: { brier: number; table: unknown[] };
          after: {
            brier: number;
            meanPredicted: number;
            observedRate: number;
            table: { count: number; meanPredicted: number; observedRate: number }[];
          };
        };
      };
    };
    expect(r.brier).toBeGreaterThan(0);
    expect(r.selection.fold).toBe('temporal');
    expect(r.selection.candidates.map((c) => c.kind)).toEqual([
      'logistic',
      'gbdt',
      'blend',
      'blend',
      'blend',
    ]);
    expect(r.calibrationReport.method).toBe('platt');
    const after = r.calibrationReport.evaluation.after;
    expect(after.table).toHaveLength(10);
    expect(after.brier).toBeCloseTo(r.brier, 12);
    expect(r.calibrationReport.evaluation.before.table).toHaveLength(10);
    expect(after.table.reduce((s, b) => s + b.count, 0)).toBe(r['n']);
    out.text = '';
    expect(await runChurnEvaluate(opts, { stdout: out, stderr: err })).toBe(0);
    expect(out.text).toMatch(/model choice/);
    expect(out.text).toMatch(/Brier/);
    expect(out.text).toMatch(/reliability/);
  }, 120_000);
});

describe('cadence features in SQL', () => {
  const C = Date.UTC(2024, 2, 1);
  let n = 0;
  const ev = (userId: string, ts: number, amount: number, orderId: string | null = null): EventRow => ({
    messageId: `m${n++}`,
    userId,
    anonymousId: null,
    event: 'order',
    ts,
    receivedAt: ts,
    amount,
    currency: null,
    productId: null,
    category: null,
    orderId,
    platform: null,
    properties: '{}',
    source: 'import',
  });

  it("computes each customer's intervals, overdue ratios and value trend from orders, not rows", async () => {
    const wh = await Warehouse.open(':memory:');
    try {
      await wh.commit({
        events: [
          // u1: orders 100, 40, 10 and 1 days before the cutoff; the first is two lines of one day.
          ev('u1', C - 100 * DAY, 30),
          ev('u1', C - 100 * DAY + 3_600_000, 10),
          ev('u1', C - 40 * DAY, 30),
          ev('u1', C - 10 * DAY, 20),
          ev('u1', C - 1 * DAY, 10),
          // u2: two orders with ids on the same day count twice; 20 days since the last.
          ev('u2', C - 50 * DAY, 5, 'a'),
          ev('u2', C - 50 * DAY + 60_000, 7, 'b'),
          ev('u2', C - 20 * DAY, 9, 'c'),
          // u3: one order only.
          ev('u3', C - 5 * DAY, 12),
        ],
        identifies: [],
        rejections: [],
      });
      const plan = await planFeatures(wh, { cutoff: C });
      const snap = await extractFeatures(wh, plan, {
        cutoff: C,
        population: { activeDays: 90, activityEvents: null },
      });
      const row = (i: number) =>
        Object.fromEntries(snap.names.map((name, j) => [name, snap.x.values[i * snap.x.cols + j] as number]));
      const [u1, u2, u3] = [row(0), row(1), row(2)] as Record<string, number>[] as [
        Record<string, number>,
        Record<string, number>,
        Record<string, number>,
      ];
      expect(u1['events_total']).toBe(5);
      expect(u1['order_count']).toBe(4);
      expect(u1['order_gap_mean_log']).toBeCloseTo(Math.log(1 + 33), 9);
      expect(u1['order_gap_median_log']).toBeCloseTo(Math.log(1 + 30), 9);
      expect(u1['order_gap_last_log']).toBeCloseTo(Math.log(1 + 9), 9);
      expect(u1['order_gap_max_log']).toBeCloseTo(Math.log(1 + 60), 9);
      expect(u1['order_gap_trend']).toBeCloseTo(Math.log(10 / 34), 9);
      // Intervals 60, 30, 9 over order numbers 2, 3, 4: slope −25.5 days per order.
      expect(u1['order_gap_slope']).toBeCloseTo(-Math.log(1 + 25.5), 9);
      expect(u1['overdue_vs_median_log']).toBeCloseTo(Math.log(2 / 31), 9);
      expect(u1['overdue_share']).toBeCloseTo(0.5 / 4, 12);
      expect(u1['overdue_poisson']).toBeCloseTo(1 - Math.exp(-1 / 33), 12);
      expect(u1['order_value_mean_log']).toBeCloseTo(Math.log(1 + 25), 9);
      expect(u1['order_value_trend']).toBeCloseTo(Math.log(11 / 26), 9);
      expect(u1['orders_per_30d']).toBeCloseTo((4 * 30) / 130, 9);
      expect(u2['order_count']).toBe(3);
      expect(u2['order_gap_max_log']).toBeCloseTo(Math.log(1 + 30), 3);
      // Wait 20 days; intervals of 1 minute and 30 days: one of two is shorter.
      expect(u2['overdue_share']).toBeCloseTo(1.5 / 3, 12);
      expect(u3['order_count']).toBe(1);
      expect(Number.isNaN(u3['order_gap_mean_log'])).toBe(true);
      expect(u3['order_recency_log']).toBeCloseTo(Math.log(6), 9);
      // A spec stored before the cadence features rebuilds the features it had, without them.
      const old = planFromSpec({ orderEvents: ['order'], eventTypes: [], channels: [], register: false });
      expect(old.features.some((f) => f.name === 'order_count')).toBe(false);
      expect(old.usesOrderStats).toBe(false);
    } finally {
      wh.close();
    }
  });
});
