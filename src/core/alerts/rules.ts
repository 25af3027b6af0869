import { Type, type Static } from '@sinclair/typebox';

/**
 * Operator alert rules (features.md H3) and their pure evaluation: facts read by the shell go in,
 * conditions come out; `dueAlerts` applies the cooldown so one condition alerts once per period.
 */

const Percent = Type.Number({ exclusiveMinimum: 0, maximum: 10_000, description: 'a percentage, e.g. 20' });

export const ChurnRiskSurge = Type.Object(
  {
    kind: Type.Literal('churn_risk_surge'),
    percent: Percent,
    minHigh: Type.Integer({
      minimum: 1,
      default: 1,
      description: 'ignore runs with fewer high-risk users than this (a jump from 1 to 3 is noise)',
    }),
  },
  {
    additionalProperties: false,
    description: 'high-risk users up more than `percent` % between the last two churn scoring runs',
  },
);
export const DeliveryFailureRate = Type.Object(
  {
    kind: Type.Literal('delivery_failure_rate'),
    percent: Percent,
    windowMinutes: Type.Integer({ minimum: 1, maximum: 10_080 }),
    minMessages: Type.Integer({
      minimum: 1,
      default: 20,
      description: 'no verdict on fewer outcomes than this',
    }),
  },
  {
    additionalProperties: false,
    description: 'failed + dead over all delivery outcomes in the last N minutes above `percent` %',
  },
);
export const BudgetNearLimit = Type.Object(
  { kind: Type.Literal('budget_near_limit'), percent: Percent },
  {
    additionalProperties: false,
    description: 'a campaign or department has spent or reserved ≥ `percent` % of its budget',
  },
);
export const RecallRelapse = Type.Object(
  {
    kind: Type.Literal('recall_relapse'),
    threshold: Type.Integer({
      minimum: 1,
      description: 'alert when at least this many relapsed in the last 24 h',
    }),
  },
  {
    additionalProperties: false,
    description: 'recalled users who lapsed again (`recall_relapsed` events) in the last day',
  },
);
export const AlertRuleParams = Type.Union([
  ChurnRiskSurge,
  DeliveryFailureRate,
  BudgetNearLimit,
  RecallRelapse,
]);
export type AlertRuleParams = Static<typeof AlertRuleParams>;
export type AlertRuleKind = AlertRuleParams['kind'];

export interface AlertRule {
  id: string;
  name: string;
  params: AlertRuleParams;
  cooldownMinutes: number;
  destinationIds: string[];
  enabled: boolean;
}

/** What the shell reads for the rules (only the parts the enabled rules need). */
export interface AlertFacts {
  /** The two most recent churn scoring runs, newest first. */
  churnRuns?: { scoredAt: number; high: number }[];
  /** Delivery outcomes per window length (minutes) in the window ending now. */
  delivery?: ReadonlyMap<number, { outcomes: number; failures: number }>;
  campaignBudgets?: { id: string; name: string; budgetCents: number; spentCents: number }[];
  departmentBudgets?: { department: string; limitCents: number; reservedCents: number }[];
  /** `recall_relapsed` events in the last 24 hours. */
  relapsesLastDay?: number;
}

export interface AlertCondition {
  ruleId: string;
  ruleKind: AlertRuleKind;
  /** What holds, stable while it holds (e.g. which campaign): the cooldown is per rule and key. */
  key: string;
  title: string;
  text: string;
  details: Record<string, unknown>;
}

const pct = (x: number): string => `${Math.round(x * 10) / 10}%`;
const yuan = (cents: number): string => (cents / 100).toFixed(2);

export const evaluateRule = (rule: AlertRule, facts: AlertFacts): AlertCondition[] => {
  const p = rule.params;
  const at = (
    key: string,
    title: string,
    text: string,
    details: Record<string, unknown>,
  ): AlertCondition => ({
    ruleId: rule.id,
    ruleKind: p.kind,
    key,
    title,
    text,
    details,
  });
  switch (p.kind) {
    case 'churn_risk_surge': {
      const [latest, previous] = facts.churnRuns ?? [];
      if (!latest || !previous || latest.high < p.minHigh) return [];
      // From zero, any count at or above minHigh is a surge.
      const up = previous.high === 0 ? Infinity : ((latest.high - previous.high) / previous.high) * 100;
      if (!(up > p.percent)) return [];
      return [
        at(
          'churn_risk_surge',
          'Churn risk surge',
          `High-risk users rose from ${previous.high} to ${latest.high} (${previous.high === 0 ? 'from zero' : `+${pct(up)}`}, threshold ${pct(p.percent)}).`,
          {
            previousHigh: previous.high,
            latestHigh: latest.high,
            scoredAt: new Date(latest.scoredAt).toISOString(),
          },
        ),
      ];
    }
    case 'delivery_failure_rate': {
      const d = facts.delivery?.get(p.windowMinutes);
      if (!d || d.outcomes < p.minMessages) return [];
      const rate = (d.failures / d.outcomes) * 100;
      if (!(rate > p.percent)) return [];
      return [
        at(
          'delivery_failure_rate',
          'Delivery failure rate high',
          `${d.failures} of ${d.outcomes} messages failed or died in the last ${p.windowMinutes} minutes (${pct(rate)}, threshold ${pct(p.percent)}).`,
          { failures: d.failures, outcomes: d.outcomes, windowMinutes: p.windowMinutes },
        ),
      ];
    }
    case 'budget_near_limit': {
      const out: AlertCondition[] = [];
      for (const c of facts.campaignBudgets ?? []) {
        // A zero budget never sends anything, so it never nears its limit.
        if (c.budgetCents <= 0) continue;
        const used = (c.spentCents / c.budgetCents) * 100;
        if (used >= p.percent)
          out.push(
            at(
              `campaign:${c.id}`,
              'Campaign budget near its limit',
              `Campaign "${c.name}" has used ¥${yuan(c.spentCents)} of ¥${yuan(c.budgetCents)} (${pct(used)}).`,
              { campaignId: c.id, spentCents: c.spentCents, budgetCents: c.budgetCents },
            ),
          );
      }
      for (const d of facts.departmentBudgets ?? []) {
        if (d.limitCents <= 0) continue;
        const used = (d.reservedCents / d.limitCents) * 100;
        if (used >= p.percent)
          out.push(
            at(
              `department:${d.department}`,
              'Department budget near its limit',
              `Department "${d.department}" has reserved ¥${yuan(d.reservedCents)} of ¥${yuan(d.limitCents)} (${pct(used)}).`,
              { department: d.department, reservedCents: d.reservedCents, limitCents: d.limitCents },
            ),
          );
      }
      return out;
    }
    case 'recall_relapse': {
      const n = facts.relapsesLastDay ?? 0;
      if (n < p.threshold) return [];
      return [
        at(
          'recall_relapse',
          'Recalled users relapsing',
          `${n} recalled users lapsed again in the last 24 hours (threshold ${p.threshold}).`,
          { relapses: n },
        ),
      ];
    }
  }
};

/**
 * The conditions to send now: those of enabled rules whose (rule, key) last fired a cooldown or
 * more ago, or never. `lastFired` maps `ruleId\u0000key` to the instant it last fired.
 */
export const dueAlerts = (
  rules: readonly AlertRule[],
  facts: AlertFacts,
  lastFired: ReadonlyMap<string, number>,
  now: number,
): AlertCondition[] => {
  const out: AlertCondition[] = [];
  for (const rule of rules) {
    if (!rule.enabled) continue;
    for (const c of evaluateRule(rule, facts)) {
      const last = lastFired.get(firedKey(c.ruleId, c.key));
      if (last === undefined || now - last >= rule.cooldownMinutes * 60_000) out.push(c);
    }
  }
  return out;
};

export const firedKey = (ruleId: string, conditionKey: string): string => `${ruleId}\u0000${conditionKey}`;

/** The longest cooldown: how far back the shell must read the alert history. */
export const longestCooldownMs = (rules: readonly AlertRule[]): number =>
  Math.max(0, ...rules.map((r) => r.cooldownMinutes * 60_000));
