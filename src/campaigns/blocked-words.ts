import type { Actor } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import { DEFAULT_SMS_BLOCKED_WORDS } from '../core/content/index.ts';
import { err, ok } from '../core/result.ts';
import { conflict, forbidden, invalid, notFound, type Outcome } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  deleteBlockedWord,
  insertBlockedWord,
  listBlockedWords,
  type BlockedWordRecord,
} from '../storage/control/content-gating.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

/**
 * A workspace's own blocked words for SMS, on top of the built-in ones: everyone reads the list
 * (operators write the SMS); admins and reviewers (who answer for what goes out) change it,
 * each change audited in the same transaction.
 */

export interface BlockedWordsContext {
  control: SqlClient;
  clock: Clock;
}

const EDITORS: readonly Actor['role'][] = ['admin', 'reviewer'];

const mayEdit = (actor: Actor) =>
  EDITORS.includes(actor.role)
    ? null
    : forbidden(`only an admin or a reviewer may change the blocked words (your role is '${actor.role}')`);

export const listBlockedWordsAs = async (
  ctx: BlockedWordsContext,
  actor: Actor,
): Outcome<{ defaults: readonly string[]; words: BlockedWordRecord[] }> =>
  ok({ defaults: DEFAULT_SMS_BLOCKED_WORDS, words: await listBlockedWords(ctx.control, actor.workspaceId) });

export const addBlockedWordAs = async (
  ctx: BlockedWordsContext,
  actor: Actor,
  input: { word: string },
): Outcome<BlockedWordRecord> => {
  const no = mayEdit(actor);
  if (no) return err(no);
  const word = input.word.trim();
  if (word === '') return err(invalid('word', 'must not be empty'));
  const lower = word.toLowerCase();
  if (DEFAULT_SMS_BLOCKED_WORDS.some((w) => w.toLowerCase() === lower))
    return err(conflict(`'${word}' is one of the built-in blocked words already`));
  const at = ctx.clock();
  const added = await ctx.control.transaction(async (tx) => {
    const existing = await listBlockedWords(tx, actor.workspaceId);
    if (existing.some((w) => w.word.toLowerCase() === lower)) return false;
    if (!(await insertBlockedWord(tx, { workspaceId: actor.workspaceId, word, actorId: actor.userId, at })))
      return false;
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'blocked_word.add',
      objectType: 'blocked_word',
      objectId: word,
      details: { word },
    });
    return true;
  });
  if (!added) return err(conflict(`the workspace blocks '${word}' already`));
  return ok({ word, addedBy: { id: actor.userId, name: actor.name }, addedAt: at });
};

export const removeBlockedWordAs = async (
  ctx: BlockedWordsContext,
  actor: Actor,
  word: string,
): Outcome<{ word: string }> => {
  const no = mayEdit(actor);
  if (no) return err(no);
  if (DEFAULT_SMS_BLOCKED_WORDS.includes(word))
    return err(
      conflict(
        `'${word}' is a built-in blocked word; it cannot be removed (an admin may override a campaign instead)`,
      ),
    );
  const at = ctx.clock();
  const removed = await ctx.control.transaction(async (tx) => {
    if (!(await deleteBlockedWord(tx, actor.workspaceId, word))) return false;
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'blocked_word.remove',
      objectType: 'blocked_word',
      objectId: word,
      details: { word },
    });
    return true;
  });
  return removed ? ok({ word }) : err(notFound(`blocked word '${word}'`));
};
