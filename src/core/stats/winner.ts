import { newcombeDifference, twoProportionTest, wilson, type Interval } from './proportions.ts';

/**
 * The A/B winner rule (features.md G4). Every variant is compared with the control (the first arm)
 * by a two-proportion z-test; with k arms there are k − 1 comparisons, so each is judged at
 * α / (k − 1) (Bonferroni) to keep the chance of any false winner at α. A winner is declared
 * only when every arm has at least `minSample` users and `minConversions` conversions
 * (the normal approximation needs them), and:
 *   - some variant is significantly better than the control → the best such variant wins;
 *   - else, every variant is significantly worse than the control → the control wins;
 *   - else no winner ("not yet significant").
 */

export interface Arm {
  id: string;
  users: number;
  conversions: number;
}

export interface ArmComparison {
  id: string;
  users: number;
  conversions: number;
  rate: number;
  ci: Interval;
  /** Against the control; null for the control itself. */
  vsControl: { difference: number; ci: Interval; z: number; pValue: number; significant: boolean } | null;
}

export interface WinnerRule {
  alpha: number;
  minSample: number;
  minConversions: number;
}

export const DEFAULT_WINNER_RULE: WinnerRule = { alpha: 0.05, minSample: 100, minConversions: 5 };

export interface AbVerdict {
  control: string | null;
  arms: ArmComparison[];
  /** α per comparison after the Bonferroni correction. */
  alphaPerComparison: number;
  winner: string | null;
  reason: string;
}

export const abVerdict = (arms: readonly Arm[], rule: WinnerRule = DEFAULT_WINNER_RULE): AbVerdict => {
  const control = arms[0];
  if (control === undefined || arms.length < 2)
    return {
      control: control?.id ?? null,
      arms: arms.map((a) => armOf(a, null, 1)),
      alphaPerComparison: rule.alpha,
      winner: null,
      reason: 'an A/B test needs at least two variants',
    };
  const alphaEach = rule.alpha / (arms.length - 1);
  const compared = arms.map((a, i) => armOf(a, i === 0 ? null : control, alphaEach));
  const small = arms.find((a) => a.users < rule.minSample || a.conversions < rule.minConversions);
  const base = { control: control.id, arms: compared, alphaPerComparison: alphaEach };
  if (small)
    return {
      ...base,
      winner: null,
      reason: `variant ${small.id} has ${small.users} users and ${small.conversions} conversions; a winner needs ≥ ${rule.minSample} users and ≥ ${rule.minConversions} conversions in every variant`,
    };
  const others = compared.slice(1);
  const better = others.filter(
    (a) => a.vsControl !== null && a.vsControl.significant && a.vsControl.difference > 0,
  );
  if (better.length > 0) {
    const best = better.reduce((x, y) => (y.rate > x.rate ? y : x));
    return {
      ...base,
      winner: best.id,
      reason: `${best.id} converts better than ${control.id} (p < ${fmt(alphaEach)})`,
    };
  }
  if (others.every((a) => a.vsControl !== null && a.vsControl.significant && a.vsControl.difference < 0))
    return {
      ...base,
      winner: control.id,
      reason: `every variant converts worse than ${control.id} (p < ${fmt(alphaEach)})`,
    };
  return {
    ...base,
    winner: null,
    reason: `no difference from ${control.id} is significant at ${fmt(alphaEach)} yet`,
  };
};

const fmt = (x: number) => String(Math.round(x * 10_000) / 10_000);

const armOf = (a: Arm, control: Arm | null, alphaEach: number): ArmComparison => {
  const rate = a.users > 0 ? a.conversions / a.users : 0;
  if (control === null) return { ...a, rate, ci: wilson(a.conversions, a.users), vsControl: null };
  const t = twoProportionTest(a.conversions, a.users, control.conversions, control.users);
  return {
    ...a,
    rate,
    ci: wilson(a.conversions, a.users),
    vsControl: {
      difference: t.difference,
      ci: newcombeDifference(a.conversions, a.users, control.conversions, control.users),
      z: t.z,
      pValue: t.pValue,
      significant: t.pValue < alphaEach,
    },
  };
};
