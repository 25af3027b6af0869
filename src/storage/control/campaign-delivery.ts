import type { SqlClient } from './sql-client.ts';

/**
 * Whether a campaign's planned messages all have an outcome, and the finishing of the campaigns
 * that were waiting for their last ones (features.md D1).
 */

/** A message without an outcome yet: waiting in the outbox, held by a worker, or in a batch. */
const OPEN_MESSAGES = (campaign: string, workspace: string) => `
  EXISTS (SELECT 1 FROM outbox o WHERE o.campaign_id = ${campaign} AND o.workspace_id = ${workspace}
          AND o.status IN ('pending', 'sending'))
  OR EXISTS (SELECT 1 FROM outbox_batches b WHERE b.campaign_id = ${campaign} AND b.workspace_id = ${workspace})`;

/** Whether some of the campaign's messages have no outcome yet. */
export const campaignHasOpenMessages = async (
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
 * Marks finished the running campaigns awaiting delivery that have no open message any more,
 * skipping rows another transaction holds; returns them. Run it inside the transaction that
 * audits the change.
 */
export const finishCampaignsWithoutOpenMessages = (
  tx: SqlClient,
  at: number,
): Promise<{ id: string; workspace_id: string }[]> =>
  tx.query<{ id: string; workspace_id: string }>(
    `UPDATE campaigns c SET status = 'finished', awaiting_delivery = false, updated_at = $1
       WHERE c.id IN (SELECT id FROM campaigns WHERE status = 'running' AND awaiting_delivery
                      FOR UPDATE SKIP LOCKED)
         AND NOT (${OPEN_MESSAGES('c.id', 'c.workspace_id')})
       RETURNING c.id, c.workspace_id`,
    [new Date(at)],
  );
