import type { StatsBy } from '../warehouse/message-outcomes.ts';
import { REACHED_PROVIDER } from './planned-spend.ts';
import type { SqlClient } from './sql-client.ts';
import { offsetSql, windowSql, type ZoneDays } from '../zone-days.ts';

// A planned message's send, in epoch ms.
const SEND_MS = '(extract(epoch FROM b.send_at) * 1000)::bigint';

// Whitelisted grouping expressions (never spliced from input; the zone's offsets are numbers), the
// control plane's twins of the warehouse's.
const controlKey = (by: StatsBy, days: ZoneDays | null): string =>
  by === 'variant'
    ? "coalesce(b.variant, '')"
    : by === 'channel'
      ? 'b.channel'
      : days === null
        ? "to_char(b.send_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        : `to_char(to_timestamp((${SEND_MS} + ${offsetSql(SEND_MS, days)}) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;

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
  /** In-app messages put in the inbox, and of them read (in-app has no delivery receipt). */
  in_app_stored: string;
  in_app_read: string;
}

/**
 * The campaign's planned messages and the cost its offers spent, per group key (docs/reports.md
 * "Cost"); days in the zone given (UTC without), and only messages planned inside its window.
 */
export const plannedMessagesBy = (
  db: SqlClient,
  workspaceId: string,
  campaignId: string,
  by: StatsBy,
  days: ZoneDays | null = null,
): Promise<PlannedGroup[]> =>
  db.query<PlannedGroup>(
    `SELECT ${controlKey(by, days)} AS k, count(*) AS planned,
            sum(o.cost_at_issue) FILTER (WHERE b.status IN ${REACHED_PROVIDER}) AS issued_cents,
            sum(o.cost_at_redemption) AS redeemed_cents, sum(o.bonus_cost_cents) AS bonus_cents,
            count(i.idempotency_key) AS in_app_stored, count(i.read_at) AS in_app_read
     FROM planned_messages b LEFT JOIN (
       SELECT idempotency_key, sum(cost_at_issue) AS cost_at_issue, sum(cost_at_redemption) AS cost_at_redemption,
              sum(bonus_cost_cents) AS bonus_cost_cents
       FROM offers_issued WHERE campaign_id = $1 AND workspace_id = $2 GROUP BY idempotency_key
     ) o ON o.idempotency_key = b.idempotency_key
     LEFT JOIN inbox_messages i ON i.idempotency_key = b.idempotency_key AND i.workspace_id = $2
     WHERE b.campaign_id = $1 AND b.workspace_id = $2 AND ${days === null ? 'TRUE' : windowSql(SEND_MS, days)}
     GROUP BY 1 ORDER BY 1`,
    [campaignId, workspaceId],
  );
