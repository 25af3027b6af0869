import type { ChannelAdapter } from '../../core/delivery/message.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { failed } from '../providers/adapters/http-outcome.ts';
import { putInboxMessage } from '../../storage/control/inbox-messages.ts';

/** In-app messages are "sent" by storing them in the user's inbox; the app polls `GET /v1/inbox`. */
export const inboxAdapter = (
  providerId: string,
  deps: { db: SqlClient; now: () => number },
): ChannelAdapter => ({
  providerId,
  channel: 'in_app',
  send: async (m) => {
    if (m.content.channel !== 'in_app')
      return failed('never', 'wrong_channel', `the inbox got ${m.content.channel} content`);
    const id = await putInboxMessage(deps.db, {
      workspaceId: m.workspaceId,
      userId: m.recipient.userId,
      idempotencyKey: m.idempotencyKey,
      campaignId: m.campaignId,
      title: m.content.title,
      body: m.content.body,
      imageUrl: m.content.imageUrl ?? null,
      landingUrl: m.content.landingUrl ?? null,
      at: deps.now(),
    });
    return { kind: 'accepted', providerMessageId: String(id) };
  },
});
