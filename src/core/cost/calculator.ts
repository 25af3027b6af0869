import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { validateWith } from '../audience/validate.ts';
import type { Cents } from '../channels/channels.ts';
import { err, ok, type Result } from '../result.ts';
import { CostPlan } from './schema.ts';

/**
 * The cost calculator (features.md G6, seed article 001 §3): what a planned campaign costs — directly
 * (messages, offers), in opportunity (offers handed to users who would have converted anyway)
 * and hidden (unsubscribes, complaints, other) — against the margin it is expected to add over
 * the holdout, before launch. Every formula is documented in docs/content-and-offers.md; the
 * numbers are expectations, so money is rounded to whole cents only at the end.
 */

export interface CostEstimate {
  direct: { messages: Cents; offers: Cents };
  /**
   * Offers redeemed by users who would have converted without the campaign: margin given away
   * for nothing. It is part of `direct.offers` (the same yuan), so `total` does not add it again.
   */
  opportunity: Cents;
  hidden: Cents;
  hiddenBreakdown: { unsubscribes: Cents; complaints: Cents; other: Cents };
  /** direct.messages + direct.offers + hidden. */
  total: Cents;
  users: number;
  expectedRedemptions: number;
  expectedUnsubscribes: number;
  expectedComplaints: number;
  expectedConversions: number;
  /** Conversions over the holdout baseline; negative when the campaign is expected to hurt. */
  expectedIncrementalConversions: number;
  expectedRevenue: Cents;
  expectedIncrementalMargin: Cents;
  /** (incremental margin − total) / total; null when nothing is spent. */
  roi: number | null;
  /** total / incremental conversions; null when there are none. */
  costPerIncrementalConversion: Cents | null;
}

export const estimateCost = (plan: CostPlan): CostEstimate => {
  const users = plan.users ?? plan.channels.reduce((n, c) => n + c.recipients, 0);
  const c = plan.conversionRate;
  const b = plan.baselineConversionRate;

  const messages = plan.channels.reduce((sum, ch) => sum + ch.recipients * ch.priceCents, 0);
  const unsubscribes = plan.channels.reduce((sum, ch) => sum + ch.recipients * (ch.unsubscribeRate ?? 0), 0);
  const complaints = plan.channels.reduce((sum, ch) => sum + ch.recipients * (ch.complaintRate ?? 0), 0);

  const offer = plan.offer;
  const issued = offer === undefined ? 0 : (offer.issued ?? users);
  const redemptions = offer === undefined ? 0 : issued * offer.redemptionRate;
  const value = offer?.valueCents ?? 0;
  const offers = offer?.recognition === 'issue' ? issued * value : redemptions * value;
  // Redemptions come with conversions, spread evenly over the converters; a share b/c of the
  // converters would have converted anyway.
  const conversions = users * c;
  const anywayShare = c > 0 ? Math.min(1, b / c) : 0;
  const anywayRedemptions = Math.min(redemptions, conversions) * anywayShare;

  const hiddenParts = {
    unsubscribes: Math.round(unsubscribes * (plan.hidden?.reachableUserValueCents ?? 0)),
    complaints: Math.round(complaints * (plan.hidden?.complaintCostCents ?? 0)),
    other: Math.round(plan.hidden?.otherCents ?? 0),
  };
  const direct = { messages: Math.round(messages), offers: Math.round(offers) };
  const hidden = hiddenParts.unsubscribes + hiddenParts.complaints + hiddenParts.other;
  const total = direct.messages + direct.offers + hidden;

  const incrementalConversions = users * (c - b);
  const incrementalMargin = Math.round(incrementalConversions * plan.averageOrderCents * plan.marginRate);
  return {
    direct,
    opportunity: Math.round(anywayRedemptions * value),
    hidden,
    hiddenBreakdown: hiddenParts,
    total,
    users,
    expectedRedemptions: redemptions,
    expectedUnsubscribes: unsubscribes,
    expectedComplaints: complaints,
    expectedConversions: conversions,
    expectedIncrementalConversions: incrementalConversions,
    expectedRevenue: Math.round(conversions * plan.averageOrderCents),
    expectedIncrementalMargin: incrementalMargin,
    roi: total > 0 ? (incrementalMargin - total) / total : null,
    costPerIncrementalConversion:
      incrementalConversions > 0 ? Math.round(total / incrementalConversions) : null,
  };
};

export interface CostPlanProblem {
  path: string;
  message: string;
}

/** A plan from the outside world → the typed plan, or every problem with its exact path. */
export const validateCostPlan = (input: unknown, root = 'plan'): Result<CostPlan, CostPlanProblem[]> => {
  const shape = validateWith<CostPlan>(CostPlan as TSchema, Value.Clone(input), root);
  if (!shape.ok) return shape;
  const plan = shape.value;
  const problems: CostPlanProblem[] = [];
  if (plan.users !== undefined) {
    plan.channels.forEach((ch, i) => {
      if (ch.recipients > (plan.users ?? 0))
        problems.push({
          path: `${root}.channels[${i}].recipients`,
          message: `${ch.recipients} is more than the ${plan.users} users targeted`,
        });
    });
  }
  const users = plan.users ?? plan.channels.reduce((n, ch) => n + ch.recipients, 0);
  if (plan.offer?.issued !== undefined && plan.offer.issued > users)
    problems.push({
      path: `${root}.offer.issued`,
      message: `${plan.offer.issued} offers for ${users} users: at most one offer per user`,
    });
  return problems.length > 0 ? err(problems) : ok(plan);
};
