import { appendAudit } from '../storage/control/audit-log.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { CampaignChange } from '../storage/control/campaigns.ts';

/** A message without an outcome yet: waiting in the outbox, held by a worker, or in a batch. */
const OPEN_MESSAGES = (campaign: string, workspace: string) => `
  EXISTS (SELECT 1 FROM outbox o WHERE o.campaign_id = ${campaign} AND o.workspace_id = ${workspace}
          AND o.status IN ('pending', 'sending'))
  OR EXISTS (SELECT 1 FROM outbox_batches b WHERE b.campaign_id = ${campaign} AND b.workspace_id = ${workspace})`;

/** Whether some of the campaign's messages have no outcome yet. */
export const hasOpenMessages = async (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
): Promise<boolean> => {
  const rows = await db.query<{ open: boolean }>(`SELECT (${OPEN_MESSAGES('$2', '$1')}) AS open`, [
    workspaceId,
    campaignId,
  ]);
  return rows[0]?.open === true;
};

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
    const done = await tx.query<{ id: string; workspace_id: string }>(
      `UPDATE campaigns c SET status = 'finished', awaiting_delivery = false, updated_at = $1
       WHERE c.id IN (SELECT id FROM campaigns WHERE status = 'running' AND awaiting_delivery
                      FOR UPDATE SKIP LOCKED)
         AND NOT (${OPEN_MESSAGES('c.id', 'c.workspace_id')})
       RETURNING c.id, c.workspace_id`,
      [new Date(at)],
    );
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
