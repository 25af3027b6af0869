import { refused } from '../campaigns/campaigns.ts';
import type { Actor } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import { err, ok, type Result } from '../core/result.ts';
import { getCampaign, type CampaignRecord } from '../storage/control/campaigns.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { Warehouse } from '../storage/warehouse/warehouse.ts';

export interface ReportsContext {
  control: SqlClient;
  warehouse: Warehouse;
  clock: Clock;
}

export type ReportFailure =
  | { type: 'not_found'; what: string }
  | { type: 'forbidden'; reason: string }
  | { type: 'invalid'; message: string; errors: { path: string; message: string }[] };

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
): Promise<Result<CampaignRecord, ReportFailure>> => {
  const no = refused(actor, 'campaign.read');
  if (no) return err(no as ReportFailure);
  const c = await getCampaign(ctx.control, actor.workspaceId, id);
  return c ? ok(c) : err({ type: 'not_found', what: `campaign '${id}'` });
};

/** Runs of the campaign that committed (decisions of other run ids are orphans). */
export const committedRuns = async (
  ctx: ReportsContext,
  campaignIds: readonly string[],
): Promise<string[]> => {
  const rows = await ctx.control.query<{ id: string }>(
    'SELECT id FROM campaign_runs WHERE campaign_id = ANY($1::text[])',
    [campaignIds],
  );
  return rows.map((r) => r.id);
};
