import type { Actor } from '../core/auth/roles.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { abVerdict, DEFAULT_WINNER_RULE, type AbVerdict, type WinnerRule } from '../core/stats/index.ts';
import { campaignArmCounts } from '../storage/warehouse/variant-outcomes.ts';
import { readableCampaign, type ReportsContext } from './context.ts';
import { num } from './sql.ts';

/**
 * Audience tests (features.md G4, "variants of audience"): the same offer and copy sent to different
 * audiences are different campaigns, so an audience test compares campaigns as arms — users sent
 * a message and users converted (attributed) in each — with the same test and winner rule as a
 * campaign's variants. The first campaign listed is the control.
 */
export interface CompareReport extends AbVerdict {
  campaignIds: string[];
  rule: WinnerRule;
}

export const compareCampaigns = async (
  ctx: ReportsContext,
  actor: Actor,
  campaignIds: readonly string[],
  rule: WinnerRule = DEFAULT_WINNER_RULE,
): Outcome<CompareReport> => {
  const ids = [...new Set(campaignIds)];
  if (ids.length < 2 || ids.length > 10)
    return err({ type: 'invalid', message: 'compare two to ten different campaigns', errors: [] });
  for (const id of ids) {
    const c = await readableCampaign(ctx, actor, id);
    if (!c.ok) return c;
  }
  const rows = await campaignArmCounts(ctx.warehouse, ids);
  const byId = new Map(rows.map((r) => [r.campaign_id, r]));
  const arms = ids.map((id) => ({
    id,
    users: num(byId.get(id)?.users),
    conversions: num(byId.get(id)?.converted),
  }));
  return ok({ campaignIds: ids, rule, ...abVerdict(arms, rule) });
};
