import type { StatsBy } from '../warehouse/message-outcomes.ts';
import type { SqlClient } from './sql-client.ts';

// Whitelisted grouping expressions (never spliced from input), the control plane's twins of the warehouse's.
const CONTROL_KEY: Record<StatsBy, string> = {
  variant: "coalesce(b.variant, '')",
  channel: 'b.channel',
  day: "to_char(b.send_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
};

/** The campaign's planned messages and the cost of their offers (cents) per group key. */
export const plannedMessagesBy = (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
  by: StatsBy,
): Promise<{ k: string; planned: string; offer_cents: string | null }[]> =>
  db.query<{ k: string; planned: string; offer_cents: string | null }>(
    `SELECT ${CONTROL_KEY[by]} AS k, count(*) AS planned, sum(o.cost) AS offer_cents
     FROM planned_messages b LEFT JOIN (
       SELECT idempotency_key, sum(cost_at_issue + cost_at_redemption) AS cost FROM offers_issued
       WHERE campaign_id = $1 AND workspace_id = $2 GROUP BY idempotency_key
     ) o ON o.idempotency_key = b.idempotency_key
     WHERE b.campaign_id = $1 AND b.workspace_id = $2 GROUP BY 1 ORDER BY 1`,
    [campaignId, workspaceId],
  );
