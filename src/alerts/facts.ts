import type { AlertFacts, AlertRule } from '../core/alerts/rules.ts';
import { plannedSpendSql } from '../storage/control/planned-spend.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { Warehouse } from '../storage/warehouse/warehouse.ts';
import { DAY_MS } from '../core/time/units.ts';

/** Reads what the enabled rules look at, and nothing the rules do not need. */

export const readAlertFacts = async (
  s: { control: SqlClient; warehouse: Warehouse },
  ws: string,
  rules: readonly AlertRule[],
  now: number,
): Promise<AlertFacts> => {
  const kinds = new Set(rules.filter((r) => r.enabled).map((r) => r.params.kind));
  const facts: AlertFacts = {};
  if (kinds.has('churn_risk_surge')) {
    const runs = await s.warehouse.query<{ scored_at: Date; high: number }>(
      'SELECT scored_at, high FROM churn_risk_runs ORDER BY scored_at DESC, as_of DESC LIMIT 2',
    );
    facts.churnRuns = runs.map((r) => ({ scoredAt: r.scored_at.getTime(), high: Number(r.high) }));
  }
  if (kinds.has('delivery_failure_rate')) {
    const windows = new Set<number>();
    for (const r of rules) if (r.params.kind === 'delivery_failure_rate') windows.add(r.params.windowMinutes);
    const delivery = new Map<number, { outcomes: number; failures: number }>();
    for (const minutes of windows) {
      // One outcome per message: a message sent and then failed counts once, as a failure.
      const [row] = await s.control.query<{ outcomes: string | number; failures: string | number }>(
        `SELECT count(*) AS outcomes, count(*) FILTER (WHERE failed) AS failures FROM (
           SELECT idempotency_key, bool_or(kind IN ('failed', 'dead')) AS failed FROM message_log
           WHERE workspace_id = $1 AND at > $2 AND at <= $3 AND kind IN ('sent', 'delivered', 'failed', 'dead')
           GROUP BY idempotency_key) AS m`,
        [ws, new Date(now - minutes * 60_000), new Date(now)],
      );
      delivery.set(minutes, { outcomes: Number(row?.outcomes ?? 0), failures: Number(row?.failures ?? 0) });
    }
    facts.delivery = delivery;
  }
  if (kinds.has('budget_near_limit')) {
    facts.campaignBudgets = (
      await s.control.query<{ id: string; name: string; budget: string | number; spent: string | number }>(
        `SELECT c.id, c.name, (c.definition->>'budgetCents')::bigint AS budget,
                ${plannedSpendSql('c.id', 'c.workspace_id')} AS spent
         FROM campaigns c
         WHERE c.workspace_id = $1 AND c.status IN ('scheduled', 'running', 'paused') AND c.definition ? 'budgetCents'`,
        [ws],
      )
    ).map((r) => ({ id: r.id, name: r.name, budgetCents: Number(r.budget), spentCents: Number(r.spent) }));
    facts.departmentBudgets = (
      await s.control.query<{
        department: string;
        limit_cents: string | number;
        reserved_cents: string | number;
      }>('SELECT department, limit_cents, reserved_cents FROM department_budgets WHERE workspace_id = $1', [
        ws,
      ])
    ).map((r) => ({
      department: r.department,
      limitCents: Number(r.limit_cents),
      reservedCents: Number(r.reserved_cents),
    }));
  }
  if (kinds.has('recall_relapse')) {
    const [row] = await s.warehouse.query<{ n: bigint | number }>(
      `SELECT count(*) AS n FROM events WHERE event = 'recall_relapsed' AND ts > $1::TIMESTAMP AND ts <= $2::TIMESTAMP`,
      [new Date(now - DAY_MS).toISOString(), new Date(now).toISOString()],
    );
    facts.relapsesLastDay = Number(row?.n ?? 0);
  }
  return facts;
};
