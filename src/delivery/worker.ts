import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Channel } from '../core/channels/channels.ts';
import type { Clock } from '../core/clock.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../core/delivery/backoff.ts';
import {
  deadBeforeSending,
  decide,
  pickProvider,
  resolveInterrupted,
  type Decision,
} from '../core/delivery/decide.ts';
import type { ProviderHandle, ProviderRegistry, SendOutcome } from '../core/delivery/message.ts';
import { saveShortLinks } from '../storage/control/short-links.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { expandDueBatches } from '../outbox/batches.ts';
import { claimDue, releaseClaim, renewClaim, startWave, type ClaimedRow } from '../outbox/claim.ts';
import { finishDeliveredCampaigns } from '../campaigns/finish-delivered.ts';
import { Composer, type ComposeExtension, type Composed } from './compose.ts';
import { rateLimitersFor } from './rate-limiter.ts';
import { forgetRefusedAddresses, forgetting } from './forget-addresses.ts';
import { localTimeHold, type LocalTimeRules } from '../core/delivery/local-time-hold.ts';
import { DEFAULT_QUIET_SPREAD_MINUTES } from '../core/campaigns/policy-schema.ts';
import { getPolicy } from '../storage/control/planner-settings.ts';
import { recordOutcomes, type Recorded } from '../outbox/record.ts';

export interface DeliveryWorkerOptions {
  /** Most messages claimed at once (fewer for slow providers: see `claimShare`). */
  batchSize?: number;
  /**
   * How long a claim holds its rows unless renewed; the worker renews it every third of it while
   * it lives, so a slow provider never lets a claim lapse under a live worker.
   */
  leaseMs?: number;
  /** Pause when nothing is due. */
  idleMs?: number;
  /** Provider calls in flight per loop; also the largest wave. */
  concurrency?: number;
  /** Claim → compose → send → record loops in this process (they overlap each other's I/O). */
  loops?: number;
  retry?: RetryPolicy;
  extensions?: readonly ComposeExtension[];
  log?: (message: string, error: unknown) => void;
}

export interface DeliveryRuntime {
  control: SqlClient;
  warehouse: WarehouseSql;
  clock: Clock;
  config: { publicUrl: string };
}

export interface DeliveryWorker {
  /** Finishes the waves in hand, gives back what it did not start, then stops. */
  stop(): Promise<void>;
  /** Resolves once every loop found nothing due and has nothing in hand. */
  drained(): Promise<void>;
  addExtension(e: ComposeExtension): void;
  /** Messages recorded (sent, dead, unknown or rescheduled) since start. */
  readonly stats: {
    claimed: number;
    sent: number;
    dead: number;
    unknown: number;
    retried: number;
    batches: number;
    released: number;
  };
}

/** A registry with no providers: every channel is unconfigured (messages wait, then die `max_attempts`). */
export const emptyRegistry: ProviderRegistry = { providersFor: async () => [] };

/** Batches are expanded this long before they are due, so a claim never waits on an expansion. */
const EXPAND_AHEAD_MS = 60_000;
/**
 * A wave of a rate-limited provider lasts about this long: a crash leaves at most a wave per loop
 * in doubt, and outcomes are written as they come (about ten small writes a second per provider).
 */
const WAVE_SECONDS = 0.1;
/** A claim keeps for one rate-limited provider what it can send in this share of the lease. */
const CLAIM_SHARE_OF_LEASE = 0.25;
/** How long the worker keeps a workspace's quiet hours and send windows before reading them again. */
const RULES_TTL_MS = 60_000;
/** How often a loop looks for campaigns whose last message now has an outcome. */
const FINISH_EVERY_MS = 5_000;

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

const limited = (rate: number) => rate > 0 && Number.isFinite(rate);

/** Messages of one wave for a provider: a tenth of a second of its rate, at most `concurrency`. */
export const waveSize = (ratePerSecond: number, concurrency: number): number =>
  limited(ratePerSecond)
    ? Math.max(1, Math.min(concurrency, Math.ceil(ratePerSecond * WAVE_SECONDS)))
    : concurrency;

/** Messages one claim keeps for a provider: what it can send in a quarter of the lease. */
export const claimShare = (ratePerSecond: number, leaseMs: number, concurrency: number): number =>
  limited(ratePerSecond)
    ? Math.max(
        waveSize(ratePerSecond, concurrency),
        Math.floor((ratePerSecond * leaseMs * CLAIM_SHARE_OF_LEASE) / 1000),
      )
    : Infinity;

interface Planned {
  row: ClaimedRow;
  provider: ProviderHandle | undefined;
  providers: readonly ProviderHandle[];
}

/**
 * Delivery workers over the outbox (features.md F1/F2), built so that a user never gets a message twice
 * (issue 13), whatever the providers' rates:
 * - a loop claims due messages under a lease it renews while it lives, and keeps of a slow
 *   provider's messages only what it can send in a quarter of the lease (the rest goes back);
 * - messages go in waves of about half a second of the provider's rate; each wave is first
 *   marked started in one statement that also skips paused or cancelled campaigns (so pause and
 *   cancel act between waves), then sent, then its outcomes are recorded in one transaction;
 * - a message found started without an outcome (its worker died mid-wave) goes again only to the
 *   same provider, with the same idempotency key, if that provider de-duplicates by key; otherwise
 *   it is recorded `unknown` and reported, never silently re-sent.
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
  // Shared by the processes on PostgreSQL (docs/cluster.md, "Provider rates"), in memory on PGlite.
  const limiters = rateLimitersFor(rt.control, rt.clock, log);
  const stats = { claimed: 0, sent: 0, dead: 0, unknown: 0, retried: 0, batches: 0, released: 0 };
  let stopping = false;
  // Sends are never cancelled midway (a half-sent call is worse than a finished one); one signal serves all.
  const never = new AbortController().signal;
  setMaxListeners(0, never);
  const idle = new Set<number>();
  let waiters: (() => void)[] = [];
  let lastFinishCheck = 0;
  const localRules = new Map<string, { at: number; rules: Promise<LocalTimeRules> }>();

  /** The workspace's quiet hours and send windows, read at most once a minute. */
  const rulesOf = (workspaceId: string): Promise<LocalTimeRules> => {
    const hit = localRules.get(workspaceId);
    if (hit && Date.now() - hit.at < RULES_TTL_MS) return hit.rules;
    const rules = getPolicy(rt.control, workspaceId).then(({ policy: p }) => ({
      quietHours: p.quietHours,
      sendWindows: p.sendWindows,
      defaultTimezone: p.defaultTimezone,
      quietSpreadMinutes: p.quietSpreadMinutes ?? DEFAULT_QUIET_SPREAD_MINUTES,
    }));
    localRules.set(workspaceId, { at: Date.now(), rules });
    rules.catch(() => localRules.delete(workspaceId));
    return rules;
  };

  /**
   * A provider's deferral of a marketing message keeps to the user's quiet hours and the
   * channel's send windows (the planner's rules for the first send); without the policy (a
   * failed read) the provider's time stands.
   */
  const holdFor = async (c: Composed & { ok: true }, outcome: SendOutcome) => {
    if (outcome.kind !== 'failed' || outcome.retry !== 'later' || c.row.class !== 'marketing')
      return undefined;
    try {
      return localTimeHold(
        await rulesOf(c.row.workspaceId),
        c.row.channel,
        c.message.recipient.timezone,
        c.message.recipient.userId,
      );
    } catch (e) {
      log('reading the quiet hours for a deferred message failed', e);
      return undefined;
    }
  };

  const record = async (results: readonly Recorded[]) => {
    if (results.length === 0) return;
    // The outcomes are known: losing them to a passing database error would turn sent messages
    // into doubtful ones, so the write is tried again before giving up.
    for (let attempt = 1; ; attempt++) {
      try {
        await recordOutcomes(rt.control, results, rt.clock());
        break;
      } catch (e) {
        if (attempt >= 5) throw e;
        log('recording delivery outcomes failed; trying again', e);
        await sleep(200 * attempt);
      }
    }
    // After the outcomes, never instead of them: a failure to clear is logged, not retried here.
    await forgetRefusedAddresses(rt.warehouse, results, rt.clock(), log);
    stats.batches++;
    for (const r of results)
      if (r.decision.kind === 'sent') stats.sent++;
      else if (r.decision.kind === 'dead') stats.dead++;
      else if (r.decision.kind === 'unknown') stats.unknown++;
      else stats.retried++;
  };

  const sendOne = async (
    c: Composed & { ok: true },
    first: ProviderHandle | undefined,
    providers: readonly ProviderHandle[],
  ): Promise<Recorded> => {
    const order = providers.map((p) => p.id);
    let state = {
      idempotencyKey: c.row.idempotencyKey,
      attempts: c.row.attempts,
      providerId: first?.id ?? c.row.providerId,
      pinned: c.row.pinned || c.row.startedAt !== null,
      dueAt: c.row.sendAt,
    };
    let provider = first;
    for (;;) {
      let outcome: SendOutcome;
      if (provider === undefined) outcome = NO_PROVIDER;
      else {
        if (limited(provider.ratePerSecond))
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
      const hold = await holdFor(c, outcome);
      const d: Decision = decide(state, provider?.id ?? '', outcome, order, policy, rt.clock(), hold);
      // Failover happens now, inside the wave, once the next provider is marked as the one that
      // may hold it; every other retry waits in the outbox.
      if (
        d.kind === 'retry' &&
        d.at <= rt.clock() &&
        d.providerId !== null &&
        d.providerId !== state.providerId
      ) {
        const next = providers.find((p) => p.id === d.providerId);
        const go = await startWave(
          rt.control,
          c.row.claimToken,
          [{ key: c.row.idempotencyKey, providerId: d.providerId }],
          rt.clock(),
        );
        if (next !== undefined && go.size === 1) {
          state = { ...state, attempts: d.attempts, providerId: d.providerId, pinned: d.pinned };
          provider = next;
          continue;
        }
      }
      return { row: c.row, decision: d, ...forgetting(outcome, c.message) };
    }
  };

  /** Sends one provider's share of a claim, wave by wave, recording each wave's outcomes. */
  const sendGroup = async (
    token: string,
    provider: ProviderHandle | undefined,
    items: readonly (Composed & { ok: true; planned: Planned })[],
  ) => {
    const size = waveSize(provider?.ratePerSecond ?? 0, concurrency);
    // A wave's outcomes are written while the next wave goes out (one write in flight at most),
    // so the database's round trips do not stand between two waves.
    let recording: Promise<void> = Promise.resolve();
    try {
      await sendWaves(token, provider, items, size, (results) => {
        const previous = recording;
        recording = previous.then(() => record(results));
        return previous;
      });
    } finally {
      await recording;
    }
  };

  /**
   * A wave in one vendor call (Aliyun `SendBatchSms`), paced like as many single sends. A retry,
   * failover included, waits in the outbox for the next claim: failing over inside the wave would
   * split it back into single sends.
   */
  const sendBatchWave = async (
    provider: ProviderHandle,
    wave: readonly (Composed & { ok: true; planned: Planned })[],
  ): Promise<Recorded[]> => {
    if (limited(provider.ratePerSecond)) {
      const limiter = limiters.for(provider.id, provider.ratePerSecond);
      await Promise.all(wave.map(() => limiter.acquire()));
    }
    let outcomes: readonly SendOutcome[];
    try {
      const batch = await provider.adapter.sendBatch?.(
        wave.map((c) => c.message),
        never,
      );
      if (batch?.length !== wave.length)
        throw new Error(`sendBatch gave ${batch?.length ?? 'no'} outcomes for ${wave.length} messages`);
      outcomes = batch;
    } catch (e) {
      log('delivery adapter threw', e);
      outcomes = wave.map(() => ({
        kind: 'failed',
        retry: 'same_provider',
        code: 'adapter_error',
        reason: 'the adapter failed',
      }));
    }
    const holds = await Promise.all(wave.map((c, i) => holdFor(c, outcomes[i] as SendOutcome)));
    return wave.map((c, i) => {
      const outcome = outcomes[i] as SendOutcome;
      const state = {
        idempotencyKey: c.row.idempotencyKey,
        attempts: c.row.attempts,
        providerId: provider.id,
        pinned: c.row.pinned || c.row.startedAt !== null,
        dueAt: c.row.sendAt,
      };
      const order = c.planned.providers.map((p) => p.id);
      const d = decide(state, provider.id, outcome, order, policy, rt.clock(), holds[i]);
      return { row: c.row, decision: d, ...forgetting(outcome, c.message) };
    });
  };

  const sendWaves = async (
    token: string,
    provider: ProviderHandle | undefined,
    items: readonly (Composed & { ok: true; planned: Planned })[],
    size: number,
    recordAfter: (results: Recorded[]) => Promise<void>,
  ) => {
    for (let i = 0; i < items.length && !stopping; i += size) {
      const wave = items.slice(i, i + size);
      // No provider: nothing is called (the outcome is `no_provider`), so nothing can be in doubt.
      const go =
        provider === undefined
          ? new Set(wave.map((c) => c.row.idempotencyKey))
          : await startWave(
              rt.control,
              token,
              wave.map((c) => ({ key: c.row.idempotencyKey, providerId: provider.id })),
              rt.clock(),
            );
      const started = wave.filter((c) => go.has(c.row.idempotencyKey));
      const results: Recorded[] = [];
      if (provider?.adapter.sendBatch !== undefined && started.length > 1)
        results.push(...(await sendBatchWave(provider, started)));
      else
        await pool(started, concurrency, async (c) => {
          results.push(await sendOne(c, provider, c.planned.providers));
        });
      await recordAfter(results);
    }
  };

  const runClaim = async (token: string, rows: ClaimedRow[]): Promise<void> => {
    // Provider handles per workspace and channel, looked up once per claim.
    const lookups = new Map<string, Promise<readonly ProviderHandle[]>>();
    const providersFor = (ws: string, ch: Channel) => {
      const k = `${ws}\u0000${ch}`;
      let p = lookups.get(k);
      if (!p) lookups.set(k, (p = registry.providersFor(ws, ch)));
      return p;
    };
    const early: Recorded[] = [];
    const planned: Planned[] = [];
    const kept = new Map<string, number>();
    const giveBack: string[] = [];
    for (const row of rows) {
      const providers = await providersFor(row.workspaceId, row.channel);
      let provider: ProviderHandle | undefined;
      if (row.startedAt !== null) {
        const r = resolveInterrupted(row, providers);
        if (r.kind === 'unknown') {
          early.push({ row, decision: r });
          continue;
        }
        provider = r.provider;
      } else provider = pickProvider(row, providers);
      // A slow provider's share: what it can send in a quarter of the lease; the rest goes back.
      const id = provider?.id ?? '';
      const n = kept.get(id) ?? 0;
      if (n >= claimShare(provider?.ratePerSecond ?? 0, leaseMs, concurrency)) {
        giveBack.push(row.idempotencyKey);
        continue;
      }
      kept.set(id, n + 1);
      planned.push({ row, provider, providers });
    }
    if (giveBack.length > 0) stats.released += await releaseClaim(rt.control, token, giveBack);
    const composed = await composer.compose(
      planned.map((p) => p.row),
      rt.clock(),
    );
    const byKey = new Map(planned.map((p) => [p.row.idempotencyKey, p]));
    for (const c of composed)
      if (!c.ok) early.push({ row: c.row, decision: deadBeforeSending(c.row, c.reason, c.error) });
    await record(early);
    const ready = composed.flatMap((c) => {
      const p = c.ok ? byKey.get(c.row.idempotencyKey) : undefined;
      return c.ok && p ? [{ ...c, planned: p }] : [];
    });
    const links = ready.flatMap((c) => c.links);
    if (links.length > 0) await rt.control.transaction((tx) => saveShortLinks(tx, links, rt.clock()));
    const groups = new Map<string, typeof ready>();
    for (const c of ready) {
      const id = c.planned.provider?.id ?? '';
      const g = groups.get(id);
      if (g) g.push(c);
      else groups.set(id, [c]);
    }
    // Every group ends before the claim is given back, even when one fails: a send still in
    // flight must not be handed to another worker.
    const ends = await Promise.allSettled(
      [...groups.values()].map((g) => sendGroup(token, g[0]?.planned.provider, g)),
    );
    for (const e of ends) if (e.status === 'rejected') throw e.reason;
  };

  const finishCampaigns = async (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastFinishCheck < FINISH_EVERY_MS) return;
    lastFinishCheck = now;
    try {
      await finishDeliveredCampaigns(rt.control, rt.clock());
    } catch (e) {
      log('finishing delivered campaigns failed', e);
    }
  };

  const loop = async (n: number) => {
    let worked = false;
    while (!stopping) {
      let rows: ClaimedRow[] = [];
      const token = randomUUID();
      let renewal: NodeJS.Timeout | undefined;
      try {
        const now = rt.clock();
        rows = await claimDue(rt.control, now, now + leaseMs, batchSize, token);
        stats.claimed += rows.length;
        // A large slot's messages wait as batches: expand the next one when the outbox runs short.
        if (rows.length < batchSize && (await expandDueBatches(rt.control, now + EXPAND_AHEAD_MS)) > 0) {
          idle.delete(n);
          if (rows.length === 0) continue;
        }
        if (rows.length > 0) {
          idle.delete(n);
          worked = true;
          // The lease is renewed while this worker lives, however slow the providers are.
          renewal = setInterval(
            () => {
              renewClaim(rt.control, token, rt.clock() + leaseMs).catch((e: unknown) =>
                log('renewing a delivery lease failed', e),
              );
            },
            Math.max(50, Math.floor(leaseMs / 3)),
          );
          await runClaim(token, rows);
          await finishCampaigns(false);
          continue;
        }
      } catch (e) {
        // What the claim did not record stays leased until it expires; then a loop takes it
        // again, and `started_at` tells it which messages a provider may already have.
        log('delivery batch failed', e);
      } finally {
        if (renewal !== undefined) clearInterval(renewal);
        if (rows.length > 0)
          await releaseClaim(rt.control, token)
            .then((k) => (stats.released += k))
            .catch((e: unknown) => log('giving back a delivery claim failed', e));
      }
      if (rows.length === 0) {
        if (worked) {
          await finishCampaigns(true);
          worked = false;
        } else await finishCampaigns(false);
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
