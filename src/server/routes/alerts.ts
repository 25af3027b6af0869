import { Type, type Static } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import {
  createDestinationAs,
  createRuleAs,
  deleteDestinationAs,
  deleteRuleAs,
  listAlertsAs,
  listDestinationsAs,
  listRulesAs,
  updateRuleAs,
} from '../../alerts/alerts-service.ts';
import { runAlerts, type AlertsContext } from '../../alerts/run-alerts.ts';
import type { AlertRecord } from '../../storage/control/alert-history.ts';
import type { DestinationView } from '../../storage/control/alert-destinations.ts';
import { AlertRuleParams, type AlertRule } from '../../core/alerts/rules.ts';
import { err, ok } from '../../core/result.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { sendOutcome } from './send-outcome.ts';

const security = [{ bearer: [] }];
const tags = ['alerts'];
const iso = (ms: number) => new Date(ms).toISOString();
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const DestinationBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    kind: Type.Union([Type.Literal('webhook'), Type.Literal('wecom_robot')]),
    url: Type.String({
      minLength: 8,
      maxLength: 2000,
      description: 'stored encrypted, never shown again (a robot URL carries its key)',
    }),
    secret: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 200,
        description: 'HMAC key for webhook signatures (required for webhooks)',
      }),
    ),
  },
  { additionalProperties: false },
);
type DestinationBody = Static<typeof DestinationBody>;
const DestinationDto = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  urlHint: Type.String(),
  signed: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

const Cooldown = Type.Integer({
  minimum: 0,
  maximum: 43_200,
  description: 'one condition alerts at most once per this many minutes',
});
const RuleBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    params: AlertRuleParams,
    cooldownMinutes: Type.Integer({ ...Cooldown, default: 60 }),
    destinationIds: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10, default: [] }),
    enabled: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);
type RuleBody = Static<typeof RuleBody>;
const RulePatch = Type.Object(
  {
    params: Type.Optional(AlertRuleParams),
    cooldownMinutes: Type.Optional(Cooldown),
    destinationIds: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
type RulePatch = Static<typeof RulePatch>;
const RuleDto = Type.Object({
  id: Type.String(),
  name: Type.String(),
  params: Type.Unknown(),
  cooldownMinutes: Type.Integer(),
  destinationIds: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});
const AlertDto = Type.Object({
  id: Type.Integer(),
  ruleId: Type.String(),
  ruleKind: Type.String(),
  conditionKey: Type.String(),
  firedAt: Type.String({ format: 'date-time' }),
  title: Type.String(),
  text: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  deliveries: Type.Array(
    Type.Object({ destinationId: Type.String(), ok: Type.Boolean(), result: Type.String() }),
  ),
});

const destinationDto = (d: DestinationView) => ({ ...d, createdAt: iso(d.createdAt) });
const ruleDto = (r: AlertRule & { createdAt: number }) => ({ ...r, createdAt: iso(r.createdAt) });
const alertDto = (a: AlertRecord) => ({ ...a, firedAt: iso(a.firedAt) });

/** Operator alerts (features.md H3): history for everyone, rules and destinations for admins. */
export const registerAlertRoutes = (app: Api, ctx: AlertsContext): void => {
  app.get(
    '/v1/alerts',
    {
      schema: {
        tags,
        security,
        summary: 'Alerts that fired, newest first',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          ruleId: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: { 200: Type.Object({ alerts: Type.Array(AlertDto) }), ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await listAlertsAs(ctx, actorOf(req), req.query), (as) => ({
        alerts: as.map(alertDto),
      })),
  );

  app.post(
    '/v1/alerts/evaluate',
    {
      schema: {
        tags,
        security,
        summary: 'Evaluate the rules now (as the periodic loop does) and send what is due (admin)',
        response: { 200: Type.Object({ fired: Type.Array(Type.Unknown()) }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const r =
        actor.role === 'admin'
          ? ok(await runAlerts(ctx, actor.workspaceId))
          : err({ type: 'forbidden' as const, reason: 'only an admin may evaluate alert rules' });
      return sendOutcome(reply, r, (fired) => ({ fired }));
    },
  );

  app.get(
    '/v1/alerts/destinations',
    {
      schema: {
        tags,
        security,
        summary: 'Alert destinations, URLs hidden (admin)',
        response: { 200: Type.Object({ destinations: Type.Array(DestinationDto) }), ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await listDestinationsAs(ctx, actorOf(req)), (ds) => ({
        destinations: ds.map(destinationDto),
      })),
  );

  app.post(
    '/v1/alerts/destinations',
    {
      schema: {
        tags,
        security,
        summary: 'Add a signed webhook or a WeCom group robot as an alert destination (admin)',
        body: DestinationBody,
        response: { 201: DestinationDto, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await createDestinationAs(ctx, actorOf(req), req.body), destinationDto, 201),
  );

  app.delete(
    '/v1/alerts/destinations/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Remove a destination no rule uses (admin)',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await deleteDestinationAs(ctx, actorOf(req), req.params.id), () => null, 204),
  );

  app.get(
    '/v1/alerts/rules',
    {
      schema: {
        tags,
        security,
        summary: 'Alert rules (admin)',
        response: { 200: Type.Object({ rules: Type.Array(RuleDto) }), ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await listRulesAs(ctx, actorOf(req)), (rs) => ({ rules: rs.map(ruleDto) })),
  );

  app.post(
    '/v1/alerts/rules',
    {
      schema: {
        tags,
        security,
        summary: 'Add an alert rule (admin)',
        body: RuleBody,
        response: { 201: RuleDto, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await createRuleAs(ctx, actorOf(req), req.body), ruleDto, 201),
  );

  app.patch(
    '/v1/alerts/rules/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Change a rule’s thresholds, cooldown, destinations or enable it (admin)',
        params: IdParams,
        body: RulePatch,
        response: { 200: RuleDto, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await updateRuleAs(ctx, actorOf(req), req.params.id, req.body), ruleDto),
  );

  app.delete(
    '/v1/alerts/rules/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Remove a rule (admin)',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await deleteRuleAs(ctx, actorOf(req), req.params.id), () => null, 204),
  );
};
