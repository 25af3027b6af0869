import type { Channel } from '../../core/channels/channels.ts';
import type { ProviderHandle, ProviderRegistry } from '../../core/delivery/message.ts';
import type { Clock } from '../../core/clock.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { buildAdapter } from './adapter-factory.ts';
import type { Fetch } from './adapters/http-outcome.ts';
import { dedupesByKey, isProviderKind } from './provider-kinds.ts';
import { guardedFetch, targetGuard } from './private-targets.ts';
import { listProviders } from './provider-store.ts';
import { openSecrets, type MasterKeys } from './secret-box.ts';

export interface ConfiguredRegistry extends ProviderRegistry {
  /** Drops the workspace's cached adapters (after a provider changed); closes them. */
  invalidate(workspaceId: string): void;
  close(): Promise<void>;
}

/**
 * The configured providers as the delivery worker sees them: adapters built once per workspace
 * and channel (SMTP pools and access tokens survive between sends), rebuilt after a change
 * (`invalidate`, called by the provider service) or at the latest after `ttlMs` — other API
 * instances change providers too.
 */
export const openProviderRegistry = (
  control: SqlClient,
  options: {
    masterKeys: MasterKeys;
    clock: Clock;
    fetch?: Fetch;
    ttlMs?: number;
    /** REKINDLE_ALLOW_PRIVATE_TARGETS: providers may call loopback and private networks. */
    allowPrivateTargets?: boolean;
  },
): ConfiguredRegistry => {
  const ttlMs = options.ttlMs ?? 60_000;
  const cache = new Map<string, { at: number; handles: Promise<readonly ProviderHandle[]> }>();
  const allowPrivate = options.allowPrivateTargets === true;
  const deps = {
    db: control,
    fetch: guardedFetch(options.fetch ?? fetch, allowPrivate),
    now: options.clock,
    guard: targetGuard(allowPrivate),
  };

  const closeAll = async (handles: Promise<readonly ProviderHandle[]>) => {
    const hs = await handles.catch(() => []);
    await Promise.all(hs.map((h) => h.adapter.close?.().catch(() => undefined)));
  };

  const load = async (workspaceId: string, channel: Channel): Promise<readonly ProviderHandle[]> => {
    const rows = await listProviders(control, workspaceId, { channel, enabledOnly: true });
    const handles: ProviderHandle[] = [];
    for (const r of rows) {
      const kind = r.kind;
      if (!isProviderKind(kind)) continue;
      const secrets = openSecrets(options.masterKeys, r.secretsEnc);
      handles.push({
        id: r.id,
        channel,
        ratePerSecond: r.ratePerSecond,
        priority: r.priority,
        dedupesByKey: dedupesByKey(kind, r.config),
        adapter: buildAdapter(r.id, kind, r.config, secrets, deps),
      });
    }
    return handles;
  };

  const drop = (key: string) => {
    const hit = cache.get(key);
    if (!hit) return;
    cache.delete(key);
    void closeAll(hit.handles);
  };

  return {
    providersFor: (workspaceId, channel) => {
      const key = `${workspaceId}\u0000${channel}`;
      const hit = cache.get(key);
      if (hit && options.clock() - hit.at < ttlMs) return hit.handles;
      if (hit) drop(key);
      const handles = load(workspaceId, channel);
      cache.set(key, { at: options.clock(), handles });
      // A failed load is not cached: the next call tries again.
      handles.catch(() => cache.get(key)?.handles === handles && cache.delete(key));
      return handles;
    },
    invalidate: (workspaceId) => {
      for (const key of [...cache.keys()]) if (key.startsWith(`${workspaceId}\u0000`)) drop(key);
    },
    close: async () => {
      const all = [...cache.values()];
      cache.clear();
      await Promise.all(all.map((h) => closeAll(h.handles)));
    },
  };
};
