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
    name: '15 天未访问且余额不足 100',
    description: '15 天未访问，钱包余额少于 100，尚未流失。',
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
    name: '高价值买家渐趋沉默',
    description: 'RFM 高价值分层，14 天未访问，尚未流失。',
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
    name: '分销新用户一周后流失',
    description: '近 30 天经分销渠道注册，7 天未访问，尚未流失。',
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
