import { DEFAULT_POLICY, type PolicySettings } from '../../core/campaigns/policy-schema.ts';
import type { Channel } from '../../core/channels/channels.ts';
import { departmentCommittedSql } from './planned-spend.ts';
import type { SqlClient } from './sql-client.ts';

/** The workspace's anti-disturbance policy; version 0 = the defaults, never saved. */
export const getPolicy = async (
  db: SqlClient,
  workspaceId: string,
): Promise<{ version: number; policy: PolicySettings; updatedAt: number | null }> => {
  const rows = await db.query(
    'SELECT version, policy, updated_at FROM planner_policies WHERE workspace_id = $1',
    [workspaceId],
  );
  const r = rows[0];
  if (!r) return { version: 0, policy: DEFAULT_POLICY, updatedAt: null };
  const policy = typeof r['policy'] === 'string' ? JSON.parse(r['policy']) : r['policy'];
  return {
    version: Number(r['version']),
    policy: policy as PolicySettings,
    updatedAt: new Date(r['updated_at'] as string).getTime(),
  };
};

/** Writes the next version if the stored one is `expectedVersion`; false when it moved on. */
export const putPolicy = async (
  db: SqlClient,
  p: { workspaceId: string; policy: PolicySettings; expectedVersion: number; by: number | null; at: number },
): Promise<boolean> => {
  const json = JSON.stringify(p.policy);
  const rows =
    p.expectedVersion === 0
      ? await db.query(
          `INSERT INTO planner_policies (workspace_id, version, policy, updated_at, updated_by)
           VALUES ($1, 1, $2::text::jsonb, $3, $4) ON CONFLICT (workspace_id) DO NOTHING RETURNING version`,
          [p.workspaceId, json, new Date(p.at), p.by],
        )
      : await db.query(
          `UPDATE planner_policies SET version = version + 1, policy = $2::text::jsonb, updated_at = $3, updated_by = $4
           WHERE workspace_id = $1 AND version = $5 RETURNING version`,
          [p.workspaceId, json, new Date(p.at), p.by, p.expectedVersion],
        );
  return rows.length === 1;
};

export interface DepartmentBudget {
  department: string;
  limitCents: number;
  reservedCents: number;
}

export const setDepartmentBudget = async (
  db: SqlClient,
  workspaceId: string,
  department: string,
  limitCents: number,
): Promise<void> => {
  await db.query(
    `INSERT INTO department_budgets (workspace_id, department, limit_cents) VALUES ($1, $2, $3)
     ON CONFLICT (workspace_id, department) DO UPDATE SET limit_cents = excluded.limit_cents`,
    [workspaceId, department, limitCents],
  );
};

/**
 * Department budgets and what each has committed at `now`: the committed spend of the
 * department's campaigns (planned-spend.ts), so what is released (dead messages, offers expired
 * unredeemed) frees the budget by itself.
 */
export const listDepartmentBudgets = async (
  db: SqlClient,
  workspaceId: string,
  now: number,
): Promise<DepartmentBudget[]> =>
  (
    await db.query(
      `WITH spent AS (${departmentCommittedSql('$2::timestamptz')})
       SELECT d.department, d.limit_cents, coalesce(s.committed, 0) AS reserved_cents
       FROM department_budgets d LEFT JOIN spent s ON s.department = d.department
       WHERE d.workspace_id = $1 ORDER BY d.department`,
      [workspaceId, new Date(now)],
    )
  ).map((r) => ({
    department: String(r['department']),
    limitCents: Number(r['limit_cents']),
    reservedCents: Number(r['reserved_cents']),
  }));

export interface ChannelQuota {
  channel: Channel;
  quota: number;
  used: number;
  costCents: number;
}

/** A channel's message allowance (e.g. an SMS package) and its price per message. */
export const setChannelQuota = async (
  db: SqlClient,
  workspaceId: string,
  q: { channel: Channel; quota: number; costCents: number },
): Promise<void> => {
  await db.query(
    `INSERT INTO channel_quotas (workspace_id, channel, quota, cost_cents) VALUES ($1, $2, $3, $4)
     ON CONFLICT (workspace_id, channel) DO UPDATE SET quota = excluded.quota, cost_cents = excluded.cost_cents`,
    [workspaceId, q.channel, q.quota, q.costCents],
  );
};

export const listChannelQuotas = async (db: SqlClient, workspaceId: string): Promise<ChannelQuota[]> =>
  (
    await db.query(
      'SELECT channel, quota, used, cost_cents FROM channel_quotas WHERE workspace_id = $1 ORDER BY channel',
      [workspaceId],
    )
  ).map((r) => ({
    channel: r['channel'] as Channel,
    quota: Number(r['quota']),
    used: Number(r['used']),
    costCents: Number(r['cost_cents']),
  }));

export const addUnsubscribe = async (
  db: SqlClient,
  u: { workspaceId: string; userId: string; channel: Channel | 'all'; at: number; source: string },
): Promise<boolean> =>
  (
    await db.query(
      `INSERT INTO unsubscribes (workspace_id, user_id, channel, at, source) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING user_id`,
      [u.workspaceId, u.userId, u.channel, new Date(u.at), u.source],
    )
  ).length === 1;

/** Every opt-out of the workspace: user → the channels (or 'all'). Opt-outs are a small share of users. */
export const unsubscribesByUser = async (
  db: SqlClient,
  workspaceId: string,
): Promise<Map<string, Set<Channel> | 'all'>> => {
  const out = new Map<string, Set<Channel> | 'all'>();
  for (const r of await db.query<{ user_id: string; channel: string }>(
    'SELECT user_id, channel FROM unsubscribes WHERE workspace_id = $1',
    [workspaceId],
  )) {
    if (r.channel === 'all') out.set(r.user_id, 'all');
    else {
      const had = out.get(r.user_id);
      if (had === 'all') continue;
      const set = had ?? new Set<Channel>();
      set.add(r.channel as Channel);
      out.set(r.user_id, set);
    }
  }
  return out;
};
