import { typed } from '../schemas/type-provider.ts';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Api } from '../schemas/type-provider.ts';
import { canOnCampaign, canOnScores, type Actor, type Permission } from '../../core/auth/roles.ts';
import { importWork, planWork, scoreWork, trainWork, type ImportFormat } from '../../jobs/job-kinds.ts';
import { JOB_KINDS, jobsOf, type JobKind, type JobView, type JobWork } from '../../jobs/job-registry.ts';
import type { Runtime } from '../../runtime.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { uploadName } from '../../core/jobs/public-error.ts';

const tags = ['jobs'];
const security = [{ bearer: [] }];

const JobSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union(JOB_KINDS.map((k) => Type.Literal(k))),
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  phase: Type.String({
    description: 'e.g. snapshots, inputs, planning, writing; features, training; reading',
  }),
  done: Type.Number(),
  total: Type.Number({ description: 'progress is done / total' }),
  startedBy: Type.Integer(),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  result: Type.Unknown({ description: "the operation's answer once done" }),
  error: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer({ description: '1, plus one for each resume after a server restart' }),
});

const dto = (j: JobView): Static<typeof JobSchema> => ({
  id: j.id,
  kind: j.kind,
  status: j.status,
  phase: j.phase,
  done: j.done,
  total: j.total,
  startedBy: j.startedBy,
  startedAt: new Date(j.startedAt).toISOString(),
  finishedAt: j.finishedAt === null ? null : new Date(j.finishedAt).toISOString(),
  result: j.result,
  error: j.error,
  attempts: j.attempts,
});

/** Who may start each kind (the same rules as the synchronous endpoints). */
const permission = (actor: Actor, kind: JobKind): Permission => {
  switch (kind) {
    case 'plan':
      return canOnCampaign(actor, 'planner.run');
    case 'score':
      return canOnScores(actor, 'scores.compute');
    case 'train':
      return canOnScores(actor, 'churn_model.train');
    case 'import':
      return canOnScores(actor, 'data.import');
  }
};

const IMPORT_TYPES: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/vnd.apache.parquet': 'parquet',
};
const MAX_IMPORT_BYTES = 2 * 2 ** 30;

/**
 * Long operations as jobs with progress (features.md I1): `POST /v1/jobs/{plan|score|train|import}`
 * answers 202 with the job at once; `GET /v1/jobs/{id}` says how far it has come. The import
 * takes the file as the request body (CSV, NDJSON or Parquet by content type), streamed to the
 * data directory, then imported with byte progress.
 */
export const registerJobRoutes = (app: Api, rt: Runtime): void => {
  const jobs = jobsOf(rt);
  const start = async (reply: FastifyReply, actor: Actor, kind: JobKind, work: JobWork) => {
    const p = permission(actor, kind);
    if (!p.allowed) return reply.code(403).send({ error: p.reason });
    const r = await jobs.start(kind, { workspaceId: actor.workspaceId, userId: actor.userId }, work);
    if (!r.ok)
      return reply.code(409).send({ error: `a ${kind} job is already running`, job: dto(r.error.running) });
    return reply.code(202).send(dto(r.value));
  };
  const schema = (summary: string) => ({
    tags,
    security,
    summary,
    response: {
      ...errorResponses,
      202: JobSchema,
      409: Type.Object({ error: Type.String(), job: Type.Optional(JobSchema) }),
    },
  });

  app.post(
    '/v1/jobs/plan',
    { schema: schema('Plan every campaign due now, as a job with progress (operator, admin)') },
    (req, reply) => {
      const actor = actorOf(req);
      return start(reply, actor, 'plan', planWork(rt, actor));
    },
  );
  app.post(
    '/v1/jobs/score',
    { schema: schema('Compute stages, RFM and warnings, as a job with progress (operator, admin)') },
    (req, reply) => {
      const actor = actorOf(req);
      return start(reply, actor, 'score', scoreWork(rt, actor));
    },
  );
  app.post(
    '/v1/jobs/train',
    { schema: schema('Train the churn model, as a job with progress (operator, admin)') },
    (req, reply) => {
      const actor = actorOf(req);
      return start(reply, actor, 'train', trainWork(rt, actor));
    },
  );

  void app.register(async (upload) => {
    for (const type of Object.keys(IMPORT_TYPES))
      upload.addContentTypeParser(type, { bodyLimit: MAX_IMPORT_BYTES }, (_req, payload, done) =>
        done(null, payload),
      );
    typed(upload).post(
      '/v1/jobs/import',
      {
        bodyLimit: MAX_IMPORT_BYTES,
        schema: {
          ...schema(
            "Import a CSV, NDJSON or Parquet file of events and profiles (the body; format by content type), as a job with byte progress (operator, admin). `?name=` is the file's name on the client: error messages call it that",
          ),
          consumes: Object.keys(IMPORT_TYPES),
          querystring: Type.Object({ name: Type.Optional(Type.String({ maxLength: 1000 })) }),
        },
      },
      async (req, reply) => {
        const actor = actorOf(req);
        const p = permission(actor, 'import');
        if (!p.allowed) return reply.code(403).send({ error: p.reason });
        const format = IMPORT_TYPES[(req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? ''];
        if (!format)
          return reply
            .code(415)
            .send({ error: `send the file as one of ${Object.keys(IMPORT_TYPES).join(', ')}` });
        const dir = join(rt.config.dataDir, 'uploads');
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const path = join(dir, `${randomBytes(8).toString('hex')}.${format}`);
        // The whole file is on disk before the job starts: a dropped upload imports nothing, and
        // leaves nothing behind.
        try {
          // The body is the upload stream the content-type parser passed on; no schema describes it.
          await pipeline(req.body as Readable, createWriteStream(path, { mode: 0o600 }));
        } catch (e) {
          await rm(path, { force: true });
          throw e;
        }
        const size = (await stat(path)).size;
        // The job's row keeps the file's path: after a restart the import is failed (see
        // RESTART_POLICY) and the file removed.
        // A repeated `?name=` is refused by the query schema (it used to reach `uploadName` as an
        // array and fail with a 500); `uploadName` cleans the text.
        const params = { path, format, size, name: uploadName(req.query.name) };
        const r = await jobs.start(
          'import',
          { workspaceId: actor.workspaceId, userId: actor.userId },
          importWork(rt, params),
          { ...params },
        );
        if (r.ok) return reply.code(202).send(dto(r.value));
        // Refused (another import runs): the job never takes the file.
        await rm(path, { force: true });
        return reply.code(409).send({ error: 'an import job is already running', job: dto(r.error.running) });
      },
    );
  });

  app.get(
    '/v1/jobs',
    {
      schema: {
        tags,
        security,
        summary: 'Recent jobs of the workspace, newest first',
        response: { 200: Type.Object({ jobs: Type.Array(JobSchema) }), ...errorResponses },
      },
    },
    async (req) => ({ jobs: (await jobs.list(actorOf(req).workspaceId)).map(dto) }),
  );
  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        tags,
        security,
        summary: "A job's status and progress",
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: JobSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const j = await jobs.get(actorOf(req).workspaceId, req.params.id);
      return j ? reply.send(dto(j)) : reply.code(404).send({ error: 'job not found' });
    },
  );
};
