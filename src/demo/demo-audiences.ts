import { createSavedAudience, type AudienceContext } from '../audience/saved-audiences.ts';
import type { Actor } from '../core/auth/roles.ts';
import { listAudiences } from '../storage/control/audiences.ts';

/** Audiences a growth operator would start from; saved once so the console and API show real examples. */
export const DEMO_AUDIENCES = [
  {
    name: '渐行渐远的老买家',
    description: '近 180 天下单至少 2 次，但近 30 天未下单，且 14 天未登录。',
    definition: {
      kind: 'and',
      children: [
        {
          kind: 'metric',
          event: 'order',
          fn: 'count',
          window: { type: 'last_days', days: 180 },
          op: 'gte',
          value: 2,
        },
        { kind: 'did_not', event: 'order', window: { type: 'last_days', days: 30 } },
        { kind: 'did_not', event: 'login', window: { type: 'last_days', days: 14 } },
      ],
    },
  },
  {
    name: '7 天内加购未下单',
    description: '近 7 天加入过购物车，且这 7 天内没有下单。',
    definition: {
      kind: 'and',
      children: [
        { kind: 'did', event: 'add_to_cart', window: { type: 'last_days', days: 7 } },
        { kind: 'did_not', event: 'order', window: { type: 'last_days', days: 7 } },
      ],
    },
  },
  {
    name: '分销渠道新用户流失风险',
    description: '近 30 天经分销渠道注册，近 7 天未登录。',
    definition: {
      kind: 'and',
      children: [
        { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
        { kind: 'attribute', attribute: 'register_time', op: 'within_last', days: 30 },
        { kind: 'did_not', event: 'login', window: { type: 'last_days', days: 7 } },
      ],
    },
  },
] as const;

/** Saves the demo audiences if the workspace has none yet; returns how many were created. */
export const ensureDemoAudiences = async (ctx: AudienceContext, owner: Actor): Promise<number> => {
  if ((await listAudiences(ctx.control, owner.workspaceId)).length > 0) return 0;
  let created = 0;
  for (const a of DEMO_AUDIENCES) {
    const r = await createSavedAudience(ctx, owner, a);
    if (!r.ok) throw new Error(`demo audience '${a.name}' is invalid: ${JSON.stringify(r.error)}`);
    created += 1;
  }
  return created;
};
