import { isChannel } from '../core/channels/channels.ts';
import type { Clock } from '../core/clock.ts';
import { err, ok, type Result } from '../core/result.ts';
import { claimedWorkspace } from '../core/tracking/unsubscribe-page.ts';
import { verifyUnsubscribe, type UnsubscribeClaim } from '../core/tracking/unsubscribe-token.ts';
import { existingWorkspaceSecret, findOutboxMessage } from '../storage/control/link-clicks.ts';
import { appendMessageLog } from '../storage/control/message-log.ts';
import { addUnsubscribe } from '../storage/control/planner-settings.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

export interface UnsubscribeContext {
  control: SqlClient;
  clock: Clock;
}

export type InvalidToken = 'malformed' | 'bad_signature';

/** The secret helper A signs unsubscribe links with. */
const SECRET_NAME = 'unsubscribe';

/**
 * The claim of an unsubscribe token if the claimed workspace's secret signed it. A workspace
 * without a secret never signed anything, so its tokens are forged.
 */
export const checkUnsubscribeToken = async (
  db: SqlClient,
  token: string,
): Promise<Result<UnsubscribeClaim, InvalidToken>> => {
  const workspaceId = claimedWorkspace(token);
  if (workspaceId === null) return err('malformed');
  const secret = await existingWorkspaceSecret(db, workspaceId, SECRET_NAME);
  if (secret === null) return err('bad_signature');
  const v = verifyUnsubscribe(secret, token);
  if (!v.ok) return v;
  // Only channels the planner knows can be opted out of; anything else was never signed by us.
  if (!isChannel(v.value.channel)) return err('malformed');
  return v;
};

/**
 * Records the opt-out (source 'link') and, the first time only, the message log's `unsubscribed`
 * entry for the message that carried the link, in one transaction: replays change nothing.
 */
export const unsubscribeByToken = async (
  ctx: UnsubscribeContext,
  token: string,
): Promise<Result<{ claim: UnsubscribeClaim; alreadyUnsubscribed: boolean }, InvalidToken>> => {
  const checked = await checkUnsubscribeToken(ctx.control, token);
  if (!checked.ok) return checked;
  const claim = checked.value;
  const channel = claim.channel;
  if (!isChannel(channel)) return err('malformed');
  const at = ctx.clock();
  const added = await ctx.control.transaction(async (tx) => {
    const inserted = await addUnsubscribe(tx, {
      workspaceId: claim.workspaceId,
      userId: claim.userId,
      channel,
      at,
      source: 'link',
    });
    if (!inserted) return false;
    const message = await findOutboxMessage(tx, claim.idempotencyKey);
    if (message)
      await appendMessageLog(tx, [
        {
          workspaceId: claim.workspaceId,
          idempotencyKey: claim.idempotencyKey,
          ...message,
          kind: 'unsubscribed',
          at,
          properties: { channel, source: 'link' },
        },
      ]);
    return true;
  });
  return ok({ claim, alreadyUnsubscribed: !added });
};
