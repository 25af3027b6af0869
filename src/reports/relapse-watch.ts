import { refused } from '../campaigns/campaigns.ts';
import type { Actor } from '../core/auth/roles.ts';
import { relapseDays } from '../core/scores/config.ts';
import { DAY_MS } from '../core/time/units.ts';
import { err, ok } from '../core/result.ts';
import { notFound, type Outcome } from '../core/service-failure.ts';
import { loadScoreConfig } from '../scores/score-config.ts';
import { getCampaign, listCampaigns, type CampaignRecord } from '../storage/control/campaigns.ts';
import { relapseStates, type RelapseState, type RelapseStatus } from '../storage/warehouse/recall-cohorts.ts';
import { goalOf, type ReportsContext } from './context.ts';
import { scopeOf } from './north-star.ts';
import { isRelapseTracked } from './relapse-sweep.ts';

/**
 * The relapse view (features.md G7): for each marketing campaign that has run, its recalled users
 * (treated users who converted) by where they stand against the workspace's relapse window —
 * retained (an event of their own within the window), watching (silent so far, window still
 * open) or relapsed (silent through the whole window) — and the watched and relapsed users
 * themselves, most urgent first.
 */

export interface RelapseCampaignCounts {
  campaignId: string;
  name: string;
  recalled: number;
  retained: number;
  watching: number;
  relapsed: number;
  /** relapsed / (users whose window has closed: retained + relapsed); null when none has. */
  relapseRate: number | null;
}

export interface RelapseUser extends RelapseState {
  campaignId: string;
  /** When the window closes (convertedAt + window). */
  windowEndsAt: number;
}

export interface RelapseWatch {
  silentDays: number;
  now: number;
  campaigns: RelapseCampaignCounts[];
  /** Watching and relapsed users: watching by the nearest window end, then relapsed by the latest. */
  users: RelapseUser[];
  /** Watching and relapsed users in all, before `limit`. */
  usersTotal: number;
}

/** Counts of one campaign's states (pure). */
export const countRelapses = (
  c: { id: string; name: string },
  states: readonly Pick<RelapseState, 'status'>[],
): RelapseCampaignCounts => {
  const n = (s: RelapseStatus) => states.filter((x) => x.status === s).length;
  const retained = n('retained');
  const relapsed = n('relapsed');
  return {
    campaignId: c.id,
    name: c.name,
    recalled: states.length,
    retained,
    watching: n('watching'),
    relapsed,
    relapseRate: retained + relapsed > 0 ? relapsed / (retained + relapsed) : null,
  };
};

/** Watching users first (the soonest window end first), then relapsed ones (the latest first). */
export const urgentFirst = (a: RelapseUser, b: RelapseUser): number => {
  if (a.status !== b.status) return a.status === 'watching' ? -1 : 1;
  const d = a.status === 'watching' ? a.windowEndsAt - b.windowEndsAt : b.windowEndsAt - a.windowEndsAt;
  return d !== 0 ? d : a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
};

export const relapseWatch = async (
  ctx: ReportsContext,
  actor: Actor,
  q: {
    campaignId?: string | undefined;
    status?: 'watching' | 'relapsed' | undefined;
    limit: number;
    /** Only users who converted in [fromMs, toMs) — the counts as well as the list. */
    converted?: { fromMs: number; toMs: number } | undefined;
  },
): Outcome<RelapseWatch> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  let campaigns: CampaignRecord[];
  if (q.campaignId !== undefined) {
    const c = await getCampaign(ctx.control, actor.workspaceId, q.campaignId);
    if (!c) return err(notFound(`campaign '${q.campaignId}'`));
    campaigns = [c];
  } else campaigns = (await listCampaigns(ctx.control, actor.workspaceId)).filter(isRelapseTracked);
  const silentDays = relapseDays((await loadScoreConfig(ctx.control, actor.workspaceId)).config);
  const silentMs = silentDays * DAY_MS;
  const now = ctx.clock();
  const counts: RelapseCampaignCounts[] = [];
  const users: RelapseUser[] = [];
  for (const c of campaigns) {
    const states = await relapseStates(ctx.warehouse, await scopeOf(ctx, c.id, goalOf(c)), {
      silentMs,
      now,
      convertedFrom: q.converted?.fromMs ?? null,
      convertedTo: q.converted?.toMs ?? null,
    });
    counts.push(countRelapses(c, states));
    for (const s of states)
      if (s.status !== 'retained' && (q.status === undefined || s.status === q.status))
        users.push({ ...s, campaignId: c.id, windowEndsAt: s.convertedAt + silentMs });
  }
  users.sort(urgentFirst);
  return ok({ silentDays, now, campaigns: counts, users: users.slice(0, q.limit), usersTotal: users.length });
};
