import { maskEmail, maskPhone } from '../../core/audience/mask.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { auditLogPage } from '../../storage/control/audit-log-page.ts';
import { offerCostsBetween } from '../../storage/control/offer-costs.ts';
import { centsOfYuan, roiOf, spentCost, sumSpent, type SpentCost } from '../../reports/spent-cost.ts';
import { teamMemberRows } from '../../storage/control/team-members.ts';
import { textOrNull } from '../../storage/row-values.ts';
import { activityByWeek } from '../../storage/warehouse/activity-over-time.ts';
import { funnelBetween } from '../../storage/warehouse/recall-funnel.ts';
import { usersPerRiskBin, usersPerRiskLevel } from '../../storage/warehouse/risk-distribution.ts';
import {
  latestEvents,
  latestMessages,
  profileColumns,
  scoresOf,
} from '../../storage/warehouse/user-timeline.ts';
import type { WarehouseSql } from '../../storage/warehouse-sql.ts';
import { storedTimeIso } from '../schemas/common.ts';

/**
 * The console's pages that no other API answers (activity over time, one user's timeline, the
 * recall funnel, the audit log, the team), shaped for their responses: times as `date-time`
 * texts (null where the store holds no usable time). Contacts leave here masked.
 */

const DAY = 86_400_000;
const iso = (v: Date | null): string | null => (v === null ? null : storedTimeIso(v));

export interface ActivityPoint {
  at: string;
  active: number;
  silent: number;
  churned: number;
}

/**
 * Users by recency at each of the last `weeks` week ends (the last one today at 00:00 UTC):
 * active, silent or churned (see `activityByWeek`).
 */
export const activityOverTime = async (
  w: WarehouseSql,
  p: { now: number; weeks: number; activeDays: number; churnDays: number },
): Promise<ActivityPoint[]> => {
  const end = Math.floor(p.now / DAY) * DAY;
  const start = end - (p.weeks - 1) * 7 * DAY;
  const rows = await activityByWeek(w, { ...p, end, start });
  return rows.map((r) => ({ at: iso(r.at) ?? '', active: r.active, silent: r.silent, churned: r.churned }));
};

export interface RiskDistribution {
  bins: { from: number; to: number; users: number }[];
  levels: { level: string; users: number }[];
  scored: number;
}

/** Churn risk scores (0–100) in ten bins of ten points, and users per risk level, from the last scoring run. */
export const riskDistribution = async (w: WarehouseSql): Promise<RiskDistribution> => {
  const byBin = await usersPerRiskBin(w);
  const levels = await usersPerRiskLevel(w);
  const out = Array.from({ length: 10 }, (_, i) => ({
    from: i * 10,
    to: (i + 1) * 10,
    users: byBin.get(i) ?? 0,
  }));
  return { bins: out, levels, scored: out.reduce((s, b) => s + b.users, 0) };
};

export interface Funnel extends SpentCost {
  since: string;
  until: string;
  /** The days picked (both included, in `timeZone`); null when asked for the last `days` instead. */
  range: { from: string; to: string; timeZone: string } | null;
  statuses: { status: string; messages: number }[];
  recipients: number;
  conversions: number;
  revenue: number;
  roi: number | null;
}

/** The last `days` up to now: what the dashboard asked before it had a date range. */
export const lastDaysWindow = (now: number, days: number): { fromMs: number; toMs: number } => ({
  fromMs: now - days * DAY,
  toMs: now,
});

/**
 * Messages by status, conversions and the money in [fromMs, toMs) (all campaigns). Cost is what
 * was spent in that time (src/reports/spent-cost.ts): messages sent, offers booked at issue whose
 * message went out, redemptions and bonuses — the same parts as the campaign stats.
 */
export const recallFunnel = async (
  w: WarehouseSql,
  control: SqlClient,
  p: { fromMs: number; toMs: number; workspaceId: string; range: Funnel['range'] },
): Promise<Funnel> => {
  const f = await funnelBetween(w, p.fromMs, p.toMs);
  const offers = await offerCostsBetween(control, p.workspaceId, p.fromMs, p.toMs);
  const cost = sumSpent([spentCost(centsOfYuan(f.cost), undefined), ...offers.map((o) => spentCost(0, o))]);
  return {
    since: new Date(p.fromMs).toISOString(),
    until: new Date(p.toMs).toISOString(),
    range: p.range,
    statuses: f.statuses,
    recipients: f.recipients,
    conversions: f.conversions,
    revenue: f.revenue,
    ...cost,
    roi: roiOf(f.revenue, cost),
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
export const userDetail = async (
  w: WarehouseSql,
  userId: string,
  limit: number,
): Promise<UserDetail | null> => {
  const p = await profileColumns(w, userId);
  const events = await latestEvents(w, userId, limit);
  if (p === undefined && events.length === 0) return null;
  const s = await scoresOf(w, userId);
  const messages = await latestMessages(w, userId, limit);
  const profile: UserDetail['profile'] = {};
  if (p !== undefined) {
    for (const [k, v] of Object.entries(p)) {
      if (k === 'phone') profile[k] = maskPhone(textOrNull(v));
      else if (k === 'email') profile[k] = maskEmail(textOrNull(v));
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
    scores: s === null ? null : { ...s, computedAt: iso(s.computedAt) },
    events: events.map((e) => ({ ...e, ts: iso(e.ts) })),
    messages: messages.map((m) => ({ ...m, ts: iso(m.ts) })),
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
): Promise<AuditRow[]> => (await auditLogPage(db, p)).map((r) => ({ ...r, at: iso(r.at) }));

/** Console users of the workspace and their roles (never password hashes or tokens). */
export const teamMembers = async (
  db: SqlClient,
  workspaceId: string,
): Promise<{ id: number; name: string; role: string; createdAt: string | null; disabled: boolean }[]> =>
  (await teamMemberRows(db, workspaceId)).map((r) => ({ ...r, createdAt: iso(r.createdAt) }));
