/**
 * Uplift reports (features.md B9, issue 21, part 3): uplift by decile with intervals, the Qini
 * curve as points, and the four segments, on cases worked by hand and on synthetic tests whose
 * uplift is known. Hillstrom (real data) is in uplift-hillstrom.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { formatUpliftSummary, upliftJson } from '../src/cli/commands/uplift.ts';
import { fromRows } from '../src/core/models/churn/matrix.ts';
import { zCritical } from '../src/core/stats/normal.ts';
import { seededRandom } from '../src/core/stats/rng.ts';
import {
  armDifference,
  assignSegments,
  curveShares,
  defaultSegmentThresholds,
  evaluateUplift,
  qiniCoefficient,
  qiniCurvePoints,
  randomLine,
  randomTargeting,
  rankByScore,
  responseModel,
  segmentOf,
  transformedOutcome,
  twoModelGbdt,
  twoModelLogistic,
  upliftByDecile,
  type UpliftEvaluation,
  type UpliftRows,
  type UpliftTable,
} from '../src/core/uplift/index.ts';

const deciles = (score: number[], t: number[], y: number[], groups?: number) =>
  upliftByDecile(
    rankByScore(Float64Array.from(score)),
    Uint8Array.from(t),
    Float64Array.from(y),
    Float64Array.from(score),
    groups !== undefined ? { groups } : {},
  );

describe('uplift by decile, worked by hand', () => {
  it('20 users with distinct scores: ten groups of 2, ranked by score, rates, uplift and mean prediction', () => {
    // Row i has score i/100, so decile 1 is rows 19 and 18. Even rows are control, odd rows
    // treated: one of each per decile. Treated rows from 10 up have the outcome, control rows never.
    const score = Array.from({ length: 20 }, (_, i) => i / 100);
    const t = score.map((_, i) => i % 2);
    const y = score.map((_, i) => (i % 2 === 1 && i >= 10 ? 1 : 0));
    const g = deciles(score, t, y);
    expect(g.map((d) => d.decile)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(g.map((d) => [d.users, d.treated, d.control])).toEqual(Array(10).fill([2, 1, 1]));
    expect(g.map((d) => [d.from, d.to])).toEqual(g.map((_, k) => [k / 10, (k + 1) / 10]));
    expect(g.map((d) => d.observed)).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(g[0]?.predicted).toBeCloseTo((0.19 + 0.18) / 2, 12);
    expect(g[9]?.predicted).toBeCloseTo((0.01 + 0) / 2, 12);
    // One treated user with the outcome against one control without: the Wilson intervals of
    // 1/1 and 0/1 are [1/(1+z²), 1] and [0, z²/(1+z²)], so Newcombe's interval of 1 − 0 is
    // [1 − √2·z²/(1+z²), 1].
    const z2 = zCritical(0.95) ** 2;
    expect(g[0]?.interval?.low).toBeCloseTo(1 - (Math.SQRT2 * z2) / (1 + z2), 10);
    expect(g[0]?.interval?.high).toBe(1);
    expect(g[0]?.interval?.low).toBeCloseTo(-0.1221, 4);
  });

  it('the interval of 30/100 treated against 20/100 control is Newcombe’s [−0.0202, 0.2167]', () => {
    // Wilson 95 %: 30/100 → [0.21895, 0.39585], 20/100 → [0.13337, 0.28883];
    // low = 0.1 − √((0.3 − 0.21895)² + (0.28883 − 0.2)²), high = 0.1 + √((0.39585 − 0.3)² + (0.2 − 0.13337)²).
    const t = [...Array(100).fill(1), ...Array(100).fill(0)];
    const y = [...Array(30).fill(1), ...Array(70).fill(0), ...Array(20).fill(1), ...Array(80).fill(0)];
    const [d] = deciles(Array(200).fill(0.5), t, y, 1);
    expect(d?.treatedRate).toBe(0.3);
    expect(d?.controlRate).toBe(0.2);
    expect(d?.observed).toBeCloseTo(0.1, 12);
    expect(d?.interval?.low).toBeCloseTo(-0.020249, 5);
    expect(d?.interval?.high).toBeCloseTo(0.216734, 5);
  });

  it('on a thousand users per arm the interval is as wide as the normal (Wald) one, within 1 %', () => {
    const t = [...Array(1000).fill(1), ...Array(1000).fill(0)];
    const y = [...Array(300).fill(1), ...Array(700).fill(0), ...Array(200).fill(1), ...Array(800).fill(0)];
    const [d] = deciles(Array(2000).fill(1), t, y, 1);
    const wald = 2 * zCritical(0.95) * Math.sqrt((0.3 * 0.7) / 1000 + (0.2 * 0.8) / 1000);
    const width = (d?.interval?.high as number) - (d?.interval?.low as number);
    expect(Math.abs(width / wald - 1)).toBeLessThan(0.01);
  });

  it('a block of equal scores goes whole to the group of its middle row; a wide block leaves groups empty', () => {
    // 10 users in 5 groups of 2. The block of three 7s holds positions 2–4, middle 3 → group 2.
    const t = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0];
    const y = [1, 0, 0, 0, 1, 1, 0, 0, 1, 0];
    const g = deciles([9, 8, 7, 7, 7, 3, 2, 1, 0, -1], t, y, 5);
    expect(g.map((d) => [d.decile, d.users])).toEqual([
      [1, 2],
      [2, 3],
      [3, 1],
      [4, 2],
      [5, 2],
    ]);
    expect(g.map((d) => [d.from, d.to])).toEqual([
      [0, 0.2],
      [0.2, 0.5],
      [0.5, 0.6],
      [0.6, 0.8],
      [0.8, 1],
    ]);
    // Group 3 holds one control user only: no treated rate, so no uplift and no interval.
    expect(g[2]).toMatchObject({ treated: 0, control: 1, treatedRate: null, observed: null, interval: null });
    // Six tied users then four: middles 2.5 and 7.5 fall in groups 2 and 4; 1, 3 and 5 are empty.
    const wide = deciles([1, 1, 1, 1, 1, 1, 0, 0, 0, 0], t, y, 5);
    expect(wide.map((d) => [d.decile, d.from, d.to, d.users])).toEqual([
      [2, 0, 0.6, 6],
      [4, 0.6, 1, 4],
    ]);
    // A constant score is one block: everyone in one group, its uplift the whole test's.
    const all = deciles(Array(10).fill(3), t, y);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ decile: 5, from: 0, to: 1, users: 10, treated: 5, control: 5 });
    expect(all[0]?.observed).toBeCloseTo(3 / 5 - 1 / 5, 12);
  });

  it('does not depend on the order of the rows, ties included', () => {
    const rand = seededRandom(7);
    const n = 500;
    const score = Array.from({ length: n }, () => Math.floor(rand() * 40) / 40); // many ties
    const t = score.map(() => (rand() < 0.5 ? 1 : 0));
    const y = score.map((s) => (rand() < 0.1 + 0.3 * s ? 1 : 0));
    const perm = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5);
    const a = deciles(score, t, y);
    const b = deciles(
      perm.map((i) => score[i] as number),
      perm.map((i) => t[i] as number),
      perm.map((i) => y[i] as number),
    );
    expect(b.map((d) => ({ ...d, predicted: 0 }))).toEqual(a.map((d) => ({ ...d, predicted: 0 })));
    b.forEach((d, k) => expect(d.predicted).toBeCloseTo(a[k]?.predicted as number, 12));
    expect(a.reduce((s, d) => s + d.users, 0)).toBe(n);
  });
});

describe('the Qini curve as points', () => {
  it('four users: every k/n, Q(k)/N_T by hand, and random’s straight line to the same end', () => {
    // Ranked: treated+outcome, control, treated, control+outcome: Q = 0, 1, 1, 1, 0; N_T = 2.
    const ranking = rankByScore(Float64Array.from([4, 3, 2, 1]));
    const pts = qiniCurvePoints(ranking, Uint8Array.from([1, 0, 1, 0]), Float64Array.from([1, 0, 0, 1]));
    expect(pts).toEqual([
      { x: 0, q: 0 },
      { x: 0.25, q: 0.5 },
      { x: 0.5, q: 0.5 },
      { x: 0.75, q: 0.5 },
      { x: 1, q: 0 },
    ]);
    expect(randomLine(pts)).toEqual([
      { x: 0, q: 0 },
      { x: 1, q: 0 },
    ]);
  });

  it('at most 101 points; the end is the average uplift and the area over the line is the Qini coefficient', () => {
    expect(curveShares(3)).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(curveShares(100)).toHaveLength(101);
    expect(curveShares(101)).toHaveLength(101);
    expect(curveShares(101)[1]).toBeCloseTo(0.01, 15);
    const rand = seededRandom(11);
    const n = 5000;
    const score = Float64Array.from({ length: n }, () => rand());
    const t = Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0));
    const y = Float64Array.from(score, (s, i) => (rand() < 0.1 + (t[i] === 1 ? 0.2 * s : 0) ? 1 : 0));
    const ranking = rankByScore(score);
    const pts = qiniCurvePoints(ranking, t, y);
    expect(pts).toHaveLength(101);
    expect(pts[0]).toEqual({ x: 0, q: 0 });
    let nT = 0;
    let yT = 0;
    let yC = 0;
    for (let i = 0; i < n; i++)
      if (t[i] === 1) {
        nT++;
        yT += y[i] as number;
      } else yC += y[i] as number;
    // Q(n)/N_T = Y_T/N_T − Y_C/N_C: the difference of the arms' rates.
    expect(pts[100]?.q).toBeCloseTo(yT / nT - yC / (n - nT), 12);
    // Trapezoids over the 101 points, less the line's half, come close to the exact coefficient.
    let area = 0;
    for (let k = 1; k < pts.length; k++)
      area +=
        (((pts[k]?.x as number) - (pts[k - 1]?.x as number)) *
          ((pts[k]?.q as number) + (pts[k - 1]?.q as number))) /
        2;
    const exact = qiniCoefficient(ranking, t, y).coefficient;
    expect(exact).toBeGreaterThan(0.01);
    expect(Math.abs(area - (pts[100]?.q as number) / 2 - exact)).toBeLessThan(0.02 * exact);
  });
});

describe('segments', () => {
  it('thresholds: τ = max(½·|average uplift|, its standard error), high = the mean of the arms’ rates', () => {
    // 30 % vs 20 % on 1000 per arm: ½ · 0.1 = 0.05 beats the standard error √(0.21/1000 + 0.16/1000) = 0.0192.
    const big = defaultSegmentThresholds({ rows: 1000, outcomes: 300 }, { rows: 1000, outcomes: 200 });
    expect(big.tau).toBeCloseTo(0.05, 12);
    expect(big.high).toBeCloseTo(0.25, 12);
    // The same rates on 100 per arm: the standard error √(0.0037) = 0.0608 is the larger.
    expect(
      defaultSegmentThresholds({ rows: 100, outcomes: 30 }, { rows: 100, outcomes: 20 }).tau,
    ).toBeCloseTo(0.060828, 6);
    // No average uplift: τ is the standard error √(2 · 0.05 · 0.95 / 1000), not 0.
    expect(
      defaultSegmentThresholds({ rows: 1000, outcomes: 50 }, { rows: 1000, outcomes: 50 }).tau,
    ).toBeCloseTo(0.009747, 6);
  });

  it('the rule on constructed predictions, boundaries included', () => {
    const th = { tau: 0.125, high: 0.25 };
    expect(segmentOf(0.5, 0.25, th)).toBe('persuadable'); // u = 0.25 > τ
    expect(segmentOf(0.1, 0.375, th)).toBe('do-not-disturb'); // u = −0.275
    expect(segmentOf(0.625, 0.5625, th)).toBe('sure-thing'); // acts either way
    expect(segmentOf(0.0625, 0.03125, th)).toBe('lost-cause'); // acts neither way
    // |u| = τ exactly is "not moved" (binary fractions, so the difference is exact).
    expect(segmentOf(0.5, 0.375, th)).toBe('sure-thing');
    expect(segmentOf(0.375, 0.5, th)).toBe('sure-thing');
    expect(segmentOf(0.125, 0, th)).toBe('lost-cause');
    // P(y|control) ≥ high > P(y|treated): both textbook conditions hold; the level (0.21875) decides.
    expect(segmentOf(0.1875, 0.25, th)).toBe('lost-cause');
    // P(y|control) < high ≤ P(y|treated): neither holds; the level (0.265625) decides.
    expect(segmentOf(0.3125, 0.21875, th)).toBe('sure-thing');
  });

  it('counts each segment, and leaves every user unranked when told the test shows no heterogeneity', () => {
    const th = { tau: 0.125, high: 0.25 };
    const pT = [0.5, 0.1, 0.625, 0.0625, 0.6];
    const pC = [0.25, 0.375, 0.5625, 0.03125, 0.2];
    const ranked = assignSegments(pT, pC, th, true);
    expect(ranked.labels).toEqual([
      'persuadable',
      'do-not-disturb',
      'sure-thing',
      'lost-cause',
      'persuadable',
    ]);
    expect(ranked.counts).toEqual({
      persuadable: 2,
      'sure-thing': 1,
      'lost-cause': 1,
      'do-not-disturb': 1,
      'not-ranked': 0,
    });
    const unranked = assignSegments(pT, pC, th, false);
    expect(unranked.labels).toEqual(Array(5).fill('not-ranked'));
    expect(unranked.counts['not-ranked']).toBe(5);
    expect(unranked.counts.persuadable).toBe(0);
  });
});

/**
 * A synthetic randomised test: the treatment adds `constant` + `effect`·x0 to the outcome
 * probability, x1 raises the base rate, x2 is noise.
 */
const synthetic = (n: number, seed: number, effect: number, constant = 0): UpliftRows => {
  const rand = seededRandom(seed);
  const rows: number[][] = [];
  const treatment = new Uint8Array(n);
  const outcome = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = [rand(), rand(), rand()];
    const t = rand() < 0.5 ? 1 : 0;
    const p = 0.05 + 0.3 * (x[1] as number) + (t === 1 ? constant + effect * (x[0] as number) : 0);
    rows.push(x);
    treatment[i] = t;
    outcome[i] = rand() < p ? 1 : 0;
  }
  return { x: fromRows(rows), treatment, outcome, featureNames: ['x0', 'x1', 'x2'] };
};

const learners = [twoModelLogistic, transformedOutcome, responseModel, randomTargeting];

const evaluated = (rows: UpliftRows, list = learners): UpliftEvaluation => {
  const r = evaluateUplift(rows, { seed: 1, learners: list, resamples: 200 });
  if (!r.ok) throw new Error(r.error.missing.join('; '));
  return r.value;
};

describe('the reports of an evaluation', () => {
  const moved = evaluated(synthetic(8000, 5, 0.4));

  it('a real uplift: deciles of the chosen model, its top above its bottom, counts adding up', () => {
    const d = moved.deciles;
    expect(d.learner).toBe(moved.chosen);
    expect(d.groups).toHaveLength(10);
    expect(d.groups.reduce((s, g) => s + g.treated, 0)).toBe(moved.split.test.treated);
    expect(d.groups.reduce((s, g) => s + g.control, 0)).toBe(moved.split.test.control);
    const top = d.groups[0] as (typeof d.groups)[number];
    const bottom = d.groups[9] as (typeof d.groups)[number];
    // The uplift runs from 0 to 0.4 with x0: the top tenth is moved by about 0.38, the bottom by about 0.02.
    expect(top.observed as number).toBeGreaterThan((bottom.observed as number) + 0.2);
    expect((top.interval as { low: number }).low).toBeGreaterThan((bottom.interval as { high: number }).high);
    // The ranking is by the prediction, so the mean prediction falls from decile to decile.
    for (let k = 1; k < 10; k++)
      expect(d.groups[k]?.predicted as number).toBeLessThanOrEqual(d.groups[k - 1]?.predicted as number);
    // A well-specified model's predicted uplift is near the observed one at the top.
    expect(Math.abs(top.predicted - (top.observed as number))).toBeLessThan(0.1);
  });

  it('a Qini curve of 101 points per learner, agreeing with the tenths, and random’s line', () => {
    const c = moved.qiniCurves;
    expect(c.learners.map((l) => l.id)).toEqual(learners.map((l) => l.id));
    for (const l of c.learners) {
      expect(l.points).toHaveLength(101);
      expect(l.points[0]).toEqual({ x: 0, q: 0 });
      expect(l.points[100]?.q).toBeCloseTo(c.randomLine[1]?.q as number, 12);
      const tenths = moved.learners.find((r) => r.id === l.id)?.curve ?? [];
      tenths.forEach((p, k) => expect(l.points[(k + 1) * 10]?.q).toBeCloseTo(p.q, 12));
    }
    expect(c.randomLine[1]?.x).toBe(1);
    expect(c.randomLine[1]?.q).toBeCloseTo(moved.averageUplift.difference, 1);
  });

  it('a real uplift: users are ranked into segments from the two-model probabilities', () => {
    const s = moved.segments;
    expect(moved.significant).toBe(true);
    expect(s.ranked).toBe(true);
    expect(s.model).toBe('two-model-logistic'); // the only two-model learner in the list
    const total = Object.values(s.counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(moved.split.test.treated + moved.split.test.control);
    expect(s.counts['not-ranked']).toBe(0);
    // Uplift 0.4·x0 against τ ≈ 0.1 (half the average 0.2): most users are persuadable, the
    // rest not moved; nobody is hurt by the treatment, so do-not-disturb stays rare.
    expect(s.counts.persuadable).toBeGreaterThan(total / 2);
    expect(s.counts['sure-thing'] + s.counts['lost-cause']).toBeGreaterThan(total / 10);
    expect(s.counts['do-not-disturb']).toBeLessThan(total / 100);
  });

  it('no heterogeneity (no effect, or the same effect for everyone): not significant, every user unranked', () => {
    for (const [effect, constant] of [
      [0, 0],
      [0, 0.15],
    ] as const) {
      const e = evaluated(synthetic(6000, 21, effect, constant));
      expect(e.significant).toBe(false);
      expect(e.segments.ranked).toBe(false);
      expect(e.segments.reason).toContain('no uplift the chosen model can rank beyond noise');
      expect(e.segments.counts['not-ranked']).toBe(e.split.test.treated + e.split.test.control);
      expect(e.segments.counts.persuadable + e.segments.counts['sure-thing']).toBe(0);
      // The decile table is still shown: it is observation, with intervals, not a ranking of users.
      expect(e.deciles.groups).toHaveLength(10);
    }
  });

  it('without a two-model learner there are no per-arm probabilities: unranked, and said why', () => {
    const e = evaluated(synthetic(8000, 5, 0.4), [transformedOutcome, responseModel, randomTargeting]);
    expect(e.significant).toBe(true);
    expect(e.segments.model).toBeNull();
    expect(e.segments.ranked).toBe(false);
    expect(e.segments.reason).toContain('no two-model learner');
  });

  it('a two-model learner’s arms give exactly its score', () => {
    const rows = synthetic(3000, 9, 0.3);
    for (const l of [twoModelLogistic, twoModelGbdt({ maxRounds: 20 })]) {
      const arms = l.fitArms?.(rows, 3)(rows.x);
      expect(arms).toBeDefined();
      expect(armDifference(arms as NonNullable<typeof arms>)).toEqual(l.fit(rows, 3)(rows.x));
    }
  });

  it('the CLI prints the decile table and the segment counts, and puts deciles, curves and segments in its JSON', () => {
    const rows = synthetic(8000, 5, 0.4);
    const table: UpliftTable = {
      rows,
      counts: { read: 8000, treated: moved.treated.rows, control: moved.control.rows, ignored: 0 },
      encoding: ['x0', 'x1', 'x2'].map((column) => ({ column, kind: 'numeric' as const, missing: 0 })),
    };
    const r = { ok: true as const, value: moved };
    const text = formatUpliftSummary('synthetic.csv', table, r);
    expect(text).toContain("Uplift by decile of the chosen model's score");
    const top = moved.deciles.groups[0] as (typeof moved.deciles.groups)[number];
    const pp = (v: number): string => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}`;
    // Decile 1's row: its counts, observed uplift with interval, and mean prediction.
    expect(text).toMatch(
      new RegExp(
        `^ {2}1 +${top.treated.toLocaleString('en-US')} +${top.control.toLocaleString('en-US')} .* ${pp(top.observed as number).replace('+', '\\+')} +\\[${pp(top.interval?.low as number).replace('+', '\\+')}, ${pp(top.interval?.high as number).replace('+', '\\+')}\\] +${pp(top.predicted).replace('+', '\\+')}$`,
        'm',
      ),
    );
    expect(text).toContain(`persuadable ${moved.segments.counts.persuadable.toLocaleString('en-US')}`);
    expect(text).toContain('ranked: ');
    const json = JSON.parse(JSON.stringify(upliftJson('synthetic.csv', table, r))) as {
      deciles: { learner: string; groups: { decile: number; observed: number; interval: { low: number } }[] };
      qiniCurves: { learners: { id: string; points: { x: number; q: number }[] }[]; randomLine: unknown[] };
      segments: {
        ranked: boolean;
        counts: Record<string, number>;
        thresholds: { tau: number; high: number };
      };
    };
    expect(json.deciles.learner).toBe(moved.chosen);
    expect(json.deciles.groups).toHaveLength(10);
    expect(json.deciles.groups[0]?.observed).toBeCloseTo(top.observed as number, 6);
    expect(json.qiniCurves.learners).toHaveLength(4);
    expect(json.qiniCurves.learners[0]?.points).toHaveLength(101);
    expect(json.qiniCurves.randomLine).toHaveLength(2);
    expect(json.segments.ranked).toBe(true);
    expect(json.segments.counts['persuadable']).toBe(moved.segments.counts.persuadable);
    expect(json.segments.thresholds.tau).toBeCloseTo(moved.segments.thresholds.tau, 6);

    // Unranked: the text says so instead of listing segments assigned by noise.
    const flat = evaluated(synthetic(6000, 21, 0, 0.15));
    const flatText = formatUpliftSummary(
      'flat.csv',
      { ...table, rows: synthetic(6000, 21, 0, 0.15) },
      {
        ok: true,
        value: flat,
      },
    );
    expect(flatText).toContain('Not ranked: the test shows no uplift the chosen model can rank beyond noise');
    expect(flatText).not.toContain('persuadable');
  });
});
