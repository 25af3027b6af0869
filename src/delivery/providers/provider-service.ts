import { randomBytes } from 'node:crypto';
import type { TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { Actor } from '../../core/auth/roles.ts';
import type { Clock } from '../../core/clock.ts';
import { err, ok } from '../../core/result.ts';
import { appendAudit } from '../../storage/control/audit-log.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { pointerToPath } from '../../core/validation/pointer-path.ts';
import type { Outcome, ServiceFailure } from '../../core/service-failure.ts';
import { checkTargetUrl } from './private-targets.ts';
import { emailProviderRefusal } from '../../core/tracking/unsubscribe-https.ts';
import { dkimKeyProblem } from './adapters/smtp.ts';
import { isProviderKind, PROVIDER_KINDS, type ProviderKind, type SecretsOf } from './provider-kinds.ts';
import {
  createProvider,
  deleteProvider,
  editProvider,
  getProvider,
  isNameTaken,
  listProviders,
  sealedProviderSecrets,
  setSealedProviderSecrets,
  type ProviderRecord,
} from '../../storage/control/providers.ts';
import { openSecrets, sealSecrets, type MasterKeys } from '../../lib/secret-box.ts';

/**
 * Provider configuration (admin only). Secrets are write-only: they are sealed before they reach
 * the database and only their names ever leave this module (API answers, audit entries).
 */

export interface ProviderContext {
  control: SqlClient;
  clock: Clock;
  masterKeys: MasterKeys;
  /** REKINDLE_ALLOW_PRIVATE_TARGETS: endpoints may be loopback or private-network addresses. */
  allowPrivateTargets?: boolean;
  /** Called after every change, so the registry re-checks the workspace's providers at once. */
  onChange?: (workspaceId: string) => void;
  /**
   * The public URL unsubscribe links name (config `publicUrl`), read at each change: `serve
   * --port 0` learns it only once listening. Absent: e-mail providers are not checked against it.
   */
  publicUrl?: () => string;
}

/** What the API shows of a provider: the stored record without its workspace and sealed secrets. */
export type ProviderView = Omit<ProviderRecord, 'workspaceId' | 'secretsEnc'> & {
  /** Names of the secrets that are set (values are never returned). */
  secretsSet: string[];
  /**
   * SMTP with DKIM: its domain and selector, which are public (published in DNS) and which the
   * form shows for editing; the private key stays write-only.
   */
  dkim?: { domainName: string; keySelector: string };
};

export interface CreateProvider {
  kind: string;
  name: string;
  priority?: number | undefined;
  ratePerSecond?: number | undefined;
  enabled?: boolean | undefined;
  config: unknown;
  secrets: unknown;
}

export interface UpdateProvider {
  version: number;
  name?: string | undefined;
  priority?: number | undefined;
  ratePerSecond?: number | undefined;
  enabled?: boolean | undefined;
  /** Replaces the whole non-secret configuration. */
  config?: unknown;
  /**
   * Merged over the stored secrets: a given name is replaced, `null` removes it (optional secrets
   * only), others stay. SMTP `dkim` given without `privateKey` keeps the stored key (the domain or
   * selector changed, the key not re-entered).
   */
  secrets?: Record<string, unknown> | undefined;
}

/** The secrets of a kind that must always be set: they can be replaced, never removed. */
export const requiredSecrets = (kind: ProviderKind): readonly string[] =>
  PROVIDER_KINDS[kind].secrets.required ?? [];

/** The stored secrets after a patch, or the refusals (a required secret removed). */
export const mergeSecrets = (
  kind: ProviderKind,
  stored: Record<string, unknown>,
  patch: Record<string, unknown>,
): { secrets: Record<string, unknown>; errors: { path: string; message: string }[] } => {
  const required = requiredSecrets(kind);
  const errors = Object.entries(patch)
    .filter(([k, v]) => v === null && required.includes(k))
    .map(([k]) => ({
      path: `secrets.${k}`,
      message: 'required: it cannot be removed, only replaced by a new value',
    }));
  const secrets: Record<string, unknown> = { ...stored };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete secrets[k];
    else if (k === 'dkim' && kind === 'smtp') secrets[k] = withStoredDkimKey(v, stored[k]);
    else secrets[k] = v;
  }
  return { secrets, errors };
};

/** A DKIM object without a private key keeps the stored one; anything else is taken as given. */
const withStoredDkimKey = (given: unknown, stored: unknown): unknown => {
  if (typeof given !== 'object' || given === null || 'privateKey' in given) return given;
  const key =
    typeof stored === 'object' && stored !== null
      ? (stored as { privateKey?: unknown }).privateKey
      : undefined;
  return key === undefined ? given : { ...given, privateKey: key };
};

const dkimShown = (kind: string, secrets: Record<string, unknown>): Pick<ProviderView, 'dkim'> => {
  const d = secrets['dkim'];
  if (kind !== 'smtp' || typeof d !== 'object' || d === null) return {};
  const { domainName, keySelector } = d as { domainName?: unknown; keySelector?: unknown };
  return typeof domainName === 'string' && typeof keySelector === 'string'
    ? { dkim: { domainName, keySelector } }
    : {};
};

const checks = new Map<TObject, TypeCheck<TObject>>();
const checkerOf = (schema: TObject) => {
  let c = checks.get(schema);
  if (!c) checks.set(schema, (c = TypeCompiler.Compile(schema)));
  return c;
};

const validate = (schema: TObject, value: unknown, prefix: string): { path: string; message: string }[] => {
  const c = checkerOf(schema);
  return c.Check(value)
    ? []
    : [...c.Errors(value)]
        .slice(0, 20)
        .map((e) => ({ path: pointerToPath(e.path, prefix), message: e.message }));
};

const invalid = (errors: { path: string; message: string }[]): ServiceFailure => ({
  type: 'invalid',
  message: `invalid provider: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
  errors,
});

/** Endpoint settings (every `…url`/`endpoint` string of a config) that name a private target. */
const privateTargets = (config: unknown, allow: boolean): { path: string; message: string }[] => {
  if (allow || typeof config !== 'object' || config === null) return [];
  return Object.entries(config as Record<string, unknown>).flatMap(([k, v]) => {
    if (typeof v !== 'string' || !/url$|endpoint$/i.test(k)) return [];
    const verdict = checkTargetUrl(v, false);
    return verdict.ok ? [] : [{ path: `config.${k}`, message: verdict.reason }];
  });
};

/** An SMTP provider being enabled while one-click unsubscribe links would be plain public HTTP. */
const emailOverHttp = (
  ctx: ProviderContext,
  kind: string,
  enabling: boolean,
): { path: string; message: string }[] => {
  if (kind !== 'smtp' || !enabling || ctx.publicUrl === undefined) return [];
  const refusal = emailProviderRefusal(ctx.publicUrl());
  return refusal === null ? [] : [{ path: 'enabled', message: refusal }];
};

/** A DKIM key nodemailer could not sign with would send unsigned mail: refused up front. */
const dkimProblems = (kind: string, secrets: unknown): { path: string; message: string }[] => {
  if (kind !== 'smtp' || typeof secrets !== 'object' || secrets === null) return [];
  const dkim = (secrets as SecretsOf<'smtp'>).dkim;
  const problem = dkim === undefined ? null : dkimKeyProblem(dkim);
  return problem === null ? [] : [{ path: 'secrets.dkim.privateKey', message: problem }];
};

const adminOnly = (actor: Actor): ServiceFailure | null =>
  actor.role === 'admin'
    ? null
    : { type: 'forbidden', reason: 'only admins may view or change delivery providers' };

export const providerView = (p: ProviderRecord, keys: MasterKeys): ProviderView => {
  const secrets = openSecrets(keys, p.secretsEnc);
  return {
    id: p.id,
    channel: p.channel,
    kind: p.kind,
    name: p.name,
    priority: p.priority,
    ratePerSecond: p.ratePerSecond,
    enabled: p.enabled,
    config: p.config,
    secretsSet: Object.keys(secrets).sort(),
    ...dkimShown(p.kind, secrets),
    version: p.version,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
};

const ownProvider = async (ctx: ProviderContext, actor: Actor, id: string) => {
  const p = await getProvider(ctx.control, id);
  return p && p.workspaceId === actor.workspaceId ? p : null;
};

export const listProvidersAs = async (
  ctx: ProviderContext,
  actor: Actor,
  channel?: string,
): Outcome<ProviderView[]> => {
  const denied = adminOnly(actor);
  if (denied) return err(denied);
  const rows = await listProviders(ctx.control, actor.workspaceId, channel === undefined ? {} : { channel });
  return ok(rows.map((p) => providerView(p, ctx.masterKeys)));
};

export const getProviderAs = async (
  ctx: ProviderContext,
  actor: Actor,
  id: string,
): Outcome<ProviderView> => {
  const denied = adminOnly(actor);
  if (denied) return err(denied);
  const p = await ownProvider(ctx, actor, id);
  return p ? ok(providerView(p, ctx.masterKeys)) : err({ type: 'not_found', what: `provider ${id}` });
};

export const createProviderAs = async (
  ctx: ProviderContext,
  actor: Actor,
  body: CreateProvider,
): Outcome<ProviderView> => {
  const denied = adminOnly(actor);
  if (denied) return err(denied);
  if (!isProviderKind(body.kind))
    return err(
      invalid([{ path: 'kind', message: `unknown kind; one of ${Object.keys(PROVIDER_KINDS).join(', ')}` }]),
    );
  const kind: ProviderKind = body.kind;
  const spec = PROVIDER_KINDS[kind];
  const errors = [
    ...validate(spec.config, body.config, 'config'),
    ...validate(spec.secrets, body.secrets, 'secrets'),
    ...privateTargets(body.config, ctx.allowPrivateTargets === true),
  ];
  if (errors.length === 0) errors.push(...dkimProblems(kind, body.secrets));
  errors.push(...emailOverHttp(ctx, kind, body.enabled ?? true));
  if (errors.length > 0) return err(invalid(errors));
  const now = ctx.clock();
  const p: ProviderRecord = {
    id: `prv_${randomBytes(9).toString('base64url')}`,
    workspaceId: actor.workspaceId,
    channel: spec.channel,
    kind,
    name: body.name,
    priority: body.priority ?? 0,
    ratePerSecond: body.ratePerSecond ?? 10,
    enabled: body.enabled ?? true,
    config: body.config as Record<string, unknown>,
    secretsEnc: sealSecrets(ctx.masterKeys, body.secrets as Record<string, unknown>),
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await createProvider(ctx.control, p, {
      workspaceId: actor.workspaceId,
      at: now,
      actorId: actor.userId,
      action: 'provider.create',
      objectType: 'provider',
      objectId: p.id,
      details: {
        kind,
        name: p.name,
        channel: p.channel,
        secrets: Object.keys(body.secrets as object).sort(),
      },
    });
  } catch (e) {
    if (isNameTaken(e))
      return err({ type: 'conflict', reason: `a provider named '${body.name}' already exists` });
    throw e;
  }
  ctx.onChange?.(actor.workspaceId);
  return ok(providerView(p, ctx.masterKeys));
};

export const updateProviderAs = async (
  ctx: ProviderContext,
  actor: Actor,
  id: string,
  patch: UpdateProvider,
): Outcome<ProviderView> => {
  const denied = adminOnly(actor);
  if (denied) return err(denied);
  const old = await ownProvider(ctx, actor, id);
  if (!old) return err({ type: 'not_found', what: `provider ${id}` });
  if (old.version !== patch.version)
    return err({
      type: 'conflict',
      reason: `provider changed since version ${patch.version} (now ${old.version}); reload`,
    });
  const spec = PROVIDER_KINDS[old.kind as ProviderKind];
  const config = patch.config === undefined ? old.config : patch.config;
  const stored = openSecrets(ctx.masterKeys, old.secretsEnc);
  const merged = mergeSecrets(old.kind as ProviderKind, stored, patch.secrets ?? {});
  const secrets = merged.secrets;
  const given = Object.entries(patch.secrets ?? {});
  // The audit tells a secret replaced from one removed (and a removal of nothing is no change).
  const changedSecrets = given
    .filter(([, v]) => v !== null)
    .map(([k]) => k)
    .sort();
  const clearedSecrets = given
    .filter(([k, v]) => v === null && k in stored)
    .map(([k]) => k)
    .sort();
  const errors = [
    ...validate(spec.config, config, 'config'),
    // A required secret removed is said once, in those words, not again as "missing".
    ...(merged.errors.length > 0 ? merged.errors : validate(spec.secrets, secrets, 'secrets')),
    ...privateTargets(config, ctx.allowPrivateTargets === true),
  ];
  if (errors.length === 0) errors.push(...dkimProblems(old.kind, secrets));
  errors.push(...emailOverHttp(ctx, old.kind, patch.enabled === true && !old.enabled));
  if (errors.length > 0) return err(invalid(errors));
  const now = ctx.clock();
  const next: ProviderRecord = {
    ...old,
    name: patch.name ?? old.name,
    priority: patch.priority ?? old.priority,
    ratePerSecond: patch.ratePerSecond ?? old.ratePerSecond,
    enabled: patch.enabled ?? old.enabled,
    config: config as Record<string, unknown>,
    secretsEnc: patch.secrets ? sealSecrets(ctx.masterKeys, secrets) : old.secretsEnc,
    version: old.version + 1,
    updatedAt: now,
  };
  const changed = (['name', 'priority', 'ratePerSecond', 'enabled', 'config'] as const).filter(
    (k) => JSON.stringify(next[k]) !== JSON.stringify(old[k]),
  );
  try {
    const done = await editProvider(ctx.control, next, old.version, {
      workspaceId: actor.workspaceId,
      at: now,
      actorId: actor.userId,
      action: 'provider.update',
      objectType: 'provider',
      objectId: id,
      details: {
        changed,
        secretsChanged: changedSecrets,
        ...(clearedSecrets.length > 0 ? { secretsCleared: clearedSecrets } : {}),
      },
    });
    if (done === 'stale') return err({ type: 'conflict', reason: 'provider changed meanwhile; reload' });
  } catch (e) {
    if (isNameTaken(e))
      return err({ type: 'conflict', reason: `a provider named '${next.name}' already exists` });
    throw e;
  }
  ctx.onChange?.(actor.workspaceId);
  return ok(providerView(next, ctx.masterKeys));
};

export const deleteProviderAs = async (
  ctx: ProviderContext,
  actor: Actor,
  id: string,
): Outcome<{ id: string }> => {
  const denied = adminOnly(actor);
  if (denied) return err(denied);
  const old = await ownProvider(ctx, actor, id);
  if (!old) return err({ type: 'not_found', what: `provider ${id}` });
  await ctx.control.transaction(async (tx) => {
    await deleteProvider(tx, id);
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at: ctx.clock(),
      actorId: actor.userId,
      action: 'provider.delete',
      objectType: 'provider',
      objectId: id,
      details: { kind: old.kind, name: old.name },
    });
  });
  ctx.onChange?.(actor.workspaceId);
  return ok({ id });
};

/**
 * Re-seals every provider's secrets under the current master key (after a rotation, with the old
 * key in `REKINDLE_MASTER_KEY_PREVIOUS`); returns how many rows were rewritten.
 */
export const rotateProviderSecrets = async (db: SqlClient, keys: MasterKeys): Promise<number> => {
  const rows = await sealedProviderSecrets(db);
  let n = 0;
  for (const r of rows) {
    await setSealedProviderSecrets(db, r.id, sealSecrets(keys, openSecrets(keys, r.secrets_enc)));
    n++;
  }
  return n;
};
