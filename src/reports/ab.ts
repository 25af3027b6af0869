import type { Actor } from '../core/auth/roles.ts';
import { offerForVariant } from '../core/campaigns/variant-offer.ts';
import type { CostRecognition, Offer } from '../core/offers/index.ts';
import { ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import {
  abVerdict,
  DEFAULT_WINNER_RULE,
  twoProportionTest,
  wilson,
  type AbVerdict,
  type Interval,
  type WinnerRule,
} from '../core/stats/index.ts';
import { plannedMessagesBy } from '../storage/control/planned-messages-by.ts';
import { variantCounts } from '../storage/warehouse/variant-outcomes.ts';
import { readableCampaign, type ReportsContext } from './context.ts';
import { num, ratio } from './sql.ts';

/**
 * A/B (features.md G4): per variant, users sent a message and users converted (attributed conversions),
 * clicks and CTR; each variant tested against the control — the campaign's first variant as
 * defined — and a winner declared by the rule in src/core/stats/winner.ts.
 */

export interface AbReport extends AbVerdict {
  campaignId: string;
  rule: WinnerRule;
  ctr: {
    id: string;
    sent: number;
    clicked: number;
    ctr: number | null;
    ci: Interval;
    pValueVsControl: number | null;
  }[];
  /**
   * Per variant, the offer its users get (their own in an offer test, else the campaign's; null:
   * none) and what its offers cost as spent (cents: issued, redeemed, bonuses): an offer test
   * weighs conversions against what each arm gave away.
   */
  offers: {
    id: string;
    offer: {
      kind: Offer['kind'];
      costRecognition: CostRecognition;
      /** The amount everyone gets (offer's unit: fen, or points); null when it depends on the user. */
      amount: number | null;
    } | null;
    offerCostCents: number;
  }[];
}

/** A rule that gives everyone the same amount names it; one that reads the user's history cannot. */
const fixedAmount = (offer: Offer): number | null =>
  offer.amount.type === 'fixed' || offer.amount.type === 'conditional_bonus' ? offer.amount.amount : null;

export const campaignAb = async (
  ctx: ReportsContext,
  actor: Actor,
  campaignId: string,
  rule: WinnerRule = DEFAULT_WINNER_RULE,
): Outcome<AbReport> => {
  const c = await readableCampaign(ctx, actor, campaignId);
  if (!c.ok) return c;
  const defined = c.value.definition.variants.map((v) => v.id);
  const rows = await variantCounts(ctx.warehouse, campaignId);
  const byId = new Map(rows.map((r) => [r.variant, r]));
  const order = [
    ...defined,
    ...rows
      .map((r) => r.variant)
      .filter((v) => !defined.includes(v))
      .sort(),
  ];
  const arms = order.map((id) => ({
    id,
    users: num(byId.get(id)?.users),
    conversions: num(byId.get(id)?.converted),
  }));
  const verdict = abVerdict(arms, rule);
  const control = byId.get(order[0] ?? '');
  const ctr = order.map((id, i) => {
    const r = byId.get(id);
    const sent = num(r?.sent);
    const clicked = num(r?.clicked);
    return {
      id,
      sent,
      clicked,
      ctr: ratio(clicked, sent),
      ci: wilson(clicked, sent),
      pValueVsControl:
        i === 0 ? null : twoProportionTest(clicked, sent, num(control?.clicked), num(control?.sent)).pValue,
    };
  });
  const spent = new Map(
    (await plannedMessagesBy(ctx.control, actor.workspaceId, campaignId, 'variant')).map((g) => [
      g.k,
      num(g.issued_cents) + num(g.redeemed_cents) + num(g.bonus_cents),
    ]),
  );
  const offers = order.map((id) => {
    const own = offerForVariant(c.value.definition, id);
    return {
      id,
      offer: own
        ? {
            kind: own.kind,
            costRecognition: own.costRecognition ?? 'redemption',
            amount: fixedAmount(own),
          }
        : null,
      offerCostCents: spent.get(id) ?? 0,
    };
  });
  return ok({ campaignId, rule, ...verdict, ctr, offers });
};
