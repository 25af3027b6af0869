import { appendAudit } from '../storage/control/audit-log.ts';
import {
  campaignHasOpenMessages,
  finishCampaignsWithoutOpenMessages,
} from '../storage/control/campaign-delivery.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { CampaignChange } from '../storage/control/campaigns.ts';

/** Whether some of the campaign's messages have no outcome yet. */
export const hasOpenMessages = (db: SqlClient, workspaceId: string, campaignId: string): Promise<boolean> =>
  campaignHasOpenMessages(db, workspaceId, campaignId);

/**
 * The change that ends a campaign whose last slot (or ladder step) is planned: finished when every
 * message has an outcome, else still running — pause and cancel keep working — until the delivery
 * workers record the last one (`finishDeliveredCampaigns`).
 */
export const lastSlotChange = async (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
): Promise<CampaignChange> =>
  (await hasOpenMessages(db, workspaceId, campaignId))
    ? { status: 'running', awaitingDelivery: true }
    : { status: 'finished', awaitingDelivery: false };

/**
 * Finishes the running campaigns that were waiting for their last messages and have none open
 * any more; each gets a `campaign.finish` audit entry. Safe to run from several workers at once
 * (the row lock decides). Returns the finished campaigns' ids.
 */
export const finishDeliveredCampaigns = async (db: SqlClient, at: number): Promise<string[]> =>
  db.transaction(async (tx) => {
    const done = await finishCampaignsWithoutOpenMessages(tx, at);
    for (const c of done)
      await appendAudit(tx, {
        workspaceId: c.workspace_id,
        at,
        actorId: null,
        action: 'campaign.finish',
        objectType: 'campaign',
        objectId: c.id,
        details: { from: 'running', to: 'finished', reason: 'every message has an outcome' },
      });
    return done.map((c) => c.id);
  });
