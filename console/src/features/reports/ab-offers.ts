import { formatCents, formatNumber } from '../../lib/format.ts';
import type { MessageKey } from '../../lib/i18n-dict.ts';
import { fill } from '../../lib/report-words.ts';
import type { AbOffer } from './report-types.ts';

/** The console's languages, as format.ts takes them (no JSX module here: the server's tsc reads this too). */
type Locale = Parameters<typeof formatNumber>[0];

/**
 * An offer test in words (issue 18): each variant's offer and what its offers cost as spent, so an
 * operator sees which offer won at what cost — 变体 A · 5 元优惠券 · 已花费 ¥35.00; 变体 B · 不发券.
 */

/** The offer as an operator names it: its amount and kind, or the kind alone when it varies. */
export const offerWords = (
  t: (k: MessageKey) => string,
  locale: Locale,
  offer: NonNullable<AbOffer['offer']>,
): string => {
  if (offer.amount === null) return t(`rep.ab.offerVaries.${offer.kind}`);
  // Coupons and red packets are in fen; points are points.
  const amount =
    offer.kind === 'points'
      ? formatNumber(locale, offer.amount)
      : formatNumber(locale, offer.amount / 100, offer.amount % 100 === 0 ? 0 : 2);
  return fill(t(`rep.ab.offer.${offer.kind}`), { amount });
};

/** One line per variant; none when no variant gives an offer (nothing to weigh). */
export const abOfferLines = (
  t: (k: MessageKey) => string,
  locale: Locale,
  offers: readonly AbOffer[] | undefined,
): { id: string; text: string }[] => {
  if (offers === undefined || offers.every((o) => o.offer === null)) return [];
  return offers.map((o) => ({
    id: o.id,
    text:
      o.offer === null
        ? fill(t('rep.ab.noOfferLine'), { id: o.id })
        : fill(t('rep.ab.offerLine'), {
            id: o.id,
            offer: offerWords(t, locale, o.offer),
            cost: formatCents(locale, o.offerCostCents),
          }),
  }));
};
