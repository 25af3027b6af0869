import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Runtime } from '../runtime.ts';
import { requireAuth } from './auth/api-auth.ts';
import { registerJsonBodyParser } from './body/json-body-parser.ts';
import { guardManagementInput } from './body/input-guard.ts';
import { registerOpenApi } from './openapi.ts';
import { registerConsole } from './console.ts';
import { registerConsoleDataRoutes } from './routes/console-data.ts';
import { registerAudienceRoutes } from './routes/audiences.ts';
import { registerAudiencePortraitRoutes } from './routes/audience-portrait.ts';
import { registerMetadataRoutes } from './routes/metadata.ts';
import { registerAuthRoutes, registerLoginRoute } from './routes/auth.ts';
import { registerCampaignRoutes } from './routes/campaigns.ts';
import { registerCampaignTaskRoutes } from './routes/campaign-tasks.ts';
import { registerCampaignDraftPreviewRoute } from './routes/campaign-draft-preview.ts';
import { registerPlannerRoutes } from './routes/planner.ts';
import { registerCallerNumberRoutes } from './routes/caller-numbers.ts';
import { registerStrategyRoutes } from './routes/strategies.ts';
import { registerJobRoutes } from './routes/jobs.ts';
import { registerChurnModelRoutes } from './routes/churn-model.ts';
import { registerIngestRoutes } from './routes/ingest.ts';
import { registerScoreRoutes } from './routes/scores.ts';
import { registerReportRoutes } from './routes/reports.ts';
import { registerNotificationRoutes } from './routes/notifications.ts';
import { registerAlertRoutes } from './routes/alerts.ts';
import { registerCatalogRoutes } from './routes/catalog.ts';
import { registerTrackingRoutes } from './routes/tracking.ts';
import { registerConversionRoutes } from './routes/conversions.ts';
import { registerOfferRoutes } from './routes/offers.ts';
import { registerRelapseRoutes } from './routes/relapse.ts';
import { registerCampaignRoiRoutes } from './routes/campaign-roi.ts';
import { registerCallTaskRoutes, registerProviderRoutes } from './routes/providers.ts';
import { registerInboxRoutes, registerInboxTokenRoute } from './routes/inbox.ts';
import { registerReceiptRoutes } from './routes/receipts.ts';
import { registerOutboxRoutes } from './routes/outbox.ts';
import { registerUserDecisionRoutes } from './routes/user-decision.ts';
import { registerTeamRoutes } from './routes/team.ts';
import { registerWriteKeyRoutes } from './routes/write-keys.ts';
import { auditRefusals } from './auth/audit-refusals.ts';
import { typed } from './schemas/type-provider.ts';
import { RequestValidationError, typeboxValidatorCompiler } from './validation.ts';

const VERSION = '0.1.0';

export const buildServer = (rt: Runtime, options: { logLevel?: string } = {}): FastifyInstance => {
  const app = Fastify({
    bodyLimit: rt.config.maxBodyBytes,
    // Request bodies and auth headers are never logged: they carry write keys, passwords, tokens,
    // session cookies and personal data.
    logger: {
      level: options.logLevel ?? rt.config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    },
    logController: new LogController({ disableRequestLogging: true }),
    // A path Fastify cannot decode (`/v1/campaigns/%F0%9F`) is refused like any bad input.
    frameworkErrors: (error, _req, reply) => {
      // Keep Fastify's own status (414 for a path parameter over its length limit), 400 otherwise.
      const status = (error as { statusCode?: number }).statusCode;
      void (reply as FastifyReply)
        .code(status !== undefined && status >= 400 && status < 500 ? status : 400)
        .send({ error: error.message, errors: [{ path: '(url)', message: error.message }] });
    },
  });
  app.removeContentTypeParser('application/json');
  registerJsonBodyParser(app);
  app.setValidatorCompiler(typeboxValidatorCompiler);
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, req, reply) => {
    if (error instanceof RequestValidationError) {
      return reply.code(400).send({ error: error.message, errors: error.errors });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) req.log.error({ err: error }, 'request failed');
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body exceeds ${rt.config.maxBodyBytes} bytes; send smaller batches`
        : status < 500
          ? error.message
          : 'internal error';
    // A refusal says where: Fastify's own (media type, size, empty body) concern the body.
    const where = error.code?.startsWith('FST_ERR_CTP') === true ? '(body)' : '(request)';
    const errors = status < 500 ? [{ path: where, message }] : undefined;
    void reply.code(status).send({ success: false, error: message, ...(errors ? { errors } : {}) });
  });
  registerOpenApi(app, VERSION);
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  // Routes see their request types through their TypeBox schemas (a type only: same instance).
  const root = typed(app);
  registerIngestRoutes(root, rt);
  // Public closed-loop links (short links, one-click unsubscribe): no login, the code or token is the key.
  registerTrackingRoutes(root, rt);
  registerInboxRoutes(root, rt);
  registerReceiptRoutes(root, rt);
  // Inside a plugin so that the OpenAPI hook (registered asynchronously) sees the route.
  void app.register(async (open) => registerLoginRoute(typed(open), rt));
  // The management API: every route in this scope needs an API token or a session.
  void app.register(async (scope) => {
    requireAuth(scope, rt);
    auditRefusals(scope, rt);
    guardManagementInput(scope);
    const api = typed(scope);
    registerAuthRoutes(api, rt);
    registerAudienceRoutes(api, rt);
    registerAudiencePortraitRoutes(api, rt);
    registerMetadataRoutes(api, rt);
    registerScoreRoutes(api, rt);
    registerChurnModelRoutes(api, rt);
    registerCampaignRoutes(api, rt);
    registerCampaignTaskRoutes(api, rt);
    registerCampaignDraftPreviewRoute(api, rt);
    registerPlannerRoutes(api, rt);
    registerCallerNumberRoutes(api, rt);
    registerStrategyRoutes(api, rt);
    registerJobRoutes(api, rt);
    registerInboxTokenRoute(api, rt);
    registerConsoleDataRoutes(api, rt);
    registerReportRoutes(api, rt);
    registerConversionRoutes(api, rt);
    registerOfferRoutes(api, rt);
    registerRelapseRoutes(api, rt);
    registerCampaignRoiRoutes(api, rt);
    registerNotificationRoutes(api, rt);
    registerAlertRoutes(api, rt);
    registerCatalogRoutes(api, rt);
    registerProviderRoutes(api, rt);
    registerCallTaskRoutes(api, rt);
    registerOutboxRoutes(api, rt);
    registerUserDecisionRoutes(api, rt);
    registerTeamRoutes(api, rt);
    registerWriteKeyRoutes(api, rt);
  });
  registerConsole(app);
  return app;
};
