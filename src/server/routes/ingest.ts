import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FieldError } from '../../core/events/field-error.ts';
import type { IngestResponse } from '../../core/events/segment-schema.ts';
import { processBatch } from '../../ingest/process-batch.ts';
import type { Runtime } from '../../runtime.ts';
import { WriteKeyCache, writeKeyFromRequest } from '../auth/write-key-auth.ts';

const MAX_ERRORS_RETURNED = 100;

type Shape = 'track' | 'identify' | 'batch';

/** Pulls the list of messages out of a request body, or says precisely why it cannot. */
const messagesOf = (shape: Shape, body: unknown, maxRecords: number): unknown[] | FieldError => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { index: 0, field: '(body)', reason: 'must be a JSON object' };
  }
  if (shape !== 'batch') return [{ ...body, type: shape }];
  const batch = (body as { batch?: unknown }).batch;
  if (!Array.isArray(batch)) return { index: 0, field: 'batch', reason: 'must be an array of messages' };
  if (batch.length > maxRecords) {
    return { index: 0, field: 'batch', reason: `has ${batch.length} messages; the limit is ${maxRecords}` };
  }
  const shared = (body as { context?: unknown }).context;
  // A batch-level context applies to every message that has none of its own (Segment's rule).
  return shared === undefined
    ? batch
    : batch.map((m: unknown) =>
        typeof m === 'object' && m !== null && !('context' in m) ? { ...m, context: shared } : m,
      );
};

export const registerIngestRoutes = (app: FastifyInstance, rt: Runtime): void => {
  const keys = new WriteKeyCache(rt.control);

  const handle = (shape: Shape) => async (req: FastifyRequest, reply: FastifyReply) => {
    const key = writeKeyFromRequest(req.headers.authorization, req.body);
    if (key === null || (await keys.workspaceFor(key)) === null) {
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="rekindle"')
        .send({ success: false, error: 'a valid write key is required (Basic auth user name)' });
    }
    const messages = messagesOf(shape, req.body, rt.config.maxBatchRecords);
    if (!Array.isArray(messages)) {
      return reply
        .code(400)
        .send({ success: false, accepted: 0, duplicates: 0, rejected: 0, errors: [messages] });
    }
    const processed = processBatch(messages, { receivedAt: rt.clock(), source: 'http' });
    let outcome;
    try {
      outcome = await rt.ingest.submit(processed);
    } catch (e) {
      req.log.error({ err: e }, 'ingest commit failed');
      return reply
        .code(503)
        .send({ success: false, error: 'storage unavailable; nothing was stored, retry' });
    }
    const rejected = messages.length - processed.events.length - processed.identifies.length;
    const response: IngestResponse = {
      success: rejected === 0,
      accepted: outcome.accepted,
      duplicates: outcome.duplicates,
      rejected,
      errors: processed.errors.slice(0, MAX_ERRORS_RETURNED),
    };
    // 400 only when nothing could be stored; a partly bad batch is a 200 that lists the bad records.
    return reply.code(rejected === messages.length ? 400 : 200).send(response);
  };

  app.post('/v1/track', handle('track'));
  app.post('/v1/identify', handle('identify'));
  app.post('/v1/batch', handle('batch'));
  // Segment's short aliases, used by some SDKs.
  app.post('/v1/t', handle('track'));
  app.post('/v1/i', handle('identify'));
};
