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
