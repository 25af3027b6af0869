import type { Offer } from '../offers/schema.ts';
import { assignmentOf, variantOf } from '../planner/assignment.ts';
import { hashString } from '../planner/hash.ts';

/**
 * Per-variant offers (issue 18, "A/B: edit each variant's … offer"): an A/B variant may carry its
 * own `offer` — an Offer, or null for "this variant gets no offer" (an offer test: ¥5 vs ¥10 vs
 * none); a variant without the key gets the campaign's. Every place that issues, reserves, costs
 * or reports an offer asks here, so they all agree on who gets what.
 */

/** The parts of a definition this reads; loose, so stored definitions read as records fit too. */
export interface OfferedDefinition {
  offer?: unknown;
  holdoutShare?: number;
  variants?: readonly { id: string; weight: number; offer?: unknown }[];
}

/**
 * The offer members of variant `variantId` get; undefined: none. `variantId` null (no A/B test,
 * or a message without a variant) or unknown: the campaign's own offer.
 */
export const offerForVariant = (d: OfferedDefinition, variantId: string | null): Offer | undefined => {
  const v = variantId === null ? undefined : d.variants?.find((x) => x.id === variantId);
  if (v !== undefined && v.offer !== undefined) return v.offer === null ? undefined : (v.offer as Offer);
  return d.offer === undefined || d.offer === null ? undefined : (d.offer as Offer);
};

/**
 * The distinct offer choices of a campaign: the campaign's own (variant null) when some member
 * can get it, and each variant's own (`offer` set, null included). A member's offer is the one
 * of their variant here, else the campaign's.
 */
export const offerChoices = (
  d: OfferedDefinition,
): { variant: string | null; offer: Offer | undefined }[] => {
  const variants = d.variants ?? [];
  const own = variants.filter((v) => v.offer !== undefined);
  const inherits = variants.length === 0 || own.length < variants.length;
  return [
    ...(inherits ? [{ variant: null, offer: offerForVariant(d, null) }] : []),
    ...own.map((v) => ({ variant: v.id, offer: offerForVariant(d, v.id) })),
  ];
};

/** Whether any member of the campaign can get an offer (its own, or a variant's). */
export const hasAnyOffer = (d: OfferedDefinition): boolean =>
  offerChoices(d).some((c) => c.offer !== undefined);

/**
 * The variant a member of campaign `campaignId` is in: the planner's draw (core/planner/assignment.ts,
 * a stable hash of campaign and user), so a shell that needs the variant before or beside the plan
 * (a sample message, a ladder's pricing) gets the one the planner gives. null without a test.
 */
export const memberVariant = (campaignId: string, d: OfferedDefinition, userId: string): string | null => {
  const variants = d.variants ?? [];
  if (variants.length === 0) return null;
  return variantOf(assignmentOf(campaignId, d.holdoutShare ?? 0, variants), hashString(userId));
};

/** The offer a member gets with the campaign: their variant's, else the campaign's; undefined: none. */
export const memberOffer = (campaignId: string, d: OfferedDefinition, userId: string): Offer | undefined =>
  offerForVariant(d, memberVariant(campaignId, d, userId));
