import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Api } from '../schemas/type-provider.ts';
import {
  createSavedAudience,
  deleteSavedAudience,
  exportRefusal,
  exportSnapshotCsv,
  getAudienceSnapshot,
  getSavedAudience,
  listAudienceSnapshots,
  listSavedAudiences,
  previewAudience,
  snapshotMembers,
  takeSnapshot,
  updateSavedAudience,
  validateDefinition,
  type AudienceContext,
  type DefinitionWarning,
  type AudiencePreview,
  type ContactMode,
} from '../../audience/saved-audiences.ts';
import { parseTimestamp } from '../../core/events/timestamp.ts';
import { err } from '../../core/result.ts';
import type { SavedAudience } from '../../storage/control/audiences.ts';
import type { AudienceSnapshot } from '../../storage/control/audience-snapshots.ts';
import { parseExportColumns, type ExportColumn } from '../../core/export/columns.ts';
import { actorOf } from '../auth/api-auth.ts';
import {
  Audience,
  AudienceIdParams,
  CreateAudienceBody,
  ExportQuery,
  ListAudiencesQuery,
  Members,
  MembersQuery,
  Preview,
  PreviewBody,
  PreviewQuery,
  Snapshot,
  SnapshotBody,
  SnapshotIdParams,
  UpdateAudienceBody,
  type AudienceDto,
} from '../schemas/audience-api.ts';
import { errorResponses, storedTimeIso } from '../schemas/common.ts';
import { ValidateBody, Validation } from '../schemas/metadata-api.ts';
import { sendOutcome } from './send-outcome.ts';

const iso = (ms: number) => new Date(ms).toISOString();

const warningDto = (w: DefinitionWarning) => ({
  path: w.path,
  message: w.message,
  suggestion: w.suggestion,
  what: w.what,
  name: w.name,
  ...(w.event === undefined ? {} : { event: w.event }),
});

/** A saved audience as created or changed: with the warnings of its definition. */
const savedDto = (a: SavedAudience & { warnings: DefinitionWarning[] }): AudienceDto => ({
  ...audienceDto(a),
  warnings: a.warnings.map(warningDto),
});

const audienceDto = (a: SavedAudience): AudienceDto => ({
  id: a.id,
  name: a.name,
  description: a.description,
  definition: a.definition,
  owner: { id: a.ownerId, name: a.ownerName },
  version: a.version,
  createdAt: iso(a.createdAt),
  updatedAt: iso(a.updatedAt),
});

const snapshotDto = (s: AudienceSnapshot) => ({
  id: s.id,
  audienceId: s.audienceId,
  audienceVersion: s.audienceVersion,
  definition: s.definition,
  asOf: iso(s.asOf),
  takenAt: iso(s.takenAt),
  memberCount: s.memberCount,
  takenBy: s.takenBy,
  purpose: s.purpose,
  membersPurgedAt: s.membersPurgedAt === null ? null : iso(s.membersPurgedAt),
});

const previewDto = (p: AudiencePreview) => ({
  count: p.count,
  asOf: iso(p.asOf),
  elapsedMs: Math.round(p.elapsedMs * 10) / 10,
  warnings: p.warnings.map(warningDto),
  sample: p.sample.map((r) => ({
    userId: r.userId,
    registerTime: storedTimeIso(r.registerTime),
    acquisitionChannel: r.acquisitionChannel,
    city: r.city,
    membership: r.membership,
    balance: r.balance,
    phone: r.phone,
    email: r.email,
  })),
});

const send = sendOutcome;

const parseTime = (s: string | undefined) => (s === undefined ? undefined : parseTimestamp(s));

const exportColumns = (text: string | undefined): ExportColumn[] | string => {
  if (text === undefined || text.trim() === '') return ['acquisition_channel', 'city', 'phone', 'email'];
  const cols = parseExportColumns(text);
  return cols.ok ? cols.value : cols.error;
};

const tags = ['audiences'];
const security = [{ bearer: [] }];

/** Saved audiences, previews, snapshots and exports. Handlers only translate HTTP ↔ service. */
export const registerAudienceRoutes = (app: Api, ctx: AudienceContext): void => {
  app.get(
    '/v1/audiences',
    {
      schema: {
        tags,
        security,
        summary: 'List saved audiences',
        querystring: ListAudiencesQuery,
        response: { 200: Type.Object({ audiences: Type.Array(Audience) }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const actor = actorOf(req);
      const r = await listSavedAudiences(ctx, actor, {
        ownerId: q.owner === 'me' ? actor.userId : undefined,
        search: q.search,
      });
      return send(reply, r, (list) => ({ audiences: list.map(audienceDto) }));
    },
  );

  app.post(
    '/v1/audiences',
    {
      schema: {
        tags,
        security,
        summary: 'Save a new audience (the tree is validated and compiled first)',
        body: CreateAudienceBody,
        response: { 201: Audience, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body;
      return send(reply, await createSavedAudience(ctx, actorOf(req), body), savedDto, 201);
    },
  );

  app.post(
    '/v1/audiences/preview',
    {
      schema: {
        tags,
        security,
        summary: 'Count and sample an audience definition that is not saved yet',
        body: PreviewBody,
        response: { 200: Preview, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const r = await previewAudience(
        ctx,
        actorOf(req),
        { definition: b.definition },
        { sampleSize: b.sample ?? 20, asOf: parseTime(b.asOf) },
      );
      return send(reply, r, previewDto);
    },
  );

  app.post(
    '/v1/audiences/validate',
    {
      schema: {
        tags,
        security,
        summary:
          'Check a definition without running it: errors (it would be refused) and warnings (names never seen)',
        body: ValidateBody,
        response: { 200: Validation, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const r = await validateDefinition(ctx, actorOf(req), b.definition, { asOf: parseTime(b.asOf) });
      return send(reply, r, (v) => ({ ...v, warnings: v.warnings.map(warningDto) }));
    },
  );

  app.get(
    '/v1/audiences/:id',
    {
      schema: {
        tags,
        security,
        summary: 'One saved audience',
        params: AudienceIdParams,
        response: { 200: Audience, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return send(reply, await getSavedAudience(ctx, actorOf(req), id), audienceDto);
    },
  );

  app.patch(
    '/v1/audiences/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Change name, description or definition (owner or admin; `version` must be current)',
        params: AudienceIdParams,
        body: UpdateAudienceBody,
        response: { 200: Audience, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const body = req.body;
      return send(reply, await updateSavedAudience(ctx, actorOf(req), id, body), savedDto);
    },
  );

  app.delete(
    '/v1/audiences/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Delete (owner or admin; refused while another audience uses it). Snapshots are kept.',
        params: AudienceIdParams,
        response: { 200: Type.Object({ id: Type.String(), deleted: Type.Boolean() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return send(reply, await deleteSavedAudience(ctx, actorOf(req), id), (v) => ({
        id: v.id,
        deleted: true,
      }));
    },
  );

  app.get(
    '/v1/audiences/:id/preview',
    {
      schema: {
        tags,
        security,
        summary: 'Count and sample of a saved audience (contacts masked)',
        params: AudienceIdParams,
        querystring: PreviewQuery,
        response: { 200: Preview, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const q = req.query;
      const r = await previewAudience(
        ctx,
        actorOf(req),
        { id },
        { sampleSize: q.sample ?? 20, asOf: parseTime(q.asOf) },
      );
      return send(reply, r, previewDto);
    },
  );

  app.post(
    '/v1/audiences/:id/snapshots',
    {
      schema: {
        tags,
        security,
        summary: 'Freeze the member list now (or as of `asOf`)',
        params: AudienceIdParams,
        body: SnapshotBody,
        response: { 201: Snapshot, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const b = (req.body ?? {}) as SnapshotBody;
      const r = await takeSnapshot(ctx, actorOf(req), id, { asOf: parseTime(b.asOf), purpose: b.purpose });
      return send(reply, r, snapshotDto, 201);
    },
  );

  app.get(
    '/v1/audiences/:id/snapshots',
    {
      schema: {
        tags,
        security,
        summary: 'Snapshots of an audience, newest first',
        params: AudienceIdParams,
        response: { 200: Type.Object({ snapshots: Type.Array(Snapshot) }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return send(reply, await listAudienceSnapshots(ctx, actorOf(req), id), (l) => ({
        snapshots: l.map(snapshotDto),
      }));
    },
  );

  app.get(
    '/v1/snapshots/:id',
    {
      schema: {
        tags,
        security,
        summary: 'One snapshot',
        params: SnapshotIdParams,
        response: { 200: Snapshot, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      return send(reply, await getAudienceSnapshot(ctx, actorOf(req), id), snapshotDto);
    },
  );

  app.get(
    '/v1/snapshots/:id/members',
    {
      schema: {
        tags,
        security,
        summary: 'Member ids of a snapshot, a page at a time',
        params: SnapshotIdParams,
        querystring: MembersQuery,
        response: { 200: Members, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const q = req.query;
      const limit = q.limit ?? 1000;
      const r = await snapshotMembers(ctx, actorOf(req), id, { after: q.after, limit });
      return send(reply, r, (v) => ({
        snapshotId: v.snapshot.id,
        memberCount: v.snapshot.memberCount,
        userIds: v.userIds,
        next: v.userIds.length === limit ? (v.userIds.at(-1) ?? null) : null,
      }));
    },
  );

  const exportSchema = (summary: string, params: typeof SnapshotIdParams) => ({
    tags,
    security,
    summary,
    params,
    querystring: ExportQuery,
    produces: ['text/csv'],
    response: { 200: Type.String({ description: 'RFC 4180 CSV, header row first' }), ...errorResponses },
  });

  const streamCsv = async (
    reply: FastifyReply,
    r: Awaited<ReturnType<typeof exportSnapshotCsv>>,
    filename: (s: AudienceSnapshot) => string,
  ) => {
    if (!r.ok) return send(reply, r, () => null);
    const { snapshot, lines } = r.value;
    return reply
      .code(200)
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${filename(snapshot)}"`)
      .header('x-rekindle-snapshot', snapshot.id)
      .header('x-rekindle-member-count', String(snapshot.memberCount))
      .send(Readable.from(lines));
  };

  app.get(
    '/v1/snapshots/:id/export.csv',
    { schema: exportSchema('A snapshot as CSV (for call centres and ad platforms)', SnapshotIdParams) },
    async (req, reply) => {
      const { id } = req.params;
      const q = req.query;
      const columns = exportColumns(q.columns);
      if (typeof columns === 'string')
        return reply
          .code(400)
          .send({ error: columns, errors: [{ path: 'query.columns', message: columns }] });
      const r = await exportSnapshotCsv(ctx, actorOf(req), id, {
        columns,
        contacts: (q.contacts ?? 'masked') as ContactMode,
        locale: q.lang,
      });
      return streamCsv(reply, r, (s) => `${s.id}.csv`);
    },
  );

  app.get(
    '/v1/audiences/:id/export.csv',
    { schema: exportSchema('Snapshot the audience now and download it as CSV', AudienceIdParams) },
    async (req, reply) => {
      const { id } = req.params;
      const q = req.query;
      const columns = exportColumns(q.columns);
      if (typeof columns === 'string')
        return reply
          .code(400)
          .send({ error: columns, errors: [{ path: 'query.columns', message: columns }] });
      const actor = actorOf(req);
      const contacts = (q.contacts ?? 'masked') as ContactMode;
      // Check the export permission before doing the work of a snapshot.
      const refusal = exportRefusal(actor, contacts);
      if (refusal) return send(reply, err(refusal), () => null);
      const snap = await takeSnapshot(ctx, actor, id, { purpose: 'export' });
      if (!snap.ok) return send(reply, snap, () => null);
      const r = await exportSnapshotCsv(ctx, actor, snap.value.id, { columns, contacts, locale: q.lang });
      return streamCsv(reply, r, (s) => `${s.audienceId}-${s.id}.csv`);
    },
  );
};
