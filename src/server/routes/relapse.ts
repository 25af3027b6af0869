import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import type { ReportsContext } from '../../reports/context.ts';
import { relapseWatch, type RelapseWatch } from '../../reports/relapse-watch.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { dayRange, problemText, type DayRange } from '../../reports/day-range.ts';
import { sendFailure, sendOutcome } from './send-outcome.ts';

/** The relapse view (features.md G7; docs/reports.md): every role may read. */

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const Time = Type.String({ format: 'date-time' });
const TimeOrNull = Type.Union([Time, Type.Null()]);

const RelapseView = Type.Object({
  silentDays: Type.Integer({ description: 'the window in use: scoring configuration `relapse.silentDays`' }),
  now: Time,
  campaigns: Type.Array(
    Type.Object({
      campaignId: Type.String(),
      name: Type.String(),
      recalled: Type.Integer({ description: 'treated users who converted' }),
      retained: Type.Integer({ description: 'an event of their own within the window' }),
      watching: Type.Integer({ description: 'silent so far, window still open' }),
      relapsed: Type.Integer({ description: 'silent through the whole window' }),
      relapseRate: Type.Union([Type.Number(), Type.Null()], {
        description: 'relapsed / (retained + relapsed): among users whose window has closed',
      }),
    }),
  ),
  users: Type.Array(
    Type.Object({
      campaignId: Type.String(),
      userId: Type.String(),
      status: Type.Union([Type.Literal('watching'), Type.Literal('relapsed')]),
      convertedAt: Time,
      windowEndsAt: Time,
      lastActiveAt: TimeOrNull,
    }),
  ),
  usersTotal: Type.Integer(),
  range: Type.Union(
    [Type.Object({ from: Type.String(), to: Type.String(), timeZone: Type.String() }), Type.Null()],
    { description: 'the conversion days asked for (from/to); null: every recalled user' },
  ),
});

const dto = (r: RelapseWatch) => ({
  silentDays: r.silentDays,
  now: iso(r.now),
  campaigns: r.campaigns,
  users: r.users.map((u) => ({
    campaignId: u.campaignId,
    userId: u.userId,
    status: u.status === 'relapsed' ? ('relapsed' as const) : ('watching' as const),
    convertedAt: iso(u.convertedAt),
    windowEndsAt: iso(u.windowEndsAt),
    lastActiveAt: isoOrNull(u.lastActiveAt),
  })),
  usersTotal: r.usersTotal,
});

export const registerRelapseRoutes = (app: Api, ctx: ReportsContext): void => {
  app.get(
    '/v1/reports/relapse',
    {
      schema: {
        tags: ['reports'],
        security: [{ bearer: [] }],
        summary:
          'Recalled users against the relapse window: counts by campaign, and the users who are within the window or relapsed (G7)',
        querystring: Type.Object(
          {
            campaignId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            status: Type.Optional(Type.Union([Type.Literal('watching'), Type.Literal('relapsed')])),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })),
            from: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 32,
                description: 'users who converted from this day (YYYY-MM-DD, included)',
              }),
            ),
            to: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 32,
                description: 'to this day (YYYY-MM-DD, included; default today); needs from',
              }),
            ),
            timeZone: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 64,
                description: 'IANA zone of the days; default Asia/Shanghai',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: RelapseView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      let converted: DayRange | undefined;
      if (q.from !== undefined || q.to !== undefined || q.timeZone !== undefined) {
        const r = dayRange(q, ctx.clock());
        if (!r.ok)
          return sendFailure(reply, { type: 'invalid', message: problemText(r.error), errors: r.error });
        converted = r.value;
      }
      return sendOutcome(
        reply,
        await relapseWatch(ctx, actorOf(req), {
          campaignId: q.campaignId,
          status: q.status,
          limit: q.limit ?? 200,
          converted,
        }),
        (r) => ({
          ...dto(r),
          range:
            converted === undefined
              ? null
              : { from: converted.from, to: converted.to, timeZone: converted.timeZone },
        }),
      );
    },
  );
};
