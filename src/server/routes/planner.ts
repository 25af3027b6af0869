import { Type, type Static } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import { canOnCampaign } from '../../core/auth/roles.ts';
import { PolicySettings } from '../../core/campaigns/policy-schema.ts';
import { ChannelName } from '../../core/campaigns/schema.ts';
import { err, ok } from '../../core/result.ts';
import { runSlot, type SlotContext, type SlotReport } from '../../planner/run-slot.ts';
import {
  listResources,
  readPolicy,
  recordUnsubscribeAs,
  setChannelQuotaAs,
  setDepartmentBudgetAs,
  updatePolicyAs,
} from '../../planner/settings-service.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { UserIdParams } from '../schemas/scores-api.ts';
import { sendOutcome } from './send-outcome.ts';

const security = [{ bearer: [] }];
const tags = ['planner'];

const PolicyView = Type.Object({
  version: Type.Integer({ description: '0: the defaults, never saved' }),
  policy: PolicySettings,
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const PolicyBody = Type.Object(
  { version: Type.Integer({ minimum: 0 }), policy: PolicySettings },
  { additionalProperties: false },
);
type PolicyBody = Static<typeof PolicyBody>;
const Resources = Type.Object({
  departments: Type.Array(
    Type.Object({ department: Type.String(), limitCents: Type.Integer(), reservedCents: Type.Integer() }),
  ),
  channels: Type.Array(
    Type.Object({
      channel: Type.String(),
      quota: Type.Integer(),
      used: Type.Integer(),
      costCents: Type.Integer(),
    }),
  ),
});
const DepartmentParams = Type.Object({ department: Type.String({ minLength: 1, maxLength: 80 }) });
const BudgetBody = Type.Object({ limitCents: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
const ChannelParams = Type.Object({ channel: ChannelName });
const QuotaBody = Type.Object(
  {
    quota: Type.Integer({ minimum: 0, description: 'messages allowed in total (e.g. an SMS package)' }),
    costCents: Type.Integer({ minimum: 0, maximum: 100_000, description: 'price of one message' }),
  },
  { additionalProperties: false },
);
const UnsubscribeBody = Type.Object(
  {
    channel: Type.Union([ChannelName, Type.Literal('all')]),
    source: Type.String({ minLength: 1, maxLength: 80, default: 'operator' }),
  },
  { additionalProperties: false },
);
const RunBody = Type.Object({}, { additionalProperties: false });
const SlotView = Type.Object({
  slotAt: Type.String({ format: 'date-time' }),
  campaigns: Type.Array(
    Type.Object({
      campaignId: Type.String(),
      runId: Type.String(),
      snapshotId: Type.String(),
      members: Type.Integer(),
      messages: Type.Integer(),
      holdout: Type.Integer(),
      skipped: Type.Integer(),
      spendCents: Type.Integer(),
      skipReasons: Type.Record(Type.String(), Type.Integer()),
    }),
  ),
  elapsedMs: Type.Record(Type.String(), Type.Number()),
});

const slotDto = (r: SlotReport) => ({
  slotAt: new Date(r.slotAt).toISOString(),
  campaigns: r.campaigns,
  elapsedMs: Object.fromEntries(Object.entries(r.ms).map(([k, v]) => [k, Math.round(v)])),
});

/** The anti-disturbance policy, budgets and quotas, opt-outs, and planning due slots now. */
export const registerPlannerRoutes = (app: Api, ctx: SlotContext): void => {
  app.get(
    '/v1/planner/policy',
    {
      schema: {
        tags,
        security,
        summary: 'Caps, quiet hours, send windows (everyone)',
        response: { 200: PolicyView, ...errorResponses },
      },
    },
    async (req) => {
      const p = await readPolicy(ctx, actorOf(req));
      return { ...p, updatedAt: p.updatedAt === null ? null : new Date(p.updatedAt).toISOString() };
    },
  );
  app.put(
    '/v1/planner/policy',
    {
      schema: {
        tags,
        security,
        summary: 'Replace the anti-disturbance policy; `version` is the one you edited (admin)',
        body: PolicyBody,
        response: { 200: PolicyView, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await updatePolicyAs(ctx, actorOf(req), req.body), (v) => ({
        ...v,
        updatedAt: new Date(ctx.clock()).toISOString(),
      })),
  );
  app.get(
    '/v1/planner/resources',
    {
      schema: {
        tags,
        security,
        summary: 'Department budgets and channel quotas with what is reserved / used',
        response: { 200: Resources, ...errorResponses },
      },
    },
    async (req) => listResources(ctx, actorOf(req)),
  );
  app.put(
    '/v1/planner/budgets/:department',
    {
      schema: {
        tags,
        security,
        summary: 'Set a department budget (admin)',
        params: DepartmentParams,
        body: BudgetBody,
        response: { 200: Resources.properties.departments, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { department } = req.params;
      const { limitCents } = req.body;
      return sendOutcome(
        reply,
        await setDepartmentBudgetAs(ctx, actorOf(req), department, limitCents),
        (v) => v,
      );
    },
  );
  app.put(
    '/v1/planner/quotas/:channel',
    {
      schema: {
        tags,
        security,
        summary: 'Set a channel quota and its price per message (admin)',
        params: ChannelParams,
        body: QuotaBody,
        response: { 200: Resources.properties.channels, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { channel } = req.params;
      const b = req.body;
      return sendOutcome(reply, await setChannelQuotaAs(ctx, actorOf(req), { channel, ...b }), (v) => v);
    },
  );
  app.post(
    '/v1/users/:id/unsubscribes',
    {
      schema: {
        tags,
        security,
        summary:
          'Record that a user opted out of a channel (or all) — honoured by every campaign (operator, admin)',
        params: UserIdParams,
        body: UnsubscribeBody,
        response: { 200: Type.Object({ added: Type.Boolean() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const b = req.body;
      return sendOutcome(reply, await recordUnsubscribeAs(ctx, actorOf(req), { userId: id, ...b }), (v) => v);
    },
  );
  app.post(
    '/v1/planner/run',
    {
      schema: {
        tags,
        security,
        summary:
          'Plan every campaign due now, together, into the outbox — what the scheduler does each poll (operator, admin)',
        body: RunBody,
        response: { 200: SlotView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const p = canOnCampaign(actor, 'planner.run');
      const outcome = p.allowed
        ? ok(await runSlot(ctx, actor.workspaceId, ctx.clock()))
        : err({ type: 'forbidden' as const, reason: p.reason });
      return sendOutcome(reply, outcome, slotDto);
    },
  );
};
