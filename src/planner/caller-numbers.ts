import { canOnCampaign, type Actor } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import { err, ok } from '../core/result.ts';
import { forbidden, invalid, notFound, type Outcome } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  getCallerNumber,
  insertCallerNumber,
  listCallerNumbers,
  setCallerNumberStatus,
  type CallerNumber,
} from '../storage/control/caller-numbers.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

/**
 * The call channel's caller numbers and their health, as admins keep them (issue 17): add a
 * number, flag it (harassment — 标记为骚扰 — retires it at once; another flag takes it out of use
 * until it is cleared), retire it for good. New call tasks use healthy numbers only
 * (call-list.ts); with numbers kept and none healthy the planner skips call steps, saying so.
 * Every change is audited.
 */

export interface CallerNumbersContext {
  control: SqlClient;
  clock: Clock;
}

/** Digits with an optional leading +, 5–20 of them (a 95xxx short code to an E.164 number). */
const NUMBER = /^\+?\d{5,20}$/;

const mustConfigure = (actor: Actor) => {
  const p = canOnCampaign(actor, 'planner.configure');
  return p.allowed ? null : forbidden(p.reason);
};

export const listCallerNumbersAs = (ctx: CallerNumbersContext, actor: Actor): Promise<CallerNumber[]> =>
  listCallerNumbers(ctx.control, actor.workspaceId);

export const addCallerNumberAs = async (
  ctx: CallerNumbersContext,
  actor: Actor,
  body: { number: string; note?: string | undefined },
): Outcome<CallerNumber[]> => {
  const no = mustConfigure(actor);
  if (no) return err(no);
  if (!NUMBER.test(body.number))
    return err(invalid('number', 'digits with an optional leading +, 5–20 of them'));
  const at = ctx.clock();
  const added = await ctx.control.transaction(async (tx) => {
    if (
      !(await insertCallerNumber(tx, actor.workspaceId, { number: body.number, note: body.note ?? null, at }))
    )
      return false;
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'caller_number.add',
      objectType: 'caller_number',
      objectId: body.number,
      details: { note: body.note ?? null },
    });
    return true;
  });
  if (!added) return err({ type: 'conflict', reason: `caller number ${body.number} is already listed` });
  return ok(await listCallerNumbers(ctx.control, actor.workspaceId));
};

export type CallerNumberChange =
  | { kind: 'flag'; flag: 'harassment' | 'other'; note?: string | undefined }
  | { kind: 'retire'; note?: string | undefined }
  | { kind: 'clear'; note?: string | undefined };

/**
 * A number's health changed: flagged as harassment → retired; flagged otherwise → out of use
 * until cleared; retired → for good (a cleared flag does not bring it back).
 */
export const changeCallerNumberAs = async (
  ctx: CallerNumbersContext,
  actor: Actor,
  number: string,
  change: CallerNumberChange,
): Outcome<CallerNumber[]> => {
  const no = mustConfigure(actor);
  if (no) return err(no);
  const at = ctx.clock();
  const done = await ctx.control.transaction(async (tx) => {
    const before = await getCallerNumber(tx, actor.workspaceId, number);
    if (!before) return err(notFound(`caller number '${number}'`));
    const next =
      change.kind === 'retire' || (change.kind === 'flag' && change.flag === 'harassment')
        ? { status: 'retired' as const, flag: change.kind === 'flag' ? change.flag : before.flag }
        : change.kind === 'flag'
          ? { status: 'flagged' as const, flag: change.flag }
          : { status: 'healthy' as const, flag: null };
    if (before.status === 'retired' && next.status !== 'retired')
      return err({ type: 'conflict' as const, reason: `caller number ${number} is retired for good` });
    await setCallerNumberStatus(tx, actor.workspaceId, { number, ...next, note: change.note ?? null, at });
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: `caller_number.${change.kind}`,
      objectType: 'caller_number',
      objectId: number,
      details: { from: before.status, to: next.status, flag: next.flag, note: change.note ?? null },
    });
    return ok(null);
  });
  if (!done.ok) return done;
  return ok(await listCallerNumbers(ctx.control, actor.workspaceId));
};
