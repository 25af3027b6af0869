import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abVerdict,
  bootstrapMeanDifference,
  erfc,
  newcombeDifference,
  normalQuantile,
  relativeLift,
  twoProportionTest,
  wilson,
} from '../src/core/stats/index.ts';

/** The statistics against textbook values (Newcombe 1998; scipy for the tests and erfc). */

describe('normal distribution', () => {
  it('matches erfc and the quantile function to 1e-13', () => {
    // Values from Python's math.erfc and statistics.NormalDist.inv_cdf.
    expect(erfc(0.5)).toBeCloseTo(0.4795001221869535, 14);
    expect(erfc(2)).toBeCloseTo(0.004677734981047265, 15);
    expect(erfc(5) / 1.5374597944280351e-12).toBeCloseTo(1, 12);
    expect(erfc(-1)).toBeCloseTo(1.842700792949715, 14);
    expect(normalQuantile(0.975)).toBeCloseTo(1.9599639845400536, 12);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.3263478740408408, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 10);
  });
});

describe('proportions', () => {
  it('Wilson interval of 81/263 is 0.2553–0.3662 (Newcombe 1998, table I)', () => {
    const ci = wilson(81, 263);
    expect(ci.low).toBeCloseTo(0.2553, 4);
    expect(ci.high).toBeCloseTo(0.3662, 4);
    expect(wilson(0, 10)).toEqual({ low: 0, high: expect.closeTo(0.2775, 4) });
    expect(wilson(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it('Newcombe hybrid score interval of 56/70 − 48/80 is 0.0524–0.3339 (method 10)', () => {
    const ci = newcombeDifference(56, 70, 48, 80);
    expect(ci.low).toBeCloseTo(0.0524, 4);
    expect(ci.high).toBeCloseTo(0.3339, 4);
  });

  it('two-proportion z-test equals Pearson χ² without correction (scipy chi2_contingency)', () => {
    const t = twoProportionTest(45, 100, 30, 100);
    expect(t.chiSquare).toBeCloseTo(4.8, 10);
    expect(t.pValue).toBeCloseTo(0.028459736916310638, 12);
    const u = twoProportionTest(56, 70, 48, 80);
    expect(u.chiSquare).toBeCloseTo(7.023411371237456, 10);
    expect(u.pValue).toBeCloseTo(0.008045081368196585, 12);
    expect(twoProportionTest(0, 50, 0, 50).pValue).toBe(1);
  });

  it('relative lift: risk ratio with the Katz log interval', () => {
    const r = relativeLift(45, 100, 30, 100);
    expect(r?.lift).toBeCloseTo(0.5, 12);
    // exp(log 1.5 ± 1.96·sqrt(1/45 − 1/100 + 1/30 − 1/100)) − 1
    const se = Math.sqrt(1 / 45 - 1 / 100 + 1 / 30 - 1 / 100);
    expect(r?.ci.low).toBeCloseTo(1.5 * Math.exp(-1.959963984540054 * se) - 1, 10);
    expect(relativeLift(0, 100, 30, 100)).toBeNull();
  });

  it('Wilson interval always holds the rate and stays in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, f) => {
          const x = Math.floor(f * n);
          const ci = wilson(x, n);
          return ci.low >= 0 && ci.high <= 1 && ci.low <= x / n + 1e-12 && ci.high >= x / n - 1e-12;
        },
      ),
    );
  });
});

describe('bootstrap of revenue per user', () => {
  it('is reproducible with a seed and centres on the observed difference', () => {
    const t = { users: 1000, spend: Array.from({ length: 100 }, (_, i) => 50 + (i % 10) * 10) };
    const c = { users: 1000, spend: Array.from({ length: 60 }, (_, i) => 50 + (i % 10) * 10) };
    const a = bootstrapMeanDifference(t, c, { seed: 7 });
    const b = bootstrapMeanDifference(t, c, { seed: 7 });
    expect(a).toEqual(b);
    // 100·95/1000 − 60·95/1000 = 3.8 yuan per user
    expect(a.difference).toBeCloseTo(3.8, 10);
    expect(a.ci.low).toBeLessThan(3.8);
    expect(a.ci.high).toBeGreaterThan(3.8);
    // Normal-theory check: sd of the difference ≈ 1.55 → 95 % half-width ≈ 3.0; allow ±25 %.
    expect((a.ci.high - a.ci.low) / 2).toBeGreaterThan(2.2);
    expect((a.ci.high - a.ci.low) / 2).toBeLessThan(3.8);
    expect(bootstrapMeanDifference(t, c, { seed: 8 }).ci).not.toEqual(a.ci);
  });

  it('large groups use the binomial draw and still cover the difference', () => {
    const t = { users: 200_000, spend: Array.from({ length: 10_000 }, () => 100) };
    const c = { users: 200_000, spend: Array.from({ length: 9_000 }, () => 100) };
    const r = bootstrapMeanDifference(t, c, { resamples: 500 });
    expect(r.difference).toBeCloseTo(0.5, 10);
    expect(r.ci.low).toBeGreaterThan(0.2);
    expect(r.ci.high).toBeLessThan(0.8);
  });
});

describe('A/B winner rule', () => {
  it('declares a variant that beats the control significantly', () => {
    const v = abVerdict([
      { id: 'a', users: 1000, conversions: 50 },
      { id: 'b', users: 1000, conversions: 80 },
    ]);
    expect(v.winner).toBe('b');
    expect(v.arms[1]?.vsControl?.pValue).toBeLessThan(0.05);
  });

  it('declares nothing when not significant, too small, or only the Bonferroni-corrected test fails', () => {
    expect(
      abVerdict([
        { id: 'a', users: 1000, conversions: 50 },
        { id: 'b', users: 1000, conversions: 55 },
      ]).winner,
    ).toBeNull();
    expect(
      abVerdict([
        { id: 'a', users: 50, conversions: 5 },
        { id: 'b', users: 50, conversions: 30 },
      ]).reason,
    ).toMatch(/needs ≥ 100 users/);
    // 50/1000 vs 72/1000: p ≈ 0.040 < 0.05 but > 0.025 (two comparisons)
    const three = abVerdict([
      { id: 'a', users: 1000, conversions: 50 },
      { id: 'b', users: 1000, conversions: 72 },
      { id: 'c', users: 1000, conversions: 50 },
    ]);
    expect(three.arms[1]?.vsControl?.pValue).toBeLessThan(0.05);
    expect(three.arms[1]?.vsControl?.pValue).toBeGreaterThan(0.025);
    expect(three.winner).toBeNull();
  });

  it('the control wins when every variant is significantly worse', () => {
    expect(
      abVerdict([
        { id: 'a', users: 1000, conversions: 90 },
        { id: 'b', users: 1000, conversions: 40 },
      ]).winner,
    ).toBe('a');
  });
});
