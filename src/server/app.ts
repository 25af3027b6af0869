import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.ts';
import { registerIngestRoutes } from './routes/ingest.ts';

export const buildServer = (rt: Runtime, options: { logLevel?: string } = {}): FastifyInstance => {
  const app = Fastify({
    bodyLimit: rt.config.maxBodyBytes,
    // Request bodies and auth headers are never logged: they carry write keys and personal data.
    logger: { level: options.logLevel ?? rt.config.logLevel, redact: ['req.headers.authorization'] },
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, req, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) req.log.error({ err: error }, 'request failed');
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body exceeds ${rt.config.maxBodyBytes} bytes; send smaller batches`
        : status < 500
          ? error.message
          : 'internal error';
    void reply.code(status).send({ success: false, error: message });
  });
  app.get('/healthz', async () => ({ ok: true }));
  registerIngestRoutes(app, rt);
  return app;
};
