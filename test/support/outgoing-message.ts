import type { ChannelContent } from '../../src/core/content/schema.ts';
import type { OutgoingMessage } from '../../src/core/delivery/message.ts';

/**
 * A message as the worker hands it to an adapter (campaign c1, run r1, step s1, user u42,
 * marketing), for adapter tests: `over` replaces whole fields, `recipient` is merged over u42.
 */
export const outgoingMessage = (
  content: ChannelContent,
  over: Partial<Omit<OutgoingMessage, 'recipient'>> & {
    recipient?: Partial<OutgoingMessage['recipient']>;
  } = {},
): OutgoingMessage => {
  const { recipient, ...rest } = over;
  const userId = recipient?.userId ?? 'u42';
  return {
    idempotencyKey: `c1:r1:s1:${userId}`,
    workspaceId: 'default',
    campaignId: 'c1',
    runId: 'r1',
    step: 's1',
    variant: null,
    channel: content.channel,
    class: 'marketing',
    content,
    ...rest,
    recipient: { userId, ...recipient },
  };
};
