import { relapseDays } from '../core/scores/config.ts';
import { loadScoreConfig } from '../scores/score-config.ts';
import { listCampaigns } from '../storage/control/campaigns.ts';
import { goalOf, type ReportsContext } from './context.ts';
import { recordRelapses } from './north-star.ts';

/**
 * Writes `recall_relapsed` events for every marketing campaign that has run (running, finished
 * or paused), so relapse alerts and relapse-triggered campaigns see them; idempotent, so it runs
 * after each attribution pass. The silence that counts as a relapse is the workspace's
 * `relapse.silentDays` in the scoring configuration (features.md G7; 30 days unless set); a user
 * marked under an earlier window keeps their event (it is written once).
 */
export const sweepRelapses = async (ctx: ReportsContext, workspaceId = 'default'): Promise<number> => {
  const silentDays = relapseDays((await loadScoreConfig(ctx.control, workspaceId)).config);
  let written = 0;
  for (const c of await listCampaigns(ctx.control, workspaceId)) {
    if (!isRelapseTracked(c)) continue;
    written += await recordRelapses(ctx, c.id, goalOf(c), { silentDays, now: ctx.clock() });
  }
  return written;
};

/** Marketing campaigns that have run: the ones whose recalled users can relapse. */
export const isRelapseTracked = (c: { definition: { class: string }; status: string }): boolean =>
  c.definition.class === 'marketing' &&
  (c.status === 'running' || c.status === 'finished' || c.status === 'paused');
