import type { Cents } from '../channels/channels.ts';
import type { Offer } from './schema.ts';

/**
 * The most one issued offer can cost, in cents, whoever gets it: the largest amount its rule can
 * give (points at their value). The planner reserves this per message, so a campaign with an
 * offer never overspends its budget even if every offer is redeemed.
 */
export const maxOfferValueCents = (offer: Offer): Cents => {
  const a = offer.amount;
  const units =
    a.type === 'fixed'
      ? a.amount
      : a.type === 'by_days_lapsed'
        ? Math.max(...a.tiers.map((t) => t.amount))
        : a.type === 'share_of_aov'
          ? a.max
          : a.amount;
  return Math.ceil(offer.kind === 'points' ? units * (offer.pointValueCents ?? 0) : units);
};
