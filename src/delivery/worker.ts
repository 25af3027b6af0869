import { setMaxListeners } from 'node:events';
import type { Channel } from '../core/channels/channels.ts';
import type { Clock } from '../core/clock.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../core/delivery/backoff.ts';
import { deadBeforeSending, decide, pickProvider, type Decision } from '../core/delivery/decide.ts';
import type { ProviderHandle, ProviderRegistry, SendOutcome } from '../core/delivery/message.ts';
import { saveShortLinks } from '../storage/control/short-links.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { Warehouse } from '../storage/warehouse/warehouse.ts';
import { expandDueBatches } from '../planner/outbox-batches.ts';
import { claimDue, type ClaimedRow } from './claim.ts';
import { Composer, type ComposeExtension, type Composed } from './compose.ts';
import { RateLimiters } from './rate-limiter.ts';
import { recordOutcomes, type Recorded } from './record.ts';

export interface DeliveryWorkerOptions {
  /** Messages claimed per batch. */
  batchSize?: number;
  /** How long a claim holds its rows; a worker that dies releases them when it expires. */
  leaseMs?: number;
  /** Pause when nothing is due. */
  idleMs?: number;
  /** Provider calls in flight per loop. */
  concurrency?: number;
  /** Claim → compose → send → record loops in this process (they overlap each other's I/O). */
  loops?: number;
  retry?: RetryPolicy;
  extensions?: readonly ComposeExtension[];
  log?: (message: string, error: unknown) => void;
}

export interface DeliveryRuntime {
  control: SqlClient;
  warehouse: Warehouse;
  clock: Clock;
  config: { publicUrl: string };
}

export interface DeliveryWorker {
  /** Finishes the batches in hand, then stops. */
  stop(): Promise<void>;
  /** Resolves once every loop found nothing due and has nothing in hand. */
  drained(): Promise<void>;
  addExtension(e: ComposeExtension): void;
  /** Messages recorded (sent, dead or rescheduled) since start. */
  readonly stats: { claimed: number; sent: number; dead: number; retried: number; batches: number };
}

/** A registry with no providers: every channel is unconfigured (messages wait, then die `max_attempts`). */
export const emptyRegistry: ProviderRegistry = { providersFor: async () => [] };

/** Batches are expanded this long before they are due, so a claim never waits on an expansion. */
const EXPAND_AHEAD_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const NO_PROVIDER: SendOutcome = {
  kind: 'failed',
  retry: 'next_provider',
  code: 'no_provider',
  reason: 'no provider is configured for the channel',
};

/** Runs `work` over `items` with at most `limit` at once. */
const pool = async <T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) => {
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
};

/**
 * Delivery workers over the outbox (SPEC F1/F2). Each loop claims a batch of due messages under a
 * lease, composes them, saves their short links (before anyone can tap them), sends them through
 * the channel's providers — each provider's token bucket honoured, failover in priority order —
 * and records every outcome in one transaction. Internally at least once (a crash between a
 * send and its record sends again after the lease); the idempotency key on every provider call
 * makes the provider drop the repeat, so the user gets the message once.
 */
export const startDeliveryWorker = (
  rt: DeliveryRuntime,
  registry: ProviderRegistry,
  options: DeliveryWorkerOptions = {},
): DeliveryWorker => {
  const batchSize = options.batchSize ?? 1000;
  const leaseMs = options.leaseMs ?? 60_000;
  const idleMs = options.idleMs ?? 250;
  const concurrency = options.concurrency ?? 64;
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const log = options.log ?? (() => undefined);
  const composer = new Composer({
    control: rt.control,
    warehouse: rt.warehouse,
    publicUrl: rt.config.publicUrl,
    extensions: options.extensions ?? [],
  });
  const limiters = new RateLimiters(rt.clock);
  const stats = { claimed: 0, sent: 0, dead: 0, retried: 0, batches: 0 };
  let stopping = false;
  // Sends are never cancelled midway (a half-sent call is worse than a finished one); one signal serves all.
  const never = new AbortController().signal;
  setMaxListeners(0, never);
  const idle = new Set<number>();
  let waiters: (() => void)[] = [];

  const sendOne = async (
    c: Composed & { ok: true },
    providers: readonly ProviderHandle[],
  ): Promise<Recorded> => {
    const order = providers.map((p) => p.id);
    let state = {
      idempotencyKey: c.row.idempotencyKey,
      attempts: c.row.attempts,
      providerId: c.row.providerId,
      pinned: c.row.pinned,
    };
    for (;;) {
      const provider = pickProvider(state, providers);
      let outcome: SendOutcome;
      if (provider === undefined) outcome = NO_PROVIDER;
      else {
        if (provider.ratePerSecond > 0 && Number.isFinite(provider.ratePerSecond))
          await limiters.for(provider.id, provider.ratePerSecond).acquire();
        try {
          outcome = await provider.adapter.send(c.message, never);
        } catch (e) {
          log('delivery adapter threw', e);
          outcome = {
            kind: 'failed',
            retry: 'same_provider',
            code: 'adapter_error',
            reason: 'the adapter failed',
          };
        }
      }
      const d: Decision = decide(state, provider?.id ?? '', outcome, order, policy, rt.clock());
      // Failover happens now, inside the batch; every other retry waits in the outbox.
      if (
        d.kind === 'retry' &&
        d.at <= rt.clock() &&
        d.providerId !== null &&
        d.providerId !== state.providerId
      ) {
        state = { ...state, attempts: d.attempts, providerId: d.providerId, pinned: d.pinned };
        continue;
      }
      return { row: c.row, decision: d };
    }
  };

  const runBatch = async (rows: ClaimedRow[]): Promise<void> => {
    const composed = await composer.compose(rows, rt.clock());
    const ready = composed.filter((c): c is Composed & { ok: true } => c.ok);
    const links = ready.flatMap((c) => c.links);
    if (links.length > 0) await rt.control.transaction((tx) => saveShortLinks(tx, links, rt.clock()));
    const providers = new Map<string, Promise<readonly ProviderHandle[]>>();
    const providersFor = (ws: string, ch: Channel) => {
      const k = `${ws}\u0000${ch}`;
      let p = providers.get(k);
      if (!p) providers.set(k, (p = registry.providersFor(ws, ch)));
      return p;
    };
    const results: Recorded[] = composed
      .filter((c): c is Composed & { ok: false } => !c.ok)
      .map((c) => ({ row: c.row, decision: deadBeforeSending(c.row, c.reason, c.error) }));
    await pool(ready, concurrency, async (c) => {
      results.push(await sendOne(c, await providersFor(c.row.workspaceId, c.row.channel)));
    });
    await recordOutcomes(rt.control, results, rt.clock());
    stats.batches++;
    for (const r of results)
      if (r.decision.kind === 'sent') stats.sent++;
      else if (r.decision.kind === 'dead') stats.dead++;
      else stats.retried++;
  };

  const loop = async (n: number) => {
    while (!stopping) {
      let rows: ClaimedRow[] = [];
      try {
        const now = rt.clock();
        rows = await claimDue(rt.control, now, now + leaseMs, batchSize);
        stats.claimed += rows.length;
        // A large slot's messages wait as batches: expand the next one when the outbox runs short.
        if (rows.length < batchSize && (await expandDueBatches(rt.control, now + EXPAND_AHEAD_MS)) > 0) {
          idle.delete(n);
          if (rows.length === 0) continue;
        }
        if (rows.length > 0) {
          idle.delete(n);
          await runBatch(rows);
          continue;
        }
      } catch (e) {
        // Rows claimed stay leased until it expires; then a loop takes them again.
        log('delivery batch failed', e);
      }
      if (rows.length === 0) {
        idle.add(n);
        if (idle.size === loopCount) {
          const w = waiters;
          waiters = [];
          for (const resolve of w) resolve();
        }
      }
      await sleep(idleMs);
    }
  };

  const loopCount = options.loops ?? 2;
  const running = Array.from({ length: loopCount }, (_, i) => loop(i));
  return {
    stats,
    addExtension: (e) => composer.addExtension(e),
    drained: () => new Promise<void>((resolve) => waiters.push(resolve)),
    stop: async () => {
      stopping = true;
      await Promise.all(running);
      for (const w of waiters) w();
    },
  };
};
