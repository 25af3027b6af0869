/**
 * SQL for the spend booked per campaign: its outbox rows plus its not yet expanded
 * `outbox_batches` (cost × users), without expanding them. The arguments are SQL expressions
 * (a column or a `$n` placeholder), never values.
 */
export const plannedSpendSql = (campaignIdExpr: string, workspaceIdExpr: string): string =>
  `(coalesce((SELECT sum(o.cost_cents) FROM outbox o WHERE o.workspace_id = ${workspaceIdExpr} AND o.campaign_id = ${campaignIdExpr}), 0)
    + coalesce((SELECT sum(b.cost_cents::bigint * cardinality(b.user_ids)) FROM outbox_batches b
                WHERE b.workspace_id = ${workspaceIdExpr} AND b.campaign_id = ${campaignIdExpr}), 0))`;
