import { expandCampaignBatches } from '../planner/outbox-batches.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

/**
 * A cancelled campaign's messages not yet sent become dead letters (`campaign_cancelled`), in the
 * cancelling transaction, each with its message-log entry, so reports count them and nothing of
 * the campaign goes out after the operator pressed cancel: that includes messages a worker has
 * claimed but not yet started (its next wave skips them). Messages whose provider call has begun
 * finish (the provider may already have them). Returns how many were stopped.
 */
export const cancelPendingMessages = async (
  tx: SqlClient,
  workspaceId: string,
  campaignId: string,
  at: number,
): Promise<number> => {
  // Batches not yet expanded become outbox rows first, so each stopped message is logged.
  await expandCampaignBatches(tx, workspaceId, campaignId);
  const rows = await tx.query<{ n: string | number }>(
    `WITH stopped AS (
       UPDATE outbox SET status = 'dead', dead_reason = 'campaign_cancelled', final_at = $3,
                         lease_until = NULL, claim_token = NULL
       WHERE workspace_id = $1 AND campaign_id = $2
         AND (status = 'pending' OR (status = 'sending' AND started_at IS NULL))
       RETURNING workspace_id, idempotency_key, campaign_id, run_id, step, variant, user_id, channel, attempts
     ), logged AS (
       INSERT INTO message_log (workspace_id, idempotency_key, campaign_id, run_id, step, variant, user_id,
                                channel, kind, at, properties)
       SELECT workspace_id, idempotency_key, campaign_id, run_id, step, variant, user_id, channel, 'dead', $3,
              jsonb_build_object('reason', 'campaign_cancelled', 'attempts', attempts)
       FROM stopped
       RETURNING 1
     )
     SELECT count(*) AS n FROM logged`,
    [workspaceId, campaignId, new Date(at)],
  );
  return Number(rows[0]?.n ?? 0);
};
