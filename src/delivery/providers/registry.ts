import { createHash } from 'node:crypto';
import type { Channel } from '../../core/channels/channels.ts';
import type { ChannelAdapter, ProviderHandle, ProviderRegistry } from '../../core/delivery/message.ts';
import type { Clock } from '../../core/clock.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { buildAdapter } from './adapter-factory.ts';
import type { Fetch } from './adapters/http-outcome.ts';
import { dedupesByKey, isProviderKind } from './provider-kinds.ts';
import { guardedFetch, targetGuard } from './private-targets.ts';
import { listProviders, providerFingerprint, type ProviderRecord } from '../../storage/control/providers.ts';
import { openSecrets, type MasterKeys } from '../../lib/secret-box.ts';
import { swappableAdapter, type SwappableAdapter } from './swappable-adapter.ts';

export interface ConfiguredRegistry extends ProviderRegistry {
  /** A provider of the workspace changed (in this process): the next lookup re-checks at once. */
  invalidate(workspaceId: string): void;
  /** Closes every adapter once the sends running on it have finished. */
  close(): Promise<void>;
}

/** How often a lookup asks the database whether another process changed a provider. */
export const DEFAULT_RECHECK_MS = 3_000;

/** One provider of a workspace and channel, as built. */
interface Slot {
  swap: SwappableAdapter;
  /** Digest of kind, config and opened secrets: the adapter is rebuilt only when it changes. */
  builtFrom: string;
  handle: ProviderHandle;
}

interface Entry {
  /** `providerFingerprint` when the slots were last reconciled; null before the first load. */
  fingerprint: string | null;
  checkedAt: number;
  /** Raised by `invalidate`: a check that began before cannot vouch for the current state. */
  epoch: number;
  slots: Map<string, Slot>;
  handles: readonly ProviderHandle[];
  /** The check under way; lookups share it when it began in the current epoch. */
  checking: { epoch: number; handles: Promise<readonly ProviderHandle[]> } | null;
}

const builtFromDigest = (r: ProviderRecord, secrets: Record<string, unknown>): string =>
  createHash('sha256')
    .update(JSON.stringify([r.kind, r.config, secrets]))
    .digest('hex');

const sameHandle = (a: ProviderHandle, b: Omit<ProviderHandle, 'adapter'>): boolean =>
  a.ratePerSecond === b.ratePerSecond && a.priority === b.priority && a.dedupesByKey === b.dedupesByKey;

const sameList = (a: readonly ProviderHandle[], b: readonly ProviderHandle[]): boolean =>
  a.length === b.length && a.every((h, i) => h === b[i]);

/**
 * The configured providers as the delivery worker sees them. Each provider's adapter is built
 * once and kept while its configuration stays the same, so SMTP pools and access tokens live as
 * long as the provider does. A lookup re-checks the channel's providers with one small query at
 * most every `recheckMs` (other API processes change providers too), or at once after
 * `invalidate`; only a provider whose configuration changed gets a new adapter, and the old one
 * is closed after its running sends have finished.
 */
export const openProviderRegistry = (
  control: SqlClient,
  options: {
    masterKeys: MasterKeys;
    clock: Clock;
    fetch?: Fetch;
    recheckMs?: number;
    /** REKINDLE_ALLOW_PRIVATE_TARGETS: providers may call loopback and private networks. */
    allowPrivateTargets?: boolean;
    /** Builds one adapter; tests count the builds through it. */
    build?: typeof buildAdapter;
  },
): ConfiguredRegistry => {
  const recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
  const build = options.build ?? buildAdapter;
  const entries = new Map<string, Entry>();
  /** Adapters replaced or removed whose running sends have not all finished yet. */
  const retiring = new Set<Promise<void>>();
  const allowPrivate = options.allowPrivateTargets === true;
  const deps = {
    db: control,
    fetch: guardedFetch(options.fetch ?? fetch, allowPrivate),
    now: options.clock,
    guard: targetGuard(allowPrivate),
  };

  const retire = (done: Promise<void>) => {
    retiring.add(done);
    void done.finally(() => retiring.delete(done));
  };

  /** Brings the entry's slots to the stored rows: new, rebuilt, unchanged, removed. */
  const reconcile = (e: Entry, channel: Channel, rows: readonly ProviderRecord[]) => {
    const built: ChannelAdapter[] = [];
    let plans;
    try {
      plans = rows.flatMap((r) => {
        const kind = r.kind;
        if (!isProviderKind(kind)) return [];
        const secrets = openSecrets(options.masterKeys, r.secretsEnc);
        const builtFrom = builtFromDigest(r, secrets);
        const old = e.slots.get(r.id);
        const fresh = old?.builtFrom === builtFrom ? null : build(r.id, kind, r.config, secrets, deps);
        if (fresh) built.push(fresh);
        const shape = {
          id: r.id,
          channel,
          ratePerSecond: r.ratePerSecond,
          priority: r.priority,
          dedupesByKey: dedupesByKey(kind, r.config),
        };
        return [{ id: r.id, builtFrom, old, fresh, shape }];
      });
    } catch (err) {
      // A secret that no longer opens: nothing changes, and what was built for it is let go.
      for (const a of built) void a.close?.().catch(() => undefined);
      throw err;
    }
    const slots = new Map<string, Slot>();
    for (const p of plans) {
      let swap: SwappableAdapter;
      if (!p.old) swap = swappableAdapter(p.fresh as ChannelAdapter);
      else {
        swap = p.old.swap;
        if (p.fresh) retire(swap.replace(p.fresh));
      }
      const handle =
        p.old && sameHandle(p.old.handle, p.shape) ? p.old.handle : { ...p.shape, adapter: swap.adapter };
      slots.set(p.id, { swap, builtFrom: p.builtFrom, handle });
    }
    for (const [id, old] of e.slots) if (!slots.has(id)) retire(old.swap.remove());
    const handles = [...slots.values()].map((s) => s.handle);
    e.slots = slots;
    // The same list object while nothing changed: a worker may compare it.
    if (!sameList(e.handles, handles)) e.handles = handles;
  };

  const refresh = async (e: Entry, workspaceId: string, channel: Channel, epoch: number) => {
    const at = options.clock();
    const fingerprint = await providerFingerprint(control, workspaceId, channel);
    if (fingerprint !== e.fingerprint) {
      reconcile(e, channel, await listProviders(control, workspaceId, { channel, enabledOnly: true }));
      e.fingerprint = fingerprint;
    }
    if (e.epoch === epoch) e.checkedAt = at;
    return e.handles;
  };

  /** Checks after the check under way (if any), so two never reconcile the same entry at once. */
  const startCheck = (e: Entry, workspaceId: string, channel: Channel) => {
    const epoch = e.epoch;
    const before = e.checking?.handles.catch(() => undefined) ?? Promise.resolve();
    const handles = before
      .then(() => refresh(e, workspaceId, channel, epoch))
      // The database did not answer: keep sending with the adapters known so far (the next
      // lookup asks again); with none known yet, the caller hears of the failure.
      .catch((err: unknown) => {
        if (e.fingerprint === null) throw err;
        return e.handles;
      })
      .finally(() => {
        if (e.checking?.handles === handles) e.checking = null;
      });
    e.checking = { epoch, handles };
    return handles;
  };

  let closed = false;

  return {
    providersFor: (workspaceId, channel) => {
      if (closed) return Promise.reject(new Error('the provider registry is closed'));
      const key = `${workspaceId}\u0000${channel}`;
      let e = entries.get(key);
      if (!e) {
        e = {
          fingerprint: null,
          checkedAt: -Infinity,
          epoch: 0,
          slots: new Map(),
          handles: [],
          checking: null,
        };
        entries.set(key, e);
      }
      if (e.checking?.epoch === e.epoch) return e.checking.handles;
      if (!e.checking && e.fingerprint !== null && options.clock() - e.checkedAt < recheckMs)
        return Promise.resolve(e.handles);
      return startCheck(e, workspaceId, channel);
    },
    invalidate: (workspaceId) => {
      for (const [key, e] of entries)
        if (key.startsWith(`${workspaceId}\u0000`)) {
          e.epoch++;
          e.checkedAt = -Infinity;
        }
    },
    close: async () => {
      closed = true;
      const all = [...entries.values()];
      entries.clear();
      await Promise.allSettled(all.map((e) => e.checking?.handles));
      for (const e of all) for (const s of e.slots.values()) retire(s.swap.remove());
      await Promise.all([...retiring]);
    },
  };
};
