/**
 * Uplift core (features.md B9, issue 21): the Qini maths on small cases worked by hand, the
 * stratified split, the learners on synthetic tests whose uplift is known, the "not enough
 * data" value and the CSV table's errors. Hillstrom (real data) is in uplift-hillstrom.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../src/core/csv/csv-parser.ts';
import { fromRows } from '../src/core/models/churn/matrix.ts';
import { seededRandom } from '../src/core/stats/rng.ts';
import {
  bootstrapQini,
  describeTableError,
  differenceInterval,
  evaluateUplift,
  qiniCoefficient,
  qiniCurve,
  rankByScore,
  stratifiedSplit,
  transformedOutcome,
  twoModelGbdt,
  twoModelLogistic,
  responseModel,
  randomTargeting,
  UpliftTableBuilder,
  type UpliftColumns,
  type UpliftRows,
} from '../src/core/uplift/index.ts';

const qini = (score: number[], t: number[], y: number[], weight?: number[]) =>
  qiniCoefficient(
    rankByScore(Float64Array.from(score)),
    Uint8Array.from(t),
    Float64Array.from(y),
    weight ? Uint32Array.from(weight) : undefined,
  );

describe('Qini coefficient, worked by hand', () => {
  it('four users, distinct scores: Q = 1, 1, 1, 0 at x = ¼, ½, ¾, 1 → area ¾, over 2 treated = 0.375', () => {
    // Ranked: treated+outcome, control, treated, control+outcome.
    // Q(1) = 1 − 0 (no control yet), Q(2) = 1 − 0·1/1, Q(3) = 1 − 0·2/1, Q(4) = 1 − 1·2/2 = 0.
    // Trapezoids: ¼·½ + ¼·1 + ¼·1 + ¼·½ = ¾; the line to Q(4) = 0 encloses 0.
    const r = qini([4, 3, 2, 1], [1, 0, 1, 0], [1, 0, 0, 1]);
    expect(r.coefficient).toBeCloseTo(0.375, 12);
    expect(r.total).toBe(0);
    expect(r.treated).toBe(2);
    expect(r.control).toBe(2);
  });

  it('a curve above a rising line: Q = 1, 2, 2, 2 → (1.5 − 2/2) / 2 = 0.25', () => {
    const r = qini([3, 2, 1, 0], [1, 1, 0, 0], [1, 1, 0, 0]);
    expect(r.total).toBe(2);
    expect(r.coefficient).toBeCloseTo(0.25, 12);
    // Ranked the other way round: Q = 0, 0, 1, 2 → area ¼·½ + ¼·3/2 = ½, minus 1 → −½, over 2.
    expect(qini([0, 1, 2, 3], [1, 1, 0, 0], [1, 1, 0, 0]).coefficient).toBeCloseTo(-0.25, 12);
  });

  it('ties are one block: the curve is a straight line across it, whatever the row order', () => {
    // Blocks {0, 1} and {2, 3}: Q(2) = 1 − 0·1/1 = 1, Q(4) = 0 → area ½·½ + ½·½ = ½, over 2 treated.
    expect(qini([1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1]).coefficient).toBeCloseTo(0.25, 12);
    expect(qini([1, 1, 0, 0], [0, 1, 0, 1], [0, 1, 1, 0]).coefficient).toBeCloseTo(0.25, 12);
    // Untied, the order inside the block matters (0.375 above); tied it does not.
    expect(qini([0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1]).coefficient).toBeCloseTo(0.25, 12);
  });

  it('a constant score is random targeting by definition: exactly 0', () => {
    expect(qini([7, 7, 7, 7, 7], [1, 0, 1, 0, 1], [1, 0, 0, 1, 1]).coefficient).toBe(0);
  });

  it('a weight counts a row that many times (what the bootstrap relies on)', () => {
    const weighted = qini([5, 4, 3, 2, 1], [1, 0, 1, 0, 1], [1, 1, 0, 0, 1], [2, 0, 1, 3, 1]);
    const copied = qini([5, 5, 3, 2, 2, 2, 1], [1, 1, 1, 0, 0, 0, 1], [1, 1, 0, 0, 0, 0, 1]);
    expect(weighted.coefficient).toBeCloseTo(copied.coefficient, 12);
    expect(weighted.treated).toBe(4);
    expect(weighted.control).toBe(3);
  });

  it('the curve at shares of the users, per treated user, linear inside a block', () => {
    const ranking = rankByScore(Float64Array.from([3, 2, 1, 0]));
    const curve = qiniCurve(
      ranking,
      Uint8Array.from([1, 1, 0, 0]),
      Float64Array.from([1, 1, 0, 0]),
      [0.125, 0.25, 0.5, 1],
    );
    expect(curve.map((p) => p.q)).toEqual([0.25, 0.5, 1, 1]);
  });

  it('the bootstrap keeps each arm at its size and pairs rankings on the same resamples', () => {
    const rand = seededRandom(3);
    const n = 400;
    const t = Uint8Array.from({ length: n }, (_, i) => i % 2);
    const y = Float64Array.from({ length: n }, () => (rand() < 0.3 ? 1 : 0));
    const a = rankByScore(Float64Array.from({ length: n }, () => rand()));
    const boot = bootstrapQini([a, a], t, y, { resamples: 200, seed: 9 });
    // The same ranking twice: every paired difference is 0, so its interval is [0, 0].
    expect(differenceInterval(boot, 0, 1)).toEqual({ low: 0, high: 0 });
    const e = boot.estimates[0] as { coefficient: number; interval: { low: number; high: number } };
    expect(e.interval.low).toBeLessThan(e.coefficient);
    expect(e.interval.high).toBeGreaterThan(e.coefficient);
    // Same seed, same interval.
    expect(bootstrapQini([a], t, y, { resamples: 200, seed: 9 }).estimates[0]).toEqual(e);
  });
});

describe('stratified split', () => {
  it('keeps every treatment × outcome cell within one row of the share, and is seeded', () => {
    const rand = seededRandom(1);
    const n = 1001;
    const t = Uint8Array.from({ length: n }, () => (rand() < 0.4 ? 1 : 0));
    const y = Uint8Array.from({ length: n }, () => (rand() < 0.1 ? 1 : 0));
    const s = stratifiedSplit(t, y, 0.5, 42);
    expect(s.first.length + s.second.length).toBe(n);
    expect(new Set([...s.first, ...s.second]).size).toBe(n);
    for (const arm of [0, 1])
      for (const out of [0, 1]) {
        const cell = (idx: Uint32Array) => [...idx].filter((i) => t[i] === arm && y[i] === out).length;
        const all = cell(s.first) + cell(s.second);
        expect(Math.abs(cell(s.first) - all / 2)).toBeLessThanOrEqual(0.5);
      }
    expect(stratifiedSplit(t, y, 0.5, 42)).toEqual(s);
    expect(stratifiedSplit(t, y, 0.5, 43).first).not.toEqual(s.first);
  });
});

/**
 * A synthetic randomised test: x0 drives the uplift (`effect`·x0) and lowers the base rate, x1
 * raises the base rate, x2 is noise. So the users likeliest to act are not the ones most moved,
 * which is where an uplift model must beat a response model.
 */
const synthetic = (n: number, seed: number, effect: number): UpliftRows => {
  const rand = seededRandom(seed);
  const rows: number[][] = [];
  const treatment = new Uint8Array(n);
  const outcome = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = [rand(), rand(), rand()];
    const t = rand() < 0.5 ? 1 : 0;
    const p =
      0.05 +
      0.3 * (x[1] as number) +
      0.3 * (1 - (x[0] as number)) +
      (t === 1 ? effect * (x[0] as number) : 0);
    rows.push(x);
    treatment[i] = t;
    outcome[i] = rand() < p ? 1 : 0;
  }
  return { x: fromRows(rows), treatment, outcome, featureNames: ['x0', 'x1', 'x2'] };
};

const fastLearners = [
  twoModelLogistic,
  twoModelGbdt({ maxRounds: 60 }),
  transformedOutcome,
  responseModel,
  randomTargeting,
];

describe('learners and evaluation on synthetic tests', () => {
  it('finds a real uplift: every learner of ours beats the response model, and the result is significant', () => {
    const r = evaluateUplift(synthetic(8000, 5, 0.4), { seed: 1, learners: fastLearners, resamples: 300 });
    if (!r.ok) throw new Error('not enough data');
    const e = r.value;
    const q = Object.fromEntries(e.learners.map((l) => [l.id, l.qini]));
    for (const id of ['two-model-logistic', 'two-model-gbdt', 'transformed-outcome'])
      expect(q[id]).toBeGreaterThan((q['response-model'] as number) + 0.01);
    expect(e.significant).toBe(true);
    expect(e.versus.random.interval.low).toBeGreaterThan(0);
    expect(e.learners.find((l) => l.id === 'random')?.selectionQini).toBeNull();
    expect(e.split.test.treated + e.split.train.treated).toBe(e.treated.rows);
  });

  it('says "not significant" when the treatment moves nobody differently, about as rarely as the rule promises', () => {
    // The rule is one-sided at 2.5 %: of 40 tests with no uplift at all, about 1 may pass by
    // chance; 5 or more would happen with probability under 0.4 % if the rule held.
    let significant = 0;
    for (let s = 0; s < 40; s++) {
      const r = evaluateUplift(synthetic(4000, 100 + s, 0), {
        seed: 1,
        learners: [twoModelLogistic, transformedOutcome, responseModel, randomTargeting],
        resamples: 200,
      });
      if (!r.ok) throw new Error('not enough data');
      if (r.value.significant) significant++;
      else expect(r.value.learners.find((l) => l.id === r.value.chosen)?.interval.low).toBeLessThanOrEqual(0);
    }
    expect(significant).toBeLessThanOrEqual(4);
  });

  it('the CLI default learners (GBDT defaults) run on a small case and are deterministic for a seed', () => {
    const rows = synthetic(1500, 8, 0.3);
    const a = evaluateUplift(rows, { seed: 4, resamples: 100 });
    const b = evaluateUplift(rows, { seed: 4, resamples: 100 });
    expect(a).toEqual(b);
    if (!a.ok) throw new Error('not enough data');
    expect(a.value.learners.map((l) => l.id)).toEqual([
      'two-model-logistic',
      'two-model-gbdt',
      'transformed-outcome',
      'response-model',
      'random',
    ]);
    expect(a.value.learners.every((l) => Number.isFinite(l.qini))).toBe(true);
  });

  it('too little data is a value naming what is missing, not a figure', () => {
    // 250 treated with 30 outcomes, 150 control with 100 outcomes.
    const n = 400;
    const treatment = Uint8Array.from({ length: n }, (_, i) => (i < 250 ? 1 : 0));
    const outcome = Uint8Array.from({ length: n }, (_, i) => (i < 30 || (i >= 250 && i < 350) ? 1 : 0));
    const rows: UpliftRows = {
      x: fromRows(Array.from({ length: n }, (_, i) => [i % 7])),
      treatment,
      outcome,
      featureNames: ['f'],
    };
    const r = evaluateUplift(rows);
    expect(r).toEqual({
      ok: false,
      error: {
        kind: 'not-enough-data',
        treated: { rows: 250, outcomes: 30 },
        control: { rows: 150, outcomes: 100 },
        minimum: { rowsPerArm: 200, outcomesPerArm: 40, nonOutcomesPerArm: 40 },
        missing: [
          'treated: 30 rows with the outcome, 40 needed (10 more)',
          'control: 150 rows, 200 needed (50 more)',
        ],
      },
    });
  });
});

const spec: UpliftColumns = {
  treatmentColumn: 'arm',
  treatmentValue: 'mail',
  controlValue: 'none',
  outcomeColumn: 'visit',
  features: ['age', 'city'],
};

const build = (text: string, s: UpliftColumns = spec) => {
  const rows = parseCsv(text);
  const b = UpliftTableBuilder.open((rows[0] as { fields: string[] }).fields, s);
  if (!b.ok) return describeTableError(b.error);
  for (const r of rows.slice(1)) {
    const e = b.value.push(r);
    if (e) return describeTableError(e);
  }
  const t = b.value.finish();
  return t.ok ? t.value : describeTableError(t.error);
};

describe('the CSV table', () => {
  it('one-hot encodes text features, keeps numbers (empty: missing), counts rows of other arms', () => {
    const t = build('arm,visit,age,city\nmail,1,30,Rome\nnone,0,,Oslo\nsms,1,40,Rome\nmail,0,25,Oslo\n');
    if (typeof t === 'string') throw new Error(t);
    expect(t.counts).toEqual({ read: 4, treated: 2, control: 1, ignored: 1 });
    expect(t.rows.featureNames).toEqual(['age', 'city=Oslo', 'city=Rome']);
    expect(Array.from(t.rows.x.values)).toEqual([30, 0, 1, Number.NaN, 1, 0, 25, 1, 0]);
    expect(Array.from(t.rows.treatment)).toEqual([1, 0, 1]);
    expect(Array.from(t.rows.outcome)).toEqual([1, 0, 0]);
    expect(t.encoding).toEqual([
      { column: 'age', kind: 'numeric', missing: 1 },
      { column: 'city', kind: 'categorical', levels: ['Oslo', 'Rome'] },
    ]);
  });

  it('names the line, the field and the reason', () => {
    expect(build('arm,visit,age\nmail,1,3\n')).toBe(
      'line 1: the feature column "city" is not in the header (columns: arm, visit, age)',
    );
    expect(build('arm,visit,age,city\nmail,1,3,A\nnone,yes,4,B\n')).toBe(
      'line 3, field visit: "yes" is not a number',
    );
    expect(build('arm,visit,age,city\nmail,2,3,A\n')).toBe(
      'line 2, field visit: 2 is not 0 or 1 (the outcome must be whether it happened)',
    );
    expect(build('arm,visit,age,city\nmail,1,3\n')).toBe('line 2: 3 fields, the header has 4');
    expect(build('arm,visit,age,city\nmail,1,3,A\n', { ...spec, features: ['age', 'visit'] })).toBe(
      'feature "visit" is the outcome column: a model would learn the answer',
    );
    expect(build('arm,visit,age,city\n', { ...spec, controlValue: 'mail' })).toBe(
      'the treatment and control values are both "mail"',
    );
    // A bad outcome on a row of another arm does not matter: the row is ignored.
    const t = build('arm,visit,age,city\nsms,oops,3,A\nmail,1,3,A\n');
    expect(typeof t === 'string' ? t : t.counts.ignored).toBe(1);
  });
});
