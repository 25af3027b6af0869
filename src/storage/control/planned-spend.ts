/**
 * What a campaign has committed of its budget (features.md E5; docs/planner.md "Budgets"): what it
 * spent plus what it still holds for messages and offers that may yet cost, never a reservation
 * that can no longer be spent.
 *
 * - A message holds its price from planning (outbox rows and not yet expanded `outbox_batches`,
 *   counted without expanding them) and keeps it once a provider took it (sent, delivered, failed
 *   receipts, and `unknown`: a provider may have charged it). A message that certainly never went
 *   out (`dead`: given up, cancelled) releases it.
 * - Its offer holds the user's own value: an offer booked at issue keeps it (`cost_at_issue`) unless
 *   its message died; one booked at redemption holds its value until it is redeemed (then
 *   `cost_at_redemption`), its bonus is granted, or it expires unredeemed (then nothing). A granted
 *   bonus (`bonus_cost_cents`) and a redemption are spent whatever became of the message.
 *
 * The arguments are SQL expressions (a column or a `$n` placeholder), never values; `nowExpr` is a
 * timestamptz (an offer still open at that instant holds its value).
 */
export const committedSpendSql = (campaignIdExpr: string, workspaceIdExpr: string, nowExpr: string): string =>
  `(coalesce((SELECT sum(o.cost_cents) FROM outbox o
              WHERE o.workspace_id = ${workspaceIdExpr} AND o.campaign_id = ${campaignIdExpr} AND o.status <> 'dead'), 0)
    + coalesce((SELECT sum(b.cost_cents::bigint * cardinality(b.user_ids)) FROM outbox_batches b
                WHERE b.workspace_id = ${workspaceIdExpr} AND b.campaign_id = ${campaignIdExpr}), 0)
    + coalesce((SELECT sum(${offerCommittedSql('oi', 'm', nowExpr)})
                FROM offers_issued oi LEFT JOIN outbox m ON m.idempotency_key = oi.idempotency_key
                WHERE oi.workspace_id = ${workspaceIdExpr} AND oi.campaign_id = ${campaignIdExpr}), 0))`;

/** What one issued offer (`oi`, its message `m` from the outbox, absent while batched) commits at `nowExpr`. */
const offerCommittedSql = (oi: string, m: string, nowExpr: string): string =>
  `(${oi}.cost_at_redemption + ${oi}.bonus_cost_cents
    + CASE WHEN ${m}.status = 'dead' THEN 0
           WHEN ${oi}.cost_recognition = 'issue' THEN ${oi}.cost_at_issue
           WHEN ${oi}.redeemed_at IS NULL AND ${oi}.bonus_granted_at IS NULL AND ${oi}.expires_at > ${nowExpr}
             THEN ${oi}.value_cents
           ELSE 0 END)`;

/**
 * Committed spend per department of a workspace: the same parts as `committedSpendSql`, summed over
 * the campaigns naming the department (`definition.department`), reading the outbox, the batches
 * and the offers once each rather than once per campaign. Rows `(department, committed)`; `$1` is
 * the workspace, `nowExpr` a timestamptz expression.
 */
export const departmentCommittedSql = (nowExpr: string): string =>
  `WITH dc AS (SELECT id, definition->>'department' AS department FROM campaigns
               WHERE workspace_id = $1 AND definition ? 'department'),
   parts AS (
     SELECT dc.department, sum(o.cost_cents) AS cents FROM outbox o JOIN dc ON dc.id = o.campaign_id
     WHERE o.workspace_id = $1 AND o.status <> 'dead' GROUP BY 1
     UNION ALL
     SELECT dc.department, sum(b.cost_cents::bigint * cardinality(b.user_ids)) FROM outbox_batches b
     JOIN dc ON dc.id = b.campaign_id WHERE b.workspace_id = $1 GROUP BY 1
     UNION ALL
     SELECT dc.department, sum(${offerCommittedSql('oi', 'm', nowExpr)}) FROM offers_issued oi
     JOIN dc ON dc.id = oi.campaign_id LEFT JOIN outbox m ON m.idempotency_key = oi.idempotency_key
     WHERE oi.workspace_id = $1 GROUP BY 1)
   SELECT department, sum(cents) AS committed FROM parts GROUP BY department`;

/** Outbox statuses of a message a provider took (or may have taken): its offer counts as issued. */
export const REACHED_PROVIDER = `('sent', 'delivered', 'failed', 'unknown')`;
