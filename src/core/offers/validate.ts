import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { validateWith } from '../audience/validate.ts';
import { err, ok, type Result } from '../result.ts';
import { Offer } from './schema.ts';

/** A problem of an offer definition: where (`offer.amount.tiers[1].minDays`) and why. */
export interface OfferProblem {
  path: string;
  message: string;
}

/** Checks between fields, which the schema cannot express. */
const semanticProblems = (o: Offer, root: string): OfferProblem[] => {
  const problems: OfferProblem[] = [];
  const at = (path: string, message: string) => problems.push({ path: `${root}.${path}`, message });
  const a = o.amount;

  if (o.kind === 'points' && o.pointValueCents === undefined)
    at('pointValueCents', 'is required for points (what one point costs, in cents)');
  if (o.kind !== 'points' && o.pointValueCents !== undefined)
    at('pointValueCents', `only points have a point value (this offer is a ${o.kind})`);
  if (o.minSpendCents !== undefined && o.kind !== 'coupon')
    at('minSpendCents', `only coupons have a minimum spend (this offer is a ${o.kind})`);

  if (a.type === 'by_days_lapsed') {
    a.tiers.forEach((tier, i) => {
      const before = a.tiers[i - 1];
      if (before !== undefined && tier.minDays <= before.minDays)
        at(
          `amount.tiers[${i}].minDays`,
          `must be greater than the tier before it (${tier.minDays} after ${before.minDays})`,
        );
    });
  }
  if (a.type === 'share_of_aov') {
    if (a.max < a.min) at('amount.max', `must be at least amount.min (${a.max} < ${a.min})`);
    const step = a.roundTo ?? 1;
    if (a.min % step !== 0 || a.max % step !== 0)
      at('amount.roundTo', `min (${a.min}) and max (${a.max}) must be multiples of roundTo (${step})`);
  }
  if (a.type === 'conditional_bonus' && a.condition.withinDays > o.validityDays)
    at(
      'amount.condition.withinDays',
      `the condition window (${a.condition.withinDays} days) must end before the offer expires (validityDays ${o.validityDays})`,
    );

  if (o.kind === 'coupon' && o.minSpendCents !== undefined) {
    const largest =
      a.type === 'by_days_lapsed'
        ? Math.max(...a.tiers.map((t) => t.amount))
        : a.type === 'share_of_aov'
          ? a.max
          : a.amount;
    if (largest >= o.minSpendCents)
      at(
        'minSpendCents',
        `must be greater than the largest coupon amount (${largest} cents ≥ ${o.minSpendCents}): the coupon would pay the whole order`,
      );
  }
  return problems;
};

/**
 * An offer from the outside world → the typed offer with defaults, or every problem with its
 * exact path. `root` names the offer in messages (`offer` inside a campaign, `variants[0].offer`).
 */
export const validateOffer = (input: unknown, root = 'offer'): Result<Offer, OfferProblem[]> => {
  const withDefaults: unknown =
    typeof input === 'object' && input !== null ? Value.Default(Offer, Value.Clone(input)) : input;
  const shape = validateWith<Offer>(Offer as TSchema, withDefaults, root);
  if (!shape.ok) return shape;
  const problems = semanticProblems(shape.value, root);
  return problems.length > 0 ? err(problems) : ok(shape.value);
};
