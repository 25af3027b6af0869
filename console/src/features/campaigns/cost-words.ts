import type { Campaign, CostEstimate, Estimate } from '../../lib/api-types.ts';
import { centsOfYuan, formatCents, formatNumber, formatPercent } from '../../lib/format.ts';
import type { MessageKey } from '../../lib/i18n-dict.ts';
import { channelName, fill } from '../../lib/report-words.ts';

/** What the calculator says, each part a labelled sentence (pure: the page and the tests read it). */
export interface CostWords {
  label: MessageKey;
  lines: string[];
  testId: string;
}

/**
 * The estimate in words and units: the audience and the holdout as a share, the direct cost
 * per channel (messages × price), coupons × expected redemption, the opportunity cost, the hidden
 * cost of disturbance, the total, the expected return and the ROI. Money in ¥ from fen.
 */
export const costWords = (
  e: Estimate,
  campaign: Pick<Campaign, 'definition'> | null,
  inputs: { userValueYuan: number },
  t: (k: MessageKey) => string,
  locale: 'zh-CN' | 'en',
): CostWords[] => {
  const cost = e.cost as CostEstimate;
  const yuan = (c: number) => formatCents(locale, c);
  const n = (v: number, digits = 0) => formatNumber(locale, v, digits);
  const pct = (v: number) => formatPercent(locale, v, 1);
  const holdoutShare = campaign?.definition.holdoutShare ?? (e.members > 0 ? e.holdout / e.members : 0);
  const offer = campaign?.definition.offer as
    { costRecognition?: 'issue' | 'redemption'; expectedRedemptionRate?: number } | null | undefined;
  const audience = [
    fill(t('calc.audience'), { members: n(e.members), messages: n(e.messages) }),
    fill(t('calc.holdout'), { share: pct(holdoutShare), n: n(e.holdout) }),
    ...(e.skipped > 0 ? [fill(t('calc.skipped'), { n: n(e.skipped) })] : []),
  ];
  // Channels of the campaign that would send nothing now still get a line (no price to show).
  const planned = new Set(e.byChannel.map((c) => c.channel));
  const idle = (campaign?.definition.channels ?? []).filter((ch) => !planned.has(ch));
  // In the campaign's own channel order (the plan lists them as it met them).
  const order = campaign?.definition.channels ?? [];
  const rank = (ch: string) => (order.indexOf(ch as never) + order.length + 1) % (order.length + 1);
  const direct = [...e.byChannel]
    .sort((a, b) => rank(a.channel) - rank(b.channel))
    .map((c) =>
      c.priceCents > 0
        ? fill(t('calc.channelLine'), {
            channel: channelName(t, c.channel),
            n: n(c.messages),
            price: yuan(c.priceCents),
            total: yuan(c.messages * c.priceCents),
          })
        : fill(t('calc.noPrice'), { channel: channelName(t, c.channel), n: n(c.messages) }),
    );
  for (const ch of idle) direct.push(fill(t('calc.channelNone'), { channel: channelName(t, ch) }));
  if (direct.length === 0) direct.push(fill(t('calc.channelNone'), { channel: t('rep.ch.other') }));
  const offers =
    e.offer === null
      ? [t('calc.noOffer')]
      : [
          offer?.costRecognition === 'issue'
            ? fill(t('calc.offerIssueLine'), {
                n: n(e.offer.issued),
                avg: yuan(e.offer.averageValueCents),
                total: yuan(cost.direct.offers),
              })
            : fill(t('calc.offerLine'), {
                n: n(e.offer.issued),
                rate: pct(
                  offer?.expectedRedemptionRate ??
                    (e.offer.issued > 0 ? cost.expectedRedemptions / e.offer.issued : 0),
                ),
                avg: yuan(e.offer.averageValueCents),
                total: yuan(cost.direct.offers),
              }),
        ];
  // An A/B test: each variant's own offers (an offer test gives them different ones, or none).
  if (e.offer !== null)
    for (const v of e.offer.byVariant)
      offers.push(
        v.issued === 0
          ? fill(t('ced.calc.variantNoOffer'), { id: v.variant })
          : fill(t('ced.calc.variantOffer'), {
              id: v.variant,
              n: n(v.issued),
              total: yuan(v.totalValueCents),
            }),
      );
  const valueCents = centsOfYuan(inputs.userValueYuan);
  const hidden =
    cost.hidden > 0 || (cost.expectedUnsubscribes > 0 && valueCents > 0)
      ? [
          fill(t('calc.hiddenLine'), {
            n: n(cost.expectedUnsubscribes, 1),
            value: yuan(valueCents),
            total: yuan(cost.hiddenBreakdown.unsubscribes),
          }),
        ]
      : [fill(t('calc.hiddenNone'), { total: yuan(cost.hidden) })];
  return [
    { label: 'calc.audienceLabel', lines: audience, testId: 'calc-audience' },
    { label: 'calc.direct', lines: direct, testId: 'calc-direct' },
    { label: 'calc.offers', lines: offers, testId: 'calc-offers' },
    {
      label: 'calc.opportunity',
      lines: [fill(t('calc.opportunityLine'), { total: yuan(cost.opportunity) })],
      testId: 'calc-opportunity',
    },
    { label: 'calc.hidden', lines: hidden, testId: 'calc-hidden' },
    {
      label: 'calc.total',
      lines: [fill(t('calc.totalLine'), { total: yuan(cost.total) })],
      testId: 'calc-total',
    },
    {
      label: 'calc.return',
      lines: [
        fill(t('calc.returnLine'), {
          conversions: n(cost.expectedConversions, 1),
          incremental: n(cost.expectedIncrementalConversions, 1),
          margin: yuan(cost.expectedIncrementalMargin),
        }),
      ],
      testId: 'calc-return',
    },
    {
      label: 'calc.roi',
      lines: [
        cost.roi === null ? t('calc.roiNone') : fill(t('calc.roiLine'), { roi: pct(cost.roi) }),
        ...(cost.costPerIncrementalConversion === null
          ? []
          : [fill(t('calc.perConversion'), { cost: yuan(cost.costPerIncrementalConversion) })]),
        fill(t('calc.reserved'), { amount: yuan(e.reservedCents) }),
      ],
      testId: 'calc-roi',
    },
  ];
};
