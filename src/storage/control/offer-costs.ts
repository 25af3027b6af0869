import { REACHED_PROVIDER } from './planned-spend.ts';
import type { SqlClient } from './sql-client.ts';

/**
 * What offers spent in a period, per campaign (docs/reports.md "Cost"), each part on the instant
 * it is booked: an offer booked at issue when its message went out (`sent_at`; a message whose
 * outcome is `unknown` on its final instant), a redemption when redeemed, a bonus when granted.
 * Cents; never the planner's reservation.
 */

export interface OfferCostRow {
  campaignId: string;
  issuedCents: number;
  redeemedCents: number;
  bonusCents: number;
}

/** Offer costs of the workspace's campaigns booked in [from, to) (epoch ms; `to` null: open). */
export const offerCostsBetween = async (
  db: SqlClient,
  workspaceId: string,
  from: number,
  to: number | null,
): Promise<OfferCostRow[]> => {
  const rows = await db.query<{
    campaign_id: string;
    issued: string | null;
    redeemed: string | null;
    bonus: string | null;
  }>(
    `WITH o AS (
       SELECT oi.campaign_id, oi.cost_at_issue, oi.cost_at_redemption, oi.redeemed_at, oi.bonus_cost_cents,
              oi.bonus_granted_at, CASE WHEN m.status IN ${REACHED_PROVIDER} THEN coalesce(m.sent_at, m.final_at) END AS issued_at
       FROM offers_issued oi LEFT JOIN outbox m ON m.idempotency_key = oi.idempotency_key
       -- Nothing of an offer is booked before it is issued, nor after it expires.
       WHERE oi.workspace_id = $1 AND oi.expires_at >= $2 AND ($3::timestamptz IS NULL OR oi.issued_at < $3))
     SELECT campaign_id,
            sum(cost_at_issue) FILTER (WHERE issued_at >= $2 AND ($3::timestamptz IS NULL OR issued_at < $3)) AS issued,
            sum(cost_at_redemption) FILTER (WHERE redeemed_at >= $2 AND ($3::timestamptz IS NULL OR redeemed_at < $3)) AS redeemed,
            sum(bonus_cost_cents) FILTER (WHERE bonus_granted_at >= $2 AND ($3::timestamptz IS NULL OR bonus_granted_at < $3)) AS bonus
     FROM o GROUP BY campaign_id ORDER BY campaign_id`,
    [workspaceId, new Date(from), to === null ? null : new Date(to)],
  );
  return rows
    .map((r) => ({
      campaignId: r.campaign_id,
      issuedCents: Number(r.issued ?? 0),
      redeemedCents: Number(r.redeemed ?? 0),
      bonusCents: Number(r.bonus ?? 0),
    }))
    .filter((r) => r.issuedCents + r.redeemedCents + r.bonusCents > 0);
};
