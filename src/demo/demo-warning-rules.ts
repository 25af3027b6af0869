import type { Actor } from '../core/auth/roles.ts';
import type { ScoresContext } from '../scores/context.ts';
import { createRule, NOT_CHURNED, type WarningRuleInput } from '../scores/warning-rules.ts';
import { listWarningRules } from '../storage/control/warning-rules.ts';

/**
 * Early-warning rules for the demo app, after the seed article (002 §02): "more than 15 days
 * without a login and a balance under 100" — here a visit (`app_open`), since the demo's
 * sessions do not always log in again —, valuable buyers going quiet, and new users from
 * distribution channels who stop coming in their first week.
 */
export const DEMO_WARNING_RULES: readonly WarningRuleInput[] = [
  {
    name: 'Quiet for 15 days, balance under 100',
    description: 'No visit in 15 days and less than 100 in the wallet, not churned yet.',
    level: 'warning',
    definition: {
      kind: 'and',
      children: [
        { kind: 'did_not', event: 'app_open', window: { type: 'last_days', days: 15 } },
        { kind: 'attribute', attribute: 'balance', op: 'lt', value: 100 },
        NOT_CHURNED,
      ],
    },
  },
  {
    name: 'High-value buyer going quiet',
    description: 'RFM tier high, no visit in 14 days, not churned yet.',
    level: 'critical',
    definition: {
      kind: 'and',
      children: [
        { kind: 'score', score: 'rfm_tier', op: 'eq', value: 'high' },
        { kind: 'did_not', event: 'app_open', window: { type: 'last_days', days: 14 } },
        NOT_CHURNED,
      ],
    },
  },
  {
    name: 'New distribution user gone after a week',
    description:
      'Registered via a distribution channel in the last 30 days, no visit in 7 days, not churned yet.',
    level: 'info',
    definition: {
      kind: 'and',
      children: [
        { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
        { kind: 'attribute', attribute: 'register_time', op: 'within_last', days: 30 },
        { kind: 'did_not', event: 'app_open', window: { type: 'last_days', days: 7 } },
        NOT_CHURNED,
      ],
    },
  },
];

/** Saves the demo warning rules if the workspace has none yet; returns how many were created. */
export const ensureDemoWarningRules = async (ctx: ScoresContext, owner: Actor): Promise<number> => {
  if ((await listWarningRules(ctx.control, owner.workspaceId)).length > 0) return 0;
  let created = 0;
  for (const rule of DEMO_WARNING_RULES) {
    const r = await createRule(ctx, owner, rule);
    if (!r.ok) throw new Error(`demo warning rule '${rule.name}' is invalid: ${JSON.stringify(r.error)}`);
    created += 1;
  }
  return created;
};
