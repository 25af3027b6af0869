import type { Clock } from '../core/clock.ts';
import {
  heldFrom,
  NONE_HELD,
  retryAfterMs,
  sharedRatePlan,
  spendHeld,
  type Held,
  type SharedRatePlan,
} from '../core/delivery/shared-rate-bucket.ts';
import { take, tokenBucket, type TokenBucket } from '../core/delivery/token-bucket.ts';
import { takeProviderTokens, type TokensTaken } from '../storage/control/provider-rate-buckets.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The provider counts arrivals, not our dispatches: requests sent evenly can arrive bunched after
 * an event-loop pause or a slow connection. So messages go at 99 % of the provider's rate with no
 * burst, and that 1 % is the headroom for jitter between our clock and theirs.
 */
const HEADROOM = 0.99;

/** What a delivery worker waits on before each call to a rate-limited provider. */
export interface ProviderLimiter {
  /** The provider's rate this limiter was made for. */
  readonly ratePerSecond: number;
  /** Resolves when a message may go; never rejects (a rejection would leave a started wave unsent). */
  acquire(): Promise<void>;
}

/**
 * One provider's token bucket shared by every sender of this process: `acquire` resolves when a
 * message may go. Callers queue in order (one chain), so the bucket is read and written by one
 * at a time and a burst of waiters cannot overshoot it.
 */
export class RateLimiter implements ProviderLimiter {
  private bucket: TokenBucket;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    ratePerSecond: number,
    private readonly clock: Clock,
  ) {
    this.rate = ratePerSecond;
    this.bucket = tokenBucket(ratePerSecond * HEADROOM, 1, clock());
  }

  private readonly rate: number;

  /** The provider's rate this limiter was made for. */
  get ratePerSecond(): number {
    return this.rate;
  }

  acquire(): Promise<void> {
    const turn = this.chain.then(async () => {
      for (;;) {
        const t = take(this.bucket, this.clock());
        if (t.ok) {
          this.bucket = t.bucket;
          return;
        }
        await sleep(Math.max(1, Math.ceil(t.waitMs)));
      }
    });
    this.chain = turn;
    return turn;
  }
}

/** Takes up to `want` tokens of the provider's shared bucket (one statement on the control plane). */
export type TakeSharedTokens = (
  providerId: string,
  plan: SharedRatePlan,
  want: number,
) => Promise<TokensTaken>;

/** Pause before asking again after the control plane failed a take. */
const FAILED_TAKE_PAUSE_MS = 500;

/**
 * One provider's rate across every process on a PostgreSQL control plane: tokens come from the
 * provider's bucket in the database, a batch per statement, and are spent at most at the rate
 * (this process's own pacing, burst 1, as `RateLimiter`) before they expire `holdMs` after the
 * request (src/core/delivery/shared-rate-bucket.ts says why that bounds the burst). Callers
 * queue in one chain, so a process has one take in flight per provider.
 */
export class SharedRateLimiter implements ProviderLimiter {
  private readonly plan: SharedRatePlan;
  private pacing: TokenBucket;
  private held: Held = NONE_HELD;
  private askAfter = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly providerId: string,
    readonly ratePerSecond: number,
    private readonly takeShared: TakeSharedTokens,
    private readonly clock: Clock,
    private readonly onError: (message: string, error: unknown) => void = () => undefined,
  ) {
    this.plan = sharedRatePlan(ratePerSecond);
    this.pacing = tokenBucket(this.plan.ratePerSecond, 1, clock());
  }

  acquire(): Promise<void> {
    const turn = this.chain.then(() => this.next());
    this.chain = turn;
    return turn;
  }

  private async next(): Promise<void> {
    for (;;) {
      const now = this.clock();
      const spent = spendHeld(this.held, now);
      if (spent !== undefined) {
        const t = take(this.pacing, now);
        if (t.ok) {
          this.pacing = t.bucket;
          this.held = spent;
          return;
        }
        // Paced to the rate, the held batch is spent before it expires; a pause that outlasts
        // it drops the rest (the next loop asks again).
        await sleep(Math.max(1, Math.ceil(t.waitMs)));
        continue;
      }
      if (now < this.askAfter) {
        await sleep(Math.max(1, Math.ceil(this.askAfter - now)));
        continue;
      }
      await this.ask(now);
    }
  }

  private async ask(askedAt: number): Promise<void> {
    const want = this.plan.batch;
    try {
      const r = await this.takeShared(this.providerId, this.plan, want);
      this.held = heldFrom(r.granted, askedAt, this.plan);
      this.askAfter = askedAt + retryAfterMs(this.plan, r.tokensLeft);
    } catch (e) {
      // Sending faster than the shared rate is what this limiter is for: without the database,
      // nothing goes until it answers again (the worker cannot record outcomes meanwhile either).
      this.onError('taking provider rate tokens failed; trying again', e);
      this.held = NONE_HELD;
      this.askAfter = askedAt + FAILED_TAKE_PAUSE_MS;
    }
  }
}

/**
 * Limiters by provider id; a provider whose rate was changed gets a fresh one. With `shared`
 * (a PostgreSQL control plane, several processes) they take from the providers' buckets in the
 * database; without (PGlite: one process by construction) they pace in memory, with no round trip.
 */
export class RateLimiters {
  private readonly byProvider = new Map<string, ProviderLimiter>();
  constructor(
    private readonly clock: Clock,
    private readonly shared?: {
      take: TakeSharedTokens;
      onError?: (message: string, error: unknown) => void;
    },
  ) {}

  for(providerId: string, ratePerSecond: number): ProviderLimiter {
    let l = this.byProvider.get(providerId);
    if (l === undefined || l.ratePerSecond !== ratePerSecond) {
      l =
        this.shared === undefined
          ? new RateLimiter(ratePerSecond, this.clock)
          : new SharedRateLimiter(
              providerId,
              ratePerSecond,
              this.shared.take,
              this.clock,
              this.shared.onError,
            );
      this.byProvider.set(providerId, l);
    }
    return l;
  }
}

/** The limiters a delivery worker on this control plane needs: shared on PostgreSQL, in memory on PGlite. */
export const rateLimitersFor = (
  control: SqlClient,
  clock: Clock,
  onError?: (message: string, error: unknown) => void,
): RateLimiters =>
  control.kind === 'pglite'
    ? new RateLimiters(clock)
    : new RateLimiters(clock, {
        take: (providerId, plan, want) =>
          takeProviderTokens(control, {
            providerId,
            ratePerSecond: plan.ratePerSecond,
            capacity: plan.capacity,
            want,
          }),
        onError,
      });
