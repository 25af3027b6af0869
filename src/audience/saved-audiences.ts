import { compileAudience } from '../core/audience/compiler.ts';
import type { AudienceError, AudienceNode } from '../core/audience/schema.ts';
import { canOnAudience, type Actor, type AudienceAction } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import { csvLine } from '../core/export/csv.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome, ServiceFailure } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  audienceDefinitions,
  createAudience,
  editAudience,
  getAudience,
  listAudiences,
  newAudienceId,
  softDeleteAudience,
  type SavedAudience,
} from '../storage/control/audiences.ts';
import {
  getSnapshot,
  insertSnapshot,
  listSnapshots,
  newSnapshotId,
  type AudienceSnapshot,
} from '../storage/control/audience-snapshots.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { listWarningRules } from '../storage/control/warning-rules.ts';
import { listCampaigns } from '../storage/control/campaigns.ts';
import { compiledAudienceMemberIds } from '../storage/warehouse/audience-members.ts';
import {
  deleteSnapshotMembers,
  snapshotMemberPage,
  streamSnapshotRows,
  writeSnapshotMembers,
} from '../storage/warehouse/snapshot-members.ts';
import type { ExportColumn } from '../core/export/columns.ts';
import { exportCells, exportedColumns, exportNeeds, type ContactMode } from '../core/export/export-rows.ts';
import type { ReasonLocale } from '../core/models/churn/reason-words.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { previewAudienceRows, type AudienceSampleRow } from './run-audience.ts';
import { warningsFor } from './metadata.ts';
import type { NamedWarning } from '../core/audience/warnings.ts';

/**
 * Saved audiences: the rules (who may, what is valid) applied around the two stores. Expected
 * failures come back as values for the HTTP layer to map to status codes.
 */

export interface AudienceContext {
  control: SqlClient;
  warehouse: WarehouseSql;
  clock: Clock;
}

const forbidden = (actor: Actor, action: AudienceAction, ownerId?: number): ServiceFailure | null => {
  const p = canOnAudience(actor, action, ownerId ?? null);
  return p.allowed ? null : { type: 'forbidden', reason: p.reason };
};

const notFound = (id: string): ServiceFailure => ({ type: 'not_found', what: `audience '${id}'` });

/** Compiler paths start at `root`; to an API caller the tree is the `definition` field. */
const asDefinitionErrors = (errors: AudienceError[]): ServiceFailure => ({
  type: 'invalid',
  message: 'the audience definition is invalid',
  errors: errors.map((e) => ({ ...e, path: e.path.replace(/^root/, 'definition') })),
});

/** Compiles a definition against the workspace's saved audiences, optionally with one replaced. */
const compileIn = async (
  ctx: AudienceContext,
  workspaceId: string,
  definition: unknown,
  at: number,
  replacing?: { id: string; definition: unknown },
) => {
  const defs = await audienceDefinitions(ctx.control, workspaceId);
  if (replacing) defs.set(replacing.id, replacing.definition);
  return compileAudience(definition, {
    now: at,
    present: ctx.clock(),
    resolve: (id) => defs.get(id) as AudienceNode | undefined,
    dialect: ctx.warehouse.dialect,
  });
};

/** A warning as the API gives it: the path names the `definition` field, like errors do. */
export type DefinitionWarning = NamedWarning;

/** Names in a (compiled, so valid) definition that the warehouse has never seen. */
const definitionWarnings = async (ctx: AudienceContext, definition: unknown): Promise<DefinitionWarning[]> =>
  (await warningsFor(ctx.warehouse, definition as AudienceNode)).map((w) => ({
    ...w,
    path: w.path.replace(/^root/, 'definition'),
  }));

/** The ids of `audience` nodes anywhere in a stored definition. */
const referencedAudiences = (definition: unknown, out = new Set<string>()): Set<string> => {
  if (Array.isArray(definition)) for (const d of definition) referencedAudiences(d, out);
  else if (typeof definition === 'object' && definition !== null) {
    const o = definition as Record<string, unknown>;
    if (o['kind'] === 'audience' && typeof o['id'] === 'string') out.add(o['id']);
    for (const v of Object.values(o)) referencedAudiences(v, out);
  }
  return out;
};

export const listSavedAudiences = async (
  ctx: AudienceContext,
  actor: Actor,
  filter: { ownerId?: number | undefined; search?: string | undefined },
): Outcome<SavedAudience[]> => {
  const no = forbidden(actor, 'audience.read');
  if (no) return err(no);
  return ok(await listAudiences(ctx.control, actor.workspaceId, filter));
};

export const getSavedAudience = async (
  ctx: AudienceContext,
  actor: Actor,
  id: string,
): Outcome<SavedAudience> => {
  const no = forbidden(actor, 'audience.read');
  if (no) return err(no);
  const a = await getAudience(ctx.control, actor.workspaceId, id);
  return a ? ok(a) : err(notFound(id));
};

export interface AudienceInput {
  name: string;
  description?: string | undefined;
  definition: unknown;
}

export type SavedWithWarnings = SavedAudience & { warnings: DefinitionWarning[] };

export const createSavedAudience = async (
  ctx: AudienceContext,
  actor: Actor,
  input: AudienceInput,
): Outcome<SavedWithWarnings> => {
  const no = forbidden(actor, 'audience.create');
  if (no) return err(no);
  const at = ctx.clock();
  const name = input.name.trim();
  const compiled = await compileIn(ctx, actor.workspaceId, input.definition, at);
  if (!compiled.ok) return err(asDefinitionErrors(compiled.error));
  const id = newAudienceId();
  const created = await createAudience(
    ctx.control,
    {
      id,
      workspaceId: actor.workspaceId,
      name,
      description: input.description ?? '',
      definition: input.definition,
      ownerId: actor.userId,
      at,
    },
    {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'audience.create',
      objectType: 'audience',
      objectId: id,
      details: { name, definition: input.definition },
    },
  );
  if (created === 'name_taken')
    return err({ type: 'conflict', reason: `an audience named '${name}' exists already` });
  const saved = await getAudience(ctx.control, actor.workspaceId, id);
  if (!saved) throw new Error(`audience ${id} vanished after insert`);
  return ok({ ...saved, warnings: await definitionWarnings(ctx, input.definition) });
};

export const updateSavedAudience = async (
  ctx: AudienceContext,
  actor: Actor,
  id: string,
  input: Partial<AudienceInput> & { version: number },
): Outcome<SavedWithWarnings> => {
  const current = await getAudience(ctx.control, actor.workspaceId, id);
  if (!current) return err(notFound(id));
  const no = forbidden(actor, 'audience.update', current.ownerId);
  if (no) return err(no);
  if (input.version !== current.version) {
    return err({
      type: 'conflict',
      reason: `audience '${id}' is at version ${current.version}, not ${input.version}; reload and edit again`,
    });
  }
  const at = ctx.clock();
  const next = {
    name: input.name?.trim() ?? current.name,
    description: input.description ?? current.description,
    definition: input.definition ?? current.definition,
  };
  if (input.definition !== undefined) {
    const compiled = await compileIn(ctx, actor.workspaceId, next.definition, at, {
      id,
      definition: next.definition,
    });
    if (!compiled.ok) return err(asDefinitionErrors(compiled.error));
  }
  const outcome = await editAudience(
    ctx.control,
    { id, workspaceId: actor.workspaceId, ...next, expectedVersion: input.version, at },
    {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'audience.update',
      objectType: 'audience',
      objectId: id,
      details: { fromVersion: input.version, ...next },
    },
  );
  if (outcome === 'name_taken')
    return err({ type: 'conflict', reason: `an audience named '${next.name}' exists already` });
  if (outcome === 'stale')
    return err({ type: 'conflict', reason: `audience '${id}' was changed meanwhile; reload` });
  const saved = await getAudience(ctx.control, actor.workspaceId, id);
  if (!saved) throw new Error(`audience ${id} vanished after update`);
  return ok({ ...saved, warnings: await definitionWarnings(ctx, saved.definition) });
};

export const deleteSavedAudience = async (
  ctx: AudienceContext,
  actor: Actor,
  id: string,
): Outcome<{ id: string }> => {
  const current = await getAudience(ctx.control, actor.workspaceId, id);
  if (!current) return err(notFound(id));
  const no = forbidden(actor, 'audience.delete', current.ownerId);
  if (no) return err(no);
  // Saved audiences and warning rules may both refer to this one; neither may be left dangling.
  const users: { id: string; name: string }[] = [
    ...(await listAudiences(ctx.control, actor.workspaceId)).filter((a) => a.id !== id),
    ...(await listWarningRules(ctx.control, actor.workspaceId)),
  ].filter((a) => referencedAudiences(a.definition).has(id));
  // A campaign that may still run snapshots its audience at each slot: it must not lose it.
  users.push(
    ...(await listCampaigns(ctx.control, actor.workspaceId)).filter(
      (c) => c.definition.audienceId === id && c.status !== 'finished' && c.status !== 'cancelled',
    ),
  );
  if (users.length > 0) {
    return err({
      type: 'in_use',
      reason: `audience '${id}' is used by ${users.map((u) => `'${u.name}'`).join(', ')}`,
      by: users.map((u) => ({ id: u.id, name: u.name })),
    });
  }
  const at = ctx.clock();
  await ctx.control.transaction(async (tx) => {
    await softDeleteAudience(tx, actor.workspaceId, id, at);
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'audience.delete',
      objectType: 'audience',
      objectId: id,
      details: { name: current.name },
    });
  });
  return ok({ id });
};

export interface AudiencePreview {
  count: number;
  sample: AudienceSampleRow[];
  asOf: number;
  elapsedMs: number;
  warnings: DefinitionWarning[];
}

/** Count and a sample (contacts masked) of a saved audience or of a definition not yet saved. */
export const previewAudience = async (
  ctx: AudienceContext,
  actor: Actor,
  target: { id: string } | { definition: unknown },
  options: { sampleSize: number; asOf?: number | undefined },
): Outcome<AudiencePreview> => {
  const no = forbidden(actor, 'audience.preview');
  if (no) return err(no);
  let definition: unknown;
  if ('id' in target) {
    const saved = await getAudience(ctx.control, actor.workspaceId, target.id);
    if (!saved) return err(notFound(target.id));
    definition = saved.definition;
  } else definition = target.definition;
  const present = ctx.clock();
  const asOf = options.asOf ?? present;
  const started = performance.now();
  const defs = await audienceDefinitions(ctx.control, actor.workspaceId);
  const opts = { now: asOf, present, resolve: (id: string) => defs.get(id) as AudienceNode | undefined };
  // One query for the count and the sample: the audience is evaluated once.
  const rows = await previewAudienceRows(ctx.warehouse, definition, { ...opts, limit: options.sampleSize });
  if (!rows.ok) return err(asDefinitionErrors(rows.error));
  const elapsedMs = performance.now() - started;
  const warnings = await definitionWarnings(ctx, definition);
  return ok({ count: rows.value.count, sample: rows.value.sample, asOf, elapsedMs, warnings });
};

/**
 * Checks a definition without running it: the errors that would refuse it (as values, not a
 * failure: the builder shows them as the user types) and the warnings that would not.
 */
export const validateDefinition = async (
  ctx: AudienceContext,
  actor: Actor,
  definition: unknown,
  options: { asOf?: number | undefined } = {},
): Outcome<{ valid: boolean; errors: AudienceError[]; warnings: DefinitionWarning[] }> => {
  const no = forbidden(actor, 'audience.preview');
  if (no) return err(no);
  const compiled = await compileIn(ctx, actor.workspaceId, definition, options.asOf ?? ctx.clock());
  if (!compiled.ok) {
    const errors = asDefinitionErrors(compiled.error);
    return ok({ valid: false, errors: errors.type === 'invalid' ? (errors.errors ?? []) : [], warnings: [] });
  }
  return ok({ valid: true, errors: [], warnings: await definitionWarnings(ctx, definition) });
};

/**
 * Freezes the member list: members are written to the warehouse first, then the control plane
 * records the snapshot (with the definition and version it came from) in one transaction with
 * its audit entry. If that fails, the orphaned members are removed.
 */
export const takeSnapshot = async (
  ctx: AudienceContext,
  actor: Actor,
  audienceId: string,
  options: { asOf?: number | undefined; purpose?: string | undefined } = {},
): Outcome<AudienceSnapshot> => {
  const no = forbidden(actor, 'audience.snapshot');
  if (no) return err(no);
  const audience = await getAudience(ctx.control, actor.workspaceId, audienceId);
  if (!audience) return err(notFound(audienceId));
  const asOf = options.asOf ?? ctx.clock();
  const compiled = await compileIn(ctx, actor.workspaceId, audience.definition, asOf);
  if (!compiled.ok) return err(asDefinitionErrors(compiled.error));
  const snapshot: AudienceSnapshot = {
    id: newSnapshotId(),
    workspaceId: actor.workspaceId,
    audienceId,
    audienceVersion: audience.version,
    definition: audience.definition,
    asOf,
    takenAt: 0,
    memberCount: 0,
    takenBy: actor.userId,
    purpose: options.purpose ?? 'manual',
    membersPurgedAt: null,
  };
  snapshot.memberCount = await writeSnapshotMembers(ctx.warehouse, snapshot.id, compiled.value);
  snapshot.takenAt = ctx.clock();
  try {
    await ctx.control.transaction(async (tx) => {
      await insertSnapshot(tx, snapshot);
      await appendAudit(tx, {
        workspaceId: actor.workspaceId,
        at: snapshot.takenAt,
        actorId: actor.userId,
        action: 'audience.snapshot',
        objectType: 'audience',
        objectId: audienceId,
        details: {
          snapshotId: snapshot.id,
          memberCount: snapshot.memberCount,
          asOf,
          purpose: snapshot.purpose,
        },
      });
    });
  } catch (e) {
    await deleteSnapshotMembers(ctx.warehouse, snapshot.id).catch(() => undefined);
    throw e;
  }
  return ok(snapshot);
};

export const listAudienceSnapshots = async (
  ctx: AudienceContext,
  actor: Actor,
  audienceId: string,
): Outcome<AudienceSnapshot[]> => {
  const no = forbidden(actor, 'audience.read');
  if (no) return err(no);
  const audience = await getAudience(ctx.control, actor.workspaceId, audienceId);
  if (!audience) return err(notFound(audienceId));
  return ok(await listSnapshots(ctx.control, actor.workspaceId, audienceId));
};

export const getAudienceSnapshot = async (
  ctx: AudienceContext,
  actor: Actor,
  id: string,
): Outcome<AudienceSnapshot> => {
  const no = forbidden(actor, 'audience.read');
  if (no) return err(no);
  const s = await getSnapshot(ctx.control, actor.workspaceId, id);
  return s ? ok(s) : err({ type: 'not_found', what: `snapshot '${id}'` });
};

/** An old snapshot whose members retention deleted: its row (count, definition) is all there is. */
const purged = (s: AudienceSnapshot): ServiceFailure => ({
  type: 'conflict',
  reason: `the members of snapshot '${s.id}' were deleted by retention on ${new Date(s.membersPurgedAt ?? 0).toISOString()} (REKINDLE_RETENTION_SNAPSHOT_DAYS); take a new snapshot`,
});

export const snapshotMembers = async (
  ctx: AudienceContext,
  actor: Actor,
  id: string,
  page: { after?: string | undefined; limit: number },
): Outcome<{ snapshot: AudienceSnapshot; userIds: string[] }> => {
  const s = await getAudienceSnapshot(ctx, actor, id);
  if (!s.ok) return s;
  if (s.value.membersPurgedAt !== null) return err(purged(s.value));
  return ok({ snapshot: s.value, userIds: await snapshotMemberPage(ctx.warehouse, id, page) });
};

export type { ContactMode } from '../core/export/export-rows.ts';

/** Why the actor may not export with these contacts, or null if they may. */
export const exportRefusal = (actor: Actor, contacts: ContactMode): ServiceFailure | null =>
  forbidden(actor, 'audience.export') ??
  (contacts === 'clear' ? forbidden(actor, 'audience.export_contacts') : null);

/**
 * A snapshot as CSV lines (header first). Contacts are masked unless `clear` is asked for, which
 * only admins may; hashed contacts (`phone_sha256`, `email_sha256`) need only the export right.
 * Every export is audited with its columns.
 */
export const exportSnapshotCsv = async (
  ctx: AudienceContext,
  actor: Actor,
  id: string,
  options: { columns: readonly ExportColumn[]; contacts: ContactMode; locale?: ReasonLocale | undefined },
): Outcome<{ snapshot: AudienceSnapshot; lines: AsyncGenerator<string> }> => {
  const no = exportRefusal(actor, options.contacts);
  if (no) return err(no);
  const s = await getSnapshot(ctx.control, actor.workspaceId, id);
  if (!s) return err({ type: 'not_found', what: `snapshot '${id}'` });
  if (s.membersPurgedAt !== null) return err(purged(s));
  const columns = exportedColumns(options.columns, options.contacts);
  await appendAudit(ctx.control, {
    workspaceId: actor.workspaceId,
    at: ctx.clock(),
    actorId: actor.userId,
    action: 'audience.export',
    objectType: 'audience',
    objectId: s.audienceId,
    details: { snapshotId: id, columns, contacts: options.contacts, rows: s.memberCount },
  });
  const cellOptions = { contacts: options.contacts, locale: options.locale ?? 'zh-CN' } as const;
  async function* lines(): AsyncGenerator<string> {
    yield csvLine(['user_id', ...columns]);
    for await (const rows of streamSnapshotRows(ctx.warehouse, id, exportNeeds(columns))) {
      let chunk = '';
      for (const r of rows) chunk += csvLine(exportCells(columns, r, cellOptions));
      yield chunk;
    }
  }
  return ok({ snapshot: s, lines: lines() });
};

/**
 * The members of a saved audience as of `at`, computed but not frozen (estimates and previews;
 * a campaign run takes a snapshot instead). Null when the audience does not exist.
 */
export const audienceMemberIds = async (
  ctx: AudienceContext,
  workspaceId: string,
  audienceId: string,
  at: number,
): Promise<string[] | null> => {
  const audience = await getAudience(ctx.control, workspaceId, audienceId);
  if (!audience) return null;
  const compiled = await compileIn(ctx, workspaceId, audience.definition, at);
  if (!compiled.ok)
    throw new Error(`saved audience ${audienceId} no longer compiles: ${compiled.error[0]?.message}`);
  return compiledAudienceMemberIds(ctx.warehouse, compiled.value);
};
