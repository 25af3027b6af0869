import type { Cents } from '../channels/channels.ts';
import type { IssuedOffer } from '../offers/issue.ts';
import type { Offer } from '../offers/schema.ts';
import type { OfferPlan } from './schema.ts';

/**
 * The calculator's offer line from an offer definition. Amounts that depend on the user (tiers,
 * a share of order value) have no single value, so the caller passes the average value of the
 * offers issued to a sample of the audience (`averageValueCents`).
 */
export const offerPlan = (
  offer: Pick<Offer, 'expectedRedemptionRate' | 'costRecognition'>,
  averageValueCents: Cents,
): OfferPlan => ({
  valueCents: averageValueCents,
  redemptionRate: offer.expectedRedemptionRate,
  recognition: offer.costRecognition,
});

/** Mean value of issued offers, in cents (0 for none). */
export const averageValueCents = (issued: readonly Pick<IssuedOffer, 'valueCents'>[]): Cents =>
  issued.length === 0 ? 0 : issued.reduce((sum, o) => sum + o.valueCents, 0) / issued.length;

/**
 * The calculator's one offer line for offers of several kinds (an A/B offer test: each variant's
 * own offer, issued to its recipients). The line's direct cost is exactly the sum of each
 * offer's: value is the mean over all issued offers, and the redemption rate is weighted by the
 * value issued, an offer booked at issue counting as always redeemed (it costs whether or not it
 * is). All at issue: booked at issue. The expected redemptions are then value-weighted, an
 * approximation that only the redemption count shows.
 */
export const blendedOfferPlan = (
  parts: readonly {
    offer: Pick<Offer, 'expectedRedemptionRate' | 'costRecognition'>;
    issued: number;
    totalValueCents: Cents;
  }[],
): OfferPlan & { issued: number } => {
  const given = parts.filter((p) => p.issued > 0);
  const issued = given.reduce((n, p) => n + p.issued, 0);
  const total = given.reduce((n, p) => n + p.totalValueCents, 0);
  const valueCents = issued === 0 ? 0 : total / issued;
  const first = given[0];
  if (given.length <= 1)
    return {
      valueCents,
      redemptionRate: first?.offer.expectedRedemptionRate ?? 0,
      recognition: first?.offer.costRecognition ?? 'redemption',
      issued,
    };
  if (given.every((p) => p.offer.costRecognition === 'issue'))
    return {
      valueCents,
      redemptionRate:
        total === 0
          ? 0
          : given.reduce((n, p) => n + p.totalValueCents * p.offer.expectedRedemptionRate, 0) / total,
      recognition: 'issue',
      issued,
    };
  const costed = given.reduce(
    (n, p) =>
      n + p.totalValueCents * (p.offer.costRecognition === 'issue' ? 1 : p.offer.expectedRedemptionRate),
    0,
  );
  return { valueCents, redemptionRate: total === 0 ? 0 : costed / total, recognition: 'redemption', issued };
};
