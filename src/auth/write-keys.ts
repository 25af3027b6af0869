import type { Actor } from '../core/auth/roles.ts';
import { err, ok } from '../core/result.ts';
import { conflict, forbidden, notFound, type Outcome } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  addWriteKey,
  findWriteKey,
  listWriteKeys,
  newWriteKey,
  revokeWriteKey,
  type WriteKeyInfo,
} from '../storage/control/write-keys.ts';
import type { AuthContext } from './context.ts';

/**
 * Segment write keys (issue 18): listed, created and revoked by admins, each change audited
 * (`write_key.created`, `write_key.revoked`) in the same transaction. The key itself is returned
 * once, by `createWriteKeyAs`; only its hash and first characters are stored. `by` null is the
 * `rekindle keys` CLI, run by whoever operates the server.
 */

type Ctx = Pick<AuthContext, 'control' | 'clock'>;

const adminOf = (by: Actor | null, what: string) =>
  by !== null && by.role !== 'admin' ? forbidden(`only an admin may ${what}`) : null;

export const listWriteKeysAs = async (
  ctx: Ctx,
  by: Actor | null,
  workspaceId = by?.workspaceId ?? 'default',
): Outcome<WriteKeyInfo[]> => {
  const refused = adminOf(by, 'list write keys');
  if (refused) return err(refused);
  return ok(await listWriteKeys(ctx.control, workspaceId));
};

export const createWriteKeyAs = async (
  ctx: Ctx,
  by: Actor | null,
  name: string,
  workspaceId = by?.workspaceId ?? 'default',
): Outcome<WriteKeyInfo & { key: string }> => {
  const refused = adminOf(by, 'create write keys');
  if (refused) return err(refused);
  const key = newWriteKey();
  const at = ctx.clock();
  const info = await ctx.control.transaction(async (tx) => {
    const made = await addWriteKey(tx, key, name, workspaceId, new Date(at));
    await appendAudit(tx, {
      workspaceId,
      at,
      actorId: by?.userId ?? null,
      action: 'write_key.created',
      objectType: 'write_key',
      objectId: String(made.id),
      details: { name, prefix: made.prefix, by: by === null ? 'cli' : by.name },
    });
    return made;
  });
  return ok({ ...info, key });
};

/** Revokes one key; `onRevoked` runs after the commit (the ingest caches forget their lookups). */
export const revokeWriteKeyAs = async (
  ctx: Ctx,
  by: Actor | null,
  id: number,
  onRevoked: () => void = () => undefined,
  workspaceId = by?.workspaceId ?? 'default',
): Outcome<{ id: number; revokedAt: Date }> => {
  const refused = adminOf(by, 'revoke write keys');
  if (refused) return err(refused);
  const at = ctx.clock();
  const done = await ctx.control.transaction(async (tx) => {
    const k = await findWriteKey(tx, id, workspaceId);
    if (k === null) return err(notFound(`write key ${id}`));
    if (k.revokedAt !== null)
      return err(
        conflict(`write key ${id} ('${k.name}') was revoked already, at ${k.revokedAt.toISOString()}`),
      );
    if (!(await revokeWriteKey(tx, id, new Date(at))))
      return err(conflict(`write key ${id} was revoked meanwhile`));
    await appendAudit(tx, {
      workspaceId,
      at,
      actorId: by?.userId ?? null,
      action: 'write_key.revoked',
      objectType: 'write_key',
      objectId: String(id),
      details: { name: k.name, prefix: k.prefix, by: by === null ? 'cli' : by.name },
    });
    return ok({ id, revokedAt: new Date(at) });
  });
  if (done.ok) onRevoked();
  return done;
};
