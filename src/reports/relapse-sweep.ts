import { listCampaigns } from '../storage/control/campaigns.ts';
import { goalOf, type ReportsContext } from './context.ts';
import { recordRelapses } from './north-star.ts';

/** Silence after a recall conversion that counts as a relapse (features.md G7). */
export const RELAPSE_SILENT_DAYS = 30;

/**
 * Writes `recall_relapsed` events for every marketing campaign that has run (running, finished
 * or paused), so relapse alerts and relapse-triggered campaigns see them; idempotent, so it runs
 * after each attribution pass.
 */
export const sweepRelapses = async (ctx: ReportsContext, workspaceId = 'default'): Promise<number> => {
  let written = 0;
  for (const c of await listCampaigns(ctx.control, workspaceId)) {
    if (c.definition.class !== 'marketing') continue;
    if (c.status !== 'running' && c.status !== 'finished' && c.status !== 'paused') continue;
    written += await recordRelapses(ctx, c.id, goalOf(c), {
      silentDays: RELAPSE_SILENT_DAYS,
      now: ctx.clock(),
    });
  }
  return written;
};
