import type { Cents } from '../channels/channels.ts';

import { err, ok, type Result } from '../result.ts';
import type { Offer } from './schema.ts';
import { DAY_MS } from '../time/units.ts';

/** What the amount rules read about a user; the caller gets it from the warehouse. */
export interface UserHistory {
  /**
   * When the user lapsed (epoch ms): the end of their membership, or their last order or
   * activity — whichever the campaign is about. Needed by `by_days_lapsed`.
   */
  lapsedSince?: number | null;
  /** Average order value in cents; null or absent: the user has no orders. */
  averageOrderCents?: Cents | null;
}

export interface AmountDecision {
  /** In the offer's unit: cents for coupons and red packets, points for points. */
  amount: number;
  /** Which tier of a `by_days_lapsed` rule applied (0-based), and the days counted. */
  tier?: number;
  daysLapsed?: number;
}

export type AmountRefusal =
  { code: 'no_history'; message: string } | { code: 'not_eligible'; message: string };

/** Cents per point; `validateOffer` guarantees it for points, so its absence is a bug. */
const pointValue = (offer: Pick<Offer, 'kind' | 'pointValueCents'>): number => {
  if (offer.pointValueCents === undefined) throw new Error('a points offer without pointValueCents');
  return offer.pointValueCents;
};

/** `x` rounded to the nearest multiple of `step`, halves up. */
const roundToStep = (x: number, step: number): number => Math.floor(x / step + 0.5) * step;

/**
 * The amount a user gets under the offer's rule, at `now`. Whole days lapsed are counted
 * (`floor((now − lapsedSince) / 1 day)`); a share of the average order value is rounded to
 * `roundTo`, then held within [min, max] — a user without orders gets `min`. Points offers take
 * the share in cents and convert it with `pointValueCents`.
 */
export const decideAmount = (
  offer: Offer,
  history: UserHistory,
  now: number,
): Result<AmountDecision, AmountRefusal> => {
  const rule = offer.amount;
  switch (rule.type) {
    case 'fixed':
    case 'conditional_bonus':
      return ok({ amount: rule.amount });
    case 'by_days_lapsed': {
      if (history.lapsedSince === undefined || history.lapsedSince === null)
        return err({
          code: 'no_history',
          message: 'the amount depends on days lapsed, but the user has no lapse date',
        });
      const days = Math.floor((now - history.lapsedSince) / DAY_MS);
      let tier = -1;
      rule.tiers.forEach((t, i) => {
        if (days >= t.minDays) tier = i;
      });
      const chosen = rule.tiers[tier];
      if (chosen === undefined)
        return err({
          code: 'not_eligible',
          message: `lapsed ${days} days; the first tier starts at ${rule.tiers[0]?.minDays ?? 0} days`,
        });
      return ok({ amount: chosen.amount, tier, daysLapsed: days });
    }
    case 'share_of_aov': {
      const aov = Math.max(0, history.averageOrderCents ?? 0);
      const shareCents = aov * rule.share;
      const inUnit = offer.kind === 'points' ? shareCents / pointValue(offer) : shareCents;
      const rounded = roundToStep(inUnit, rule.roundTo ?? 1);
      return ok({ amount: Math.min(rule.max, Math.max(rule.min, rounded)) });
    }
  }
};

/** What an amount of the offer costs the business, in cents (points × the point value, rounded). */
export const valueCents = (offer: Pick<Offer, 'kind' | 'pointValueCents'>, amount: number): Cents =>
  offer.kind === 'points' ? Math.round(amount * pointValue(offer)) : amount;
