import { createSavedAudience, type AudienceContext } from '../audience/saved-audiences.ts';
import type { Actor } from '../core/auth/roles.ts';
import { listAudiences } from '../storage/control/audiences.ts';

/** Audiences a growth operator would start from; saved once so the console and API show real examples. */
export const DEMO_AUDIENCES = [
  {
    name: 'Drifting buyers',
    description:
      'Ordered at least twice in the last 180 days, but not in the last 30, and no login for 14 days.',
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
    name: 'Abandoned carts (7 days)',
    description: 'Added to cart in the last 7 days and placed no order in those 7 days.',
    definition: {
      kind: 'and',
      children: [
        { kind: 'did', event: 'add_to_cart', window: { type: 'last_days', days: 7 } },
        { kind: 'did_not', event: 'order', window: { type: 'last_days', days: 7 } },
      ],
    },
  },
  {
    name: 'New distribution-channel users at risk',
    description: 'Registered via distribution channels in the last 30 days with no login in the last 7.',
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
