import { createCampaignAs, reviewCampaignAs, submitCampaignAs } from '../../src/campaigns/campaigns.ts';
import type { CampaignContext } from '../../src/campaigns/campaigns.ts';
import type { Actor } from '../../src/core/auth/roles.ts';
import type { SqlClient } from '../../src/storage/control/sql-client.ts';
import { createUser } from '../../src/storage/control/users.ts';
import { profile } from './score-scenario.ts';

/** Fixtures shared by the planner's scenario tests: actors, a small population, approval. */

export const makeActor = async (control: SqlClient, name: string, role: Actor['role']): Promise<Actor> => {
  const u = await createUser(control, { name, role });
  if (!u.ok) throw new Error('user exists');
  return { userId: u.value.id, workspaceId: 'default', name, role };
};

export interface PlannerActors {
  op: Actor;
  rev: Actor;
  admin: Actor;
}

export const plannerActors = async (control: SqlClient): Promise<PlannerActors> => ({
  op: await makeActor(control, 'olga', 'operator'),
  rev: await makeActor(control, 'rita', 'reviewer'),
  admin: await makeActor(control, 'adam', 'admin'),
});

const HOUR = 3_600_000;

/**
 * Five distribution-channel users registered 100 days before `now`: u1 with SMS consent and a
 * push token, u2–u4 with push tokens (u3 in New York), u5 reachable by nothing.
 */
export const distributionUsers = (now: number) => {
  const base = { acquisition_channel: 'distribution', timezone: 'Asia/Shanghai' } as const;
  const at = now - 100 * 24 * HOUR;
  return [
    profile('u1', at, { ...base, phone: '13800000001', consent_sms: true, push_token: 't1' }),
    profile('u2', at, { ...base, push_token: 't2' }),
    profile('u3', at, { ...base, timezone: 'America/New_York', push_token: 't3' }),
    profile('u4', at, { ...base, push_token: 't4' }),
    profile('u5', at, { ...base }),
  ];
};

/** A campaign created by the operator, submitted, and approved by the reviewer. */
export const approvedCampaign = async (
  ctx: CampaignContext,
  a: Pick<PlannerActors, 'op' | 'rev'>,
  name: string,
  definition: Record<string, unknown>,
) => {
  const c = await createCampaignAs(ctx, a.op, { name, definition });
  if (!c.ok) throw new Error(JSON.stringify(c.error));
  await submitCampaignAs(ctx, a.op, c.value.id, 1);
  const r = await reviewCampaignAs(ctx, a.rev, c.value.id, { decision: 'approve', version: 1 });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
};
