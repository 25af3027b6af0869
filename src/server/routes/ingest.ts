import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Api } from '../schemas/type-provider.ts';
import type { FieldError } from '../../core/events/field-error.ts';
import type { IngestResponse } from '../../core/events/segment-schema.ts';
import { processBatch } from '../../ingest/process-batch.ts';
import type { Runtime } from '../../runtime.ts';
import { WriteKeyCache, writeKeyFromRequest } from '../auth/write-key-auth.ts';
import { parseIngestBody } from '../body/ingest-body.ts';

const MAX_ERRORS_RETURNED = 100;

type Shape = 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias' | 'batch';

/** Pulls the list of messages out of a request body, or says precisely why it cannot. */
const messagesOf = (shape: Shape, body: unknown, maxRecords: number): unknown[] | FieldError => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { index: 0, field: '(body)', reason: 'must be a JSON object' };
  }
  if (shape !== 'batch') return [{ ...body, type: shape }];
  const batch = (body as { batch?: unknown }).batch;
  if (!Array.isArray(batch)) return { index: 0, field: 'batch', reason: 'must be an array of messages' };
  if (batch.length === 0) return { index: 0, field: 'batch', reason: 'is empty; send at least one message' };
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

/** What ingestion needs of a runtime: also served alone, on a ClickHouse warehouse (src/cli/ingest-role.ts). */
export type IngestRuntime = Pick<Runtime, 'config' | 'control' | 'clock' | 'ingest'>;

export const registerIngestRoutes = (app: Api, rt: IngestRuntime): void => {
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
      return reply.code(503).send({
        success: false,
        error: 'storage unavailable; retry (records already stored are recognised by messageId)',
      });
    }
    // Records the warehouse refused at commit (validation should have caught them) join the errors.
    const errors = [
      ...processed.errors,
      ...outcome.refused.map((r) => ({ index: r.index, field: r.field ?? '(record)', reason: r.reason })),
    ].sort((a, b) => a.index - b.index);
    const rejected = messages.length - outcome.accepted - outcome.duplicates;
    const response: IngestResponse = {
      success: rejected === 0,
      accepted: outcome.accepted,
      duplicates: outcome.duplicates,
      rejected,
      errors: errors.slice(0, MAX_ERRORS_RETURNED),
    };
    // 400 only when nothing could be stored; a partly bad batch is a 200 that lists the bad records.
    return reply.code(rejected === messages.length ? 400 : 200).send(response);
  };

  // Its own scope: ingestion bodies may be gzipped, and are parsed with a depth limit (ingest-body.ts).
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // Whole-body refusals in the ingestion shape: `errors` names the body, as for a non-object body.
    scope.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, req, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 500) {
        req.log.error({ err: error }, 'ingest request failed');
        return reply.code(500).send({ success: false, error: 'internal error' });
      }
      const reason =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `request body exceeds ${rt.config.maxBodyBytes} bytes; send smaller batches`
          : error.message;
      return reply
        .code(status)
        .send({ success: false, error: reason, errors: [{ index: 0, field: '(body)', reason }] });
    });
    scope.addContentTypeParser(
      ['application/json', 'text/plain'],
      { parseAs: 'buffer' },
      async (req: FastifyRequest, body: Buffer) => {
        const r = await parseIngestBody(body, req.headers['content-encoding'], rt.config.maxBodyBytes);
        if (!r.ok) throw Object.assign(new Error(r.error.reason), { statusCode: r.error.status });
        return r.value;
      },
    );
    scope.post('/v1/track', handle('track'));
    scope.post('/v1/identify', handle('identify'));
    scope.post('/v1/page', handle('page'));
    scope.post('/v1/screen', handle('screen'));
    scope.post('/v1/group', handle('group'));
    scope.post('/v1/alias', handle('alias'));
    scope.post('/v1/batch', handle('batch'));
    // Segment's short aliases, used by some SDKs.
    scope.post('/v1/t', handle('track'));
    scope.post('/v1/i', handle('identify'));
    scope.post('/v1/p', handle('page'));
    scope.post('/v1/s', handle('screen'));
    scope.post('/v1/g', handle('group'));
    scope.post('/v1/a', handle('alias'));
  });
};
