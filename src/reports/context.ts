import { refused } from '../campaigns/campaigns.ts';
import type { Actor } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import { err, ok } from '../core/result.ts';
import { notFound, type Outcome } from '../core/service-failure.ts';
import { getCampaign, type CampaignRecord } from '../storage/control/campaigns.ts';
import { committedRunIds } from '../storage/control/campaign-runs.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

export interface ReportsContext {
  control: SqlClient;
  warehouse: WarehouseSql;
  clock: Clock;
}

/** The campaign's goal, or the default (an order within 3 days) when it has none. */
export interface Goal {
  event: string;
  withinDays: number;
}
export const DEFAULT_GOAL: Goal = { event: 'order', withinDays: 3 };
export const goalOf = (c: CampaignRecord): Goal => c.definition.goal ?? DEFAULT_GOAL;

/** Every report is readable by every role (campaign.read); the campaign must be the actor's. */
export const readableCampaign = async (
  ctx: ReportsContext,
  actor: Actor,
  id: string,
): Outcome<CampaignRecord> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no);
  const c = await getCampaign(ctx.control, actor.workspaceId, id);
  return c ? ok(c) : err(notFound(`campaign '${id}'`));
};

/** Runs of the campaign that committed (decisions of other run ids are orphans). */
export const committedRuns = async (ctx: ReportsContext, campaignIds: readonly string[]): Promise<string[]> =>
  committedRunIds(ctx.control, campaignIds);
