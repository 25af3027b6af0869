import type { AlertFacts, AlertRule } from '../core/alerts/rules.ts';
import {
  campaignBudgetUse,
  deliveryOutcomesBetween,
  departmentBudgetUse,
} from '../storage/control/alert-facts.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { latestChurnRiskRuns, recallRelapsesBetween } from '../storage/warehouse/alert-facts.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { DAY_MS } from '../core/time/units.ts';

/** Reads what the enabled rules look at, and nothing the rules do not need. */

export const readAlertFacts = async (
  s: { control: SqlClient; warehouse: WarehouseSql },
  ws: string,
  rules: readonly AlertRule[],
  now: number,
): Promise<AlertFacts> => {
  const kinds = new Set(rules.filter((r) => r.enabled).map((r) => r.params.kind));
  const facts: AlertFacts = {};
  if (kinds.has('churn_risk_surge')) facts.churnRuns = await latestChurnRiskRuns(s.warehouse);
  if (kinds.has('delivery_failure_rate')) {
    const windows = new Set<number>();
    for (const r of rules) if (r.params.kind === 'delivery_failure_rate') windows.add(r.params.windowMinutes);
    const delivery = new Map<number, { outcomes: number; failures: number }>();
    for (const minutes of windows)
      delivery.set(minutes, await deliveryOutcomesBetween(s.control, ws, now - minutes * 60_000, now));
    facts.delivery = delivery;
  }
  if (kinds.has('budget_near_limit')) {
    facts.campaignBudgets = await campaignBudgetUse(s.control, ws, now);
    facts.departmentBudgets = await departmentBudgetUse(s.control, ws, now);
  }
  if (kinds.has('recall_relapse'))
    facts.relapsesLastDay = await recallRelapsesBetween(s.warehouse, now - DAY_MS, now);
  return facts;
};
