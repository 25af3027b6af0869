import type { Api } from '../schemas/type-provider.ts';
import type { Clock } from '../../core/clock.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import type { WarehouseSql } from '../../storage/warehouse-sql.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import {
  ActivityQuery,
  ActivityView,
  AuditQuery,
  AuditView,
  ConsoleUserParams,
  ConsoleUserQuery,
  ConsoleUserView,
  FunnelQuery,
  FunnelView,
  RiskView,
  TeamView,
} from '../schemas/console-data-api.ts';
import { dayRange, problemText } from '../../reports/day-range.ts';
import { sendFailure } from './send-outcome.ts';
import {
  activityOverTime,
  lastDaysWindow,
  auditPage,
  recallFunnel,
  riskDistribution,
  teamMembers,
  userDetail,
} from './console-data-queries.ts';

type ConsoleDataRuntime = { control: SqlClient; warehouse: WarehouseSql; clock: Clock };

const tags = ['console'];
const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { session: [] }];

/**
 * Read-only views the console's pages need beyond the rest of the API: activity over time,
 * risk distribution, the recall funnel, one user's timeline, the audit log and the team.
 * Register inside the authenticated scope.
 */
export const registerConsoleDataRoutes = (api: Api, rt: ConsoleDataRuntime): void => {
  api.get(
    '/v1/console/activity',
    {
      schema: {
        tags,
        security,
        summary: 'Active, silent and churned users at each week end',
        querystring: ActivityQuery,
        response: { 200: ActivityView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const activeDays = q.activeDays ?? 7;
      const churnDays = q.churnDays ?? 30;
      if (churnDays <= activeDays)
        return reply.code(400).send({ error: 'churnDays must be greater than activeDays' });
      const points = await activityOverTime(rt.warehouse, {
        now: rt.clock(),
        weeks: q.weeks ?? 26,
        activeDays,
        churnDays,
      });
      return { activeDays, churnDays, points };
    },
  );

  api.get(
    '/v1/console/risk',
    {
      schema: {
        tags,
        security,
        summary: 'Churn risk scores in ten bins and users per risk level (last scoring run)',
        response: { 200: RiskView, ...errorResponses },
      },
    },
    async () => riskDistribution(rt.warehouse),
  );

  api.get(
    '/v1/console/funnel',
    {
      schema: {
        tags,
        security,
        summary:
          'Messages by status, conversions, revenue, cost as spent and ROI over the last days (all campaigns)',
        querystring: FunnelQuery,
        response: { 200: FunnelView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const now = rt.clock();
      const workspaceId = actorOf(req).workspaceId;
      const byDays = q.from === undefined && q.to === undefined && q.timeZone === undefined;
      if (byDays)
        return recallFunnel(rt.warehouse, rt.control, {
          ...lastDaysWindow(now, q.days ?? 30),
          workspaceId,
          range: null,
        });
      if (q.days !== undefined)
        return sendFailure(reply, {
          type: 'invalid',
          message: 'days cannot be combined with from/to: give either the last days or the dates',
          errors: [{ path: 'days', message: 'cannot be combined with from/to' }],
        });
      const r = dayRange(q, now);
      if (!r.ok)
        return sendFailure(reply, { type: 'invalid', message: problemText(r.error), errors: r.error });
      const { fromMs, toMs, from, to, timeZone } = r.value;
      return recallFunnel(rt.warehouse, rt.control, {
        fromMs,
        toMs,
        workspaceId,
        range: { from, to, timeZone },
      });
    },
  );

  api.get(
    '/v1/console/users/:id',
    {
      schema: {
        tags,
        security,
        summary: "A user's profile (contacts masked), scores, latest events and messages",
        params: ConsoleUserParams,
        querystring: ConsoleUserQuery,
        response: { 200: ConsoleUserView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const detail = await userDetail(rt.warehouse, id, req.query.limit ?? 50);
      return detail === null ? reply.code(404).send({ error: `user '${id}' not found` }) : detail;
    },
  );

  api.get(
    '/v1/console/audit',
    {
      schema: {
        tags,
        security,
        summary: 'The audit log, newest first (admins and reviewers)',
        querystring: AuditQuery,
        response: { 200: AuditView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      // Who did what is for the people accountable for it, not for every operator.
      if (actor.role !== 'admin' && actor.role !== 'reviewer')
        return reply.code(403).send({ error: `role '${actor.role}' may not read the audit log` });
      const q = req.query;
      const entries = await auditPage(rt.control, {
        workspaceId: actor.workspaceId,
        beforeId: q.before ?? null,
        limit: q.limit ?? 100,
        objectType: q.objectType ?? null,
      });
      return { entries };
    },
  );

  api.get(
    '/v1/console/team',
    {
      schema: {
        tags,
        security,
        summary: "The workspace's console users and their roles",
        response: { 200: TeamView, ...errorResponses },
      },
    },
    async (req) => ({ users: await teamMembers(rt.control, actorOf(req).workspaceId) }),
  );
};
