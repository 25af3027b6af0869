import { maskEmail, maskPhone } from '../../core/audience/mask.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { storedTimeIso } from '../schemas/common.ts';
import type { Warehouse } from '../../storage/warehouse/warehouse.ts';

/**
 * Read-only queries behind the console's pages that no other API answers (activity over time,
 * one user's timeline, the recall funnel, the audit log, the team). Contacts leave here masked.
 */

const DAY = 86_400_000;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const iso = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  return storedTimeIso(v instanceof Date ? v : new Date(String(v)));
};

export interface ActivityPoint {
  at: string;
  active: number;
  silent: number;
  churned: number;
}

/**
 * Users by recency at each week's end: active (an event in the last `activeDays`), silent
 * (the last event earlier, but within `churnDays`), churned (longer ago). A user counts from
 * their first event on. Each user's active days become spans [day, next active day), so every
 * week end falls in exactly one span per user: one range join, not a scan per week.
 */
export const activityOverTime = async (
  w: Warehouse,
  p: { now: number; weeks: number; activeDays: number; churnDays: number },
): Promise<ActivityPoint[]> => {
  const end = Math.floor(p.now / DAY) * DAY;
  const start = end - (p.weeks - 1) * 7 * DAY;
  const rows = await w.query(
    `WITH days AS (
       SELECT DISTINCT user_id, date_trunc('day', ts) AS d FROM events WHERE ts < make_timestamp($1::BIGINT * 1000)
     ),
     spans AS (
       SELECT d, coalesce(lead(d) OVER (PARTITION BY user_id ORDER BY d), TIMESTAMP '9999-12-31') AS n FROM days
     ),
     weeks AS (
       SELECT make_timestamp(($2::BIGINT + i * 7 * 86400000) * 1000) AS w FROM range(0, $3::BIGINT) t(i)
     )
     SELECT w,
       count(*) FILTER (WHERE w - d < to_days($4::INTEGER)) AS active,
       count(*) FILTER (WHERE w - d >= to_days($4::INTEGER) AND w - d < to_days($5::INTEGER)) AS silent,
       count(*) FILTER (WHERE w - d >= to_days($5::INTEGER)) AS churned
     FROM weeks JOIN spans ON d <= w AND w < n
     GROUP BY w ORDER BY w`,
    [end, start, p.weeks, p.activeDays, p.churnDays],
  );
  return rows.map((r) => ({
    at: iso(r['w']) ?? '',
    active: num(r['active']),
    silent: num(r['silent']),
    churned: num(r['churned']),
  }));
};

export interface RiskDistribution {
  bins: { from: number; to: number; users: number }[];
  levels: { level: string; users: number }[];
  scored: number;
}

/** Churn risk scores (0–100) in ten bins of ten points, and users per risk level, from the last scoring run. */
export const riskDistribution = async (w: Warehouse): Promise<RiskDistribution> => {
  const bins = await w.query(
    `SELECT least(floor(churn_risk_score / 10), 9)::INTEGER AS b, count(*) AS users
     FROM user_scores WHERE churn_risk_score IS NOT NULL GROUP BY b ORDER BY b`,
  );
  const levels = await w.query(
    `SELECT churn_risk_level AS level, count(*) AS users
     FROM user_scores WHERE churn_risk_level IS NOT NULL GROUP BY level ORDER BY level`,
  );
  const byBin = new Map(bins.map((r) => [num(r['b']), num(r['users'])]));
  const out = Array.from({ length: 10 }, (_, i) => ({
    from: i * 10,
    to: (i + 1) * 10,
    users: byBin.get(i) ?? 0,
  }));
  return {
    bins: out,
    levels: levels.map((r) => ({ level: String(r['level']), users: num(r['users']) })),
    scored: out.reduce((s, b) => s + b.users, 0),
  };
};

export interface Funnel {
  since: string;
  statuses: { status: string; messages: number }[];
  recipients: number;
  conversions: number;
  revenue: number;
  cost: number;
  roi: number | null;
}

/** Messages by status, conversions and the money over the last `days` (all campaigns). */
export const recallFunnel = async (w: Warehouse, p: { now: number; days: number }): Promise<Funnel> => {
  const since = p.now - p.days * DAY;
  const statuses = await w.query(
    `SELECT status, count(DISTINCT message_id) AS messages FROM message_facts
     WHERE ts >= make_timestamp($1::BIGINT * 1000) GROUP BY status ORDER BY messages DESC`,
    [since],
  );
  const [totals] = await w.query(
    `SELECT count(DISTINCT user_id) AS recipients, coalesce(sum(cost), 0) AS cost FROM message_facts
     WHERE ts >= make_timestamp($1::BIGINT * 1000)`,
    [since],
  );
  const [conv] = await w.query(
    `SELECT count(*) AS conversions, coalesce(sum(revenue), 0) AS revenue FROM conversions
     WHERE ts >= make_timestamp($1::BIGINT * 1000)`,
    [since],
  );
  const cost = num(totals?.['cost']);
  const revenue = num(conv?.['revenue']);
  return {
    since: new Date(since).toISOString(),
    statuses: statuses.map((r) => ({ status: String(r['status']), messages: num(r['messages']) })),
    recipients: num(totals?.['recipients']),
    conversions: num(conv?.['conversions']),
    revenue,
    cost,
    roi: cost > 0 ? (revenue - cost) / cost : null,
  };
};

export interface UserDetail {
  userId: string;
  profile: Record<string, string | number | boolean | null>;
  scores: Record<string, string | number | null> | null;
  events: {
    event: string;
    ts: string | null;
    amount: number | null;
    category: string | null;
    platform: string | null;
  }[];
  messages: {
    campaignId: string | null;
    channel: string;
    status: string;
    step: string | null;
    variant: string | null;
    ts: string | null;
  }[];
}

/** One user's profile (contacts masked, no push token), scores, latest events and messages. */
export const userDetail = async (w: Warehouse, userId: string, limit: number): Promise<UserDetail | null> => {
  const [p] = await w.query(
    `SELECT user_id, register_time, acquisition_channel, city, timezone, balance, membership, phone, email,
            consent_push, consent_sms, consent_email, consent_wecom, consent_call, first_seen, updated_at
     FROM profiles WHERE user_id = $1`,
    [userId],
  );
  const events = await w.query(
    `SELECT event, ts, amount, category, platform FROM events WHERE user_id = $1 ORDER BY ts DESC LIMIT $2`,
    [userId, limit],
  );
  if (p === undefined && events.length === 0) return null;
  const [s] = await w.query(
    `SELECT lifecycle_stage, rfm_tier, rfm_r, rfm_f, rfm_m, churn_risk_score, churn_risk_level, ltv, computed_at
     FROM user_scores WHERE user_id = $1`,
    [userId],
  );
  const messages = await w.query(
    `SELECT campaign_id, channel, status, step, variant, ts FROM message_facts
     WHERE user_id = $1 ORDER BY ts DESC LIMIT $2`,
    [userId, limit],
  );
  const profile: UserDetail['profile'] = {};
  if (p !== undefined) {
    for (const [k, v] of Object.entries(p)) {
      if (k === 'phone') profile[k] = maskPhone(str(v));
      else if (k === 'email') profile[k] = maskEmail(str(v));
      else if (v instanceof Date) profile[k] = storedTimeIso(v);
      else if (typeof v === 'bigint') profile[k] = Number(v);
      else if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        profile[k] = v;
      else profile[k] = String(v);
    }
  }
  return {
    userId,
    profile,
    scores:
      s === undefined
        ? null
        : {
            lifecycleStage: str(s['lifecycle_stage']),
            rfmTier: str(s['rfm_tier']),
            rfmR: numOrNull(s['rfm_r']),
            rfmF: numOrNull(s['rfm_f']),
            rfmM: numOrNull(s['rfm_m']),
            churnRiskScore: numOrNull(s['churn_risk_score']),
            churnRiskLevel: str(s['churn_risk_level']),
            ltv: numOrNull(s['ltv']),
            computedAt: iso(s['computed_at']),
          },
    events: events.map((e) => ({
      event: String(e['event']),
      ts: iso(e['ts']),
      amount: numOrNull(e['amount']),
      category: str(e['category']),
      platform: str(e['platform']),
    })),
    messages: messages.map((m) => ({
      campaignId: str(m['campaign_id']),
      channel: String(m['channel']),
      status: String(m['status']),
      step: str(m['step']),
      variant: str(m['variant']),
      ts: iso(m['ts']),
    })),
  };
};

export interface AuditRow {
  id: number;
  at: string | null;
  actor: string | null;
  action: string;
  objectType: string;
  objectId: string;
  details: unknown;
}

/** The workspace's audit log, newest first, with the actor's name. */
export const auditPage = async (
  db: SqlClient,
  p: { workspaceId: string; beforeId: number | null; limit: number; objectType: string | null },
): Promise<AuditRow[]> => {
  const rows = await db.query(
    `SELECT a.id, a.at, u.name AS actor, a.action, a.object_type, a.object_id, a.details
     FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
     WHERE a.workspace_id = $1 AND ($2::bigint IS NULL OR a.id < $2) AND ($3::text IS NULL OR a.object_type = $3)
     ORDER BY a.id DESC LIMIT $4`,
    [p.workspaceId, p.beforeId, p.objectType, p.limit],
  );
  return rows.map((r) => ({
    id: num(r['id']),
    at: iso(r['at']),
    actor: str(r['actor']),
    action: String(r['action']),
    objectType: String(r['object_type']),
    objectId: String(r['object_id']),
    details: typeof r['details'] === 'string' ? (JSON.parse(r['details']) as unknown) : r['details'],
  }));
};

/** Console users of the workspace and their roles (never password hashes or tokens). */
export const teamMembers = async (
  db: SqlClient,
  workspaceId: string,
): Promise<{ id: number; name: string; role: string; createdAt: string | null; disabled: boolean }[]> =>
  (
    await db.query(
      `SELECT id, name, role, created_at, disabled_at FROM users WHERE workspace_id = $1 ORDER BY id`,
      [workspaceId],
    )
  ).map((r) => ({
    id: num(r['id']),
    name: String(r['name']),
    role: String(r['role']),
    createdAt: iso(r['created_at']),
    disabled: r['disabled_at'] !== null && r['disabled_at'] !== undefined,
  }));
