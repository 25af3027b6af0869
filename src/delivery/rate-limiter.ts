import type { Clock } from '../core/clock.ts';
import { take, tokenBucket, type TokenBucket } from '../core/delivery/token-bucket.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The provider counts arrivals, not our dispatches: requests sent evenly can arrive bunched after
 * an event-loop pause or a slow connection. So messages go at 99 % of the provider's rate with no
 * burst, and that 1 % is the headroom for jitter between our clock and theirs.
 */
const HEADROOM = 0.99;

/**
 * One provider's token bucket shared by every sender of this process: `acquire` resolves when a
 * message may go. Callers queue in order (one chain), so the bucket is read and written by one
 * at a time and a burst of waiters cannot overshoot it.
 */
export class RateLimiter {
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

/** Limiters by provider id; a provider whose rate was changed gets a fresh bucket. */
export class RateLimiters {
  private readonly byProvider = new Map<string, RateLimiter>();
  constructor(private readonly clock: Clock) {}

  for(providerId: string, ratePerSecond: number): RateLimiter {
    let l = this.byProvider.get(providerId);
    if (l === undefined || l.ratePerSecond !== ratePerSecond) {
      l = new RateLimiter(ratePerSecond, this.clock);
      this.byProvider.set(providerId, l);
    }
    return l;
  }
}
