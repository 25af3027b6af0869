import type { Actor } from '../core/auth/roles.ts';
import { ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { campaignStats } from './campaign-stats.ts';
import { goalOf, readableCampaign, type ReportsContext } from './context.ts';
import { incrementalRoi, type IncrementalRoi } from './incremental-roi.ts';
import { holdoutComparison } from './lift.ts';

/**
 * A campaign's return two ways (issue 18): attributed — every order its recipients made in the
 * attribution window over what it spent, the campaign stats' ROI — and incremental — only what it
 * added over its holdout (src/reports/incremental-roi.ts). The first flatters a campaign sent to
 * users who buy anyway; operators see both side by side. Money in fen.
 */

export interface CampaignRoi {
  campaignId: string;
  attributed: {
    /** Revenue of the conversions attributed to the campaign, in fen. */
    revenueCents: number;
    costCents: number;
    /** (revenue − cost) / cost; null without cost. */
    roi: number | null;
  };
  incremental: IncrementalRoi | null;
}

export const campaignRoi = async (
  ctx: ReportsContext,
  actor: Actor,
  campaignId: string,
): Outcome<CampaignRoi> => {
  const c = await readableCampaign(ctx, actor, campaignId);
  if (!c.ok) return c;
  const stats = await campaignStats(ctx, actor, campaignId, 'variant');
  if (!stats.ok) return stats;
  const { total } = stats.value;
  const held = await holdoutComparison(ctx, campaignId, goalOf(c.value));
  return ok({
    campaignId,
    attributed: { revenueCents: Math.round(total.revenue * 100), costCents: total.costCents, roi: total.roi },
    incremental: incrementalRoi(held.vsHoldout, held, total.costCents),
  });
};
