import { committedSpendSql } from './planned-spend.ts';
import { listDepartmentBudgets } from './planner-settings.ts';
import type { SqlClient } from './sql-client.ts';

/** The control-plane facts the alert rules look at (features.md H2), decoded to numbers. */

/**
 * Messages with an outcome between `from` and `to` (epoch ms, `from` excluded), and how many of
 * them failed. One outcome per message: a message sent and then failed counts once, as a failure.
 */
export const deliveryOutcomesBetween = async (
  db: SqlClient,
  workspaceId: string,
  from: number,
  to: number,
): Promise<{ outcomes: number; failures: number }> => {
  const [row] = await db.query<{ outcomes: string | number; failures: string | number }>(
    `SELECT count(*) AS outcomes, count(*) FILTER (WHERE failed) AS failures FROM (
       SELECT idempotency_key, bool_or(kind IN ('failed', 'dead')) AS failed FROM message_log
       WHERE workspace_id = $1 AND at > $2 AND at <= $3 AND kind IN ('sent', 'delivered', 'failed', 'dead')
       GROUP BY idempotency_key) AS m`,
    [workspaceId, new Date(from), new Date(to)],
  );
  return { outcomes: Number(row?.outcomes ?? 0), failures: Number(row?.failures ?? 0) };
};

export interface CampaignBudgetUse {
  id: string;
  name: string;
  budgetCents: number;
  spentCents: number;
}

/** The live campaigns with a budget, and the cents committed against it at `now`. */
export const campaignBudgetUse = async (
  db: SqlClient,
  workspaceId: string,
  now: number,
): Promise<CampaignBudgetUse[]> =>
  (
    await db.query<{ id: string; name: string; budget: string | number; spent: string | number }>(
      `SELECT c.id, c.name, (c.definition->>'budgetCents')::bigint AS budget,
              ${committedSpendSql('c.id', 'c.workspace_id', '$2::timestamptz')} AS spent
       FROM campaigns c
       WHERE c.workspace_id = $1 AND c.status IN ('scheduled', 'running', 'paused') AND c.definition ? 'budgetCents'`,
      [workspaceId, new Date(now)],
    )
  ).map((r) => ({ id: r.id, name: r.name, budgetCents: Number(r.budget), spentCents: Number(r.spent) }));

export interface DepartmentBudgetUse {
  department: string;
  limitCents: number;
  reservedCents: number;
}

/** Every department budget's limit and the cents its campaigns have committed at `now`. */
export const departmentBudgetUse = async (
  db: SqlClient,
  workspaceId: string,
  now: number,
): Promise<DepartmentBudgetUse[]> => listDepartmentBudgets(db, workspaceId, now);
