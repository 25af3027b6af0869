import type { Channel } from '../core/channels/channels.ts';
import type { ProviderHandle, ProviderRegistry } from '../core/delivery/message.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { workspaceSecret } from '../storage/control/workspace-secrets.ts';
import { webhookAdapter } from './adapters/webhook.ts';

export const BUILTIN_WEBHOOK_ID = 'builtin-webhook';

/**
 * The webhook channel works with no provider configured: its content names the endpoint, so a
 * built-in webhook adapter posts there, signed with the workspace's `webhook` secret. Other
 * channels, and a webhook channel with configured providers, come from `inner`.
 */
export const withBuiltinWebhook = (
  inner: ProviderRegistry,
  control: SqlClient,
  options: { ratePerSecond?: number; timeoutMs?: number } = {},
): ProviderRegistry & { close(): Promise<void> } => {
  const handles = new Map<string, Promise<ProviderHandle>>();
  const closers: (() => Promise<void>)[] = [];
  const builtin = (workspaceId: string): Promise<ProviderHandle> => {
    let h = handles.get(workspaceId);
    if (!h) {
      h = workspaceSecret(control, workspaceId, 'webhook').then((secret) => {
        const adapter = webhookAdapter({
          providerId: BUILTIN_WEBHOOK_ID,
          channel: 'webhook',
          secret,
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        });
        closers.push(adapter.close);
        return {
          id: BUILTIN_WEBHOOK_ID,
          channel: 'webhook' as Channel,
          ratePerSecond: options.ratePerSecond ?? 0,
          priority: 0,
          adapter,
        };
      });
      handles.set(workspaceId, h);
    }
    return h;
  };
  return {
    providersFor: async (workspaceId, channel) => {
      const configured = await inner.providersFor(workspaceId, channel);
      if (channel !== 'webhook' || configured.length > 0) return configured;
      return [await builtin(workspaceId)];
    },
    close: async () => {
      await Promise.all(closers.map((c) => c()));
    },
  };
};
