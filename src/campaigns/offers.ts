import type { Actor } from '../core/auth/roles.ts';
import { normaliseOfferCode } from '../core/offers/index.ts';
import { err, ok } from '../core/result.ts';
import { notFound, type Outcome } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import { redeemOffer, type RedeemedOffer } from '../storage/control/offers-issued.ts';
import { refused, type CampaignContext } from './campaigns.ts';

/**
 * Redemption of an issued offer (features.md D4): the shop's backend reports the code when the user
 * uses it; the cost is booked at redemption when the offer says so. Idempotent: a second report
 * of the same code answers `alreadyRedeemed` and books nothing.
 */
export const redeemOfferAs = async (
  ctx: CampaignContext,
  actor: Actor,
  code: string,
): Outcome<RedeemedOffer & { alreadyRedeemed: boolean }> => {
  const no = refused(actor, 'offer.redeem');
  if (no) return err(no);
  const normal = normaliseOfferCode(code);
  const at = ctx.clock();
  const r = await redeemOffer(ctx.control, actor.workspaceId, normal, at);
  if (r === null) return err(notFound(`offer '${normal}' (or it has expired)`));
  if (!r.already)
    await appendAudit(ctx.control, {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'offer.redeem',
      objectType: 'offer',
      objectId: normal,
      details: { campaignId: r.offer.campaignId, costAtRedemption: r.offer.costAtRedemption },
    });
  return ok({ ...r.offer, alreadyRedeemed: r.already });
};
