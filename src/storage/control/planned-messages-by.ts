import type { StatsBy } from '../warehouse/message-outcomes.ts';
import { REACHED_PROVIDER } from './planned-spend.ts';
import type { SqlClient } from './sql-client.ts';

// Whitelisted grouping expressions (never spliced from input), the control plane's twins of the warehouse's.
const CONTROL_KEY: Record<StatsBy, string> = {
  variant: "coalesce(b.variant, '')",
  channel: 'b.channel',
  day: "to_char(b.send_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
};

/** One group's planned messages and what its offers cost (cents), as spent, never as reserved. */
export interface PlannedGroup {
  k: string;
  planned: string;
  /** Offers booked at issue whose message a provider took (an offer in an unsent message is not issued yet). */
  issued_cents: string | null;
  /** Offers booked at redemption that were redeemed. */
  redeemed_cents: string | null;
  /** Conditional bonuses granted. */
  bonus_cents: string | null;
}

/** The campaign's planned messages and the cost its offers spent, per group key (docs/reports.md "Cost"). */
export const plannedMessagesBy = (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
  by: StatsBy,
): Promise<PlannedGroup[]> =>
  db.query<PlannedGroup>(
    `SELECT ${CONTROL_KEY[by]} AS k, count(*) AS planned,
            sum(o.cost_at_issue) FILTER (WHERE b.status IN ${REACHED_PROVIDER}) AS issued_cents,
            sum(o.cost_at_redemption) AS redeemed_cents, sum(o.bonus_cost_cents) AS bonus_cents
     FROM planned_messages b LEFT JOIN (
       SELECT idempotency_key, sum(cost_at_issue) AS cost_at_issue, sum(cost_at_redemption) AS cost_at_redemption,
              sum(bonus_cost_cents) AS bonus_cost_cents
       FROM offers_issued WHERE campaign_id = $1 AND workspace_id = $2 GROUP BY idempotency_key
     ) o ON o.idempotency_key = b.idempotency_key
     WHERE b.campaign_id = $1 AND b.workspace_id = $2 GROUP BY 1 ORDER BY 1`,
    [campaignId, workspaceId],
  );
