import { killCampaignMessages } from '../storage/control/outbox.ts';
import { expandCampaignBatches } from './batches.ts';
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
  return killCampaignMessages(tx, workspaceId, campaignId, at);
};
