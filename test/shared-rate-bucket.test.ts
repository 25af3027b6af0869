import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  heldFrom,
  refill,
  retryAfterMs,
  sharedRatePlan,
  spendHeld,
  takeTokens,
  type BucketState,
} from '../src/core/delivery/shared-rate-bucket.ts';
import { RateLimiters, type TakeSharedTokens } from '../src/delivery/rate-limiter.ts';

/**
 * The maths of a provider rate shared by several processes (docs/cluster.md, "Provider rates"),
 * and the limiter that spends it, run on fake timers against the pure bucket standing in for the
 * control plane: several limiters, round trips of random length, senders that pause now and then.
 */

/** The most sends in any closed window, over what the plan allows there: never above zero. */
const worstExcess = (times: readonly number[], ratePerSecond: number, burst: number): number => {
  let worst = -Infinity;
  for (let i = 0; i < times.length; i++)
    for (let j = i; j < times.length; j++) {
      const allowed = (ratePerSecond * ((times[j] as number) - (times[i] as number))) / 1000 + burst;
      worst = Math.max(worst, j - i + 1 - allowed);
    }
  return worst;
};

/** A seeded generator (mulberry32): the same latencies and pauses every run. */
const seeded = (seed: number) => {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

describe('the shared bucket (pure)', () => {
  it('plans a tenth of a second per batch, one batch of capacity, and says its burst', () => {
    const p = sharedRatePlan(50);
    expect(p.ratePerSecond).toBeCloseTo(49.5, 9);
    expect(p.batch).toBe(5);
    expect(p.capacity).toBe(5);
    // 5 tokens take 101.0 ms at 49.5/s, plus 50 ms of slack.
    expect(p.holdMs).toBeCloseTo(5000 / 49.5 + 50, 9);
    expect(p.burst).toBeCloseTo(5 + 49.5 * (5 / 49.5 + 0.05), 9);
    expect(sharedRatePlan(3).batch).toBe(1);
    expect(sharedRatePlan(1000).batch).toBe(100);
    expect(() => sharedRatePlan(0)).toThrow();
    expect(() => sharedRatePlan(Infinity)).toThrow();
  });

  it('starts full, refills at the rate up to capacity, and a time that went back adds nothing', () => {
    const p = sharedRatePlan(50);
    const first = takeTokens(undefined, p, 5, 1_000);
    expect(first.granted).toBe(5);
    expect(first.state).toEqual({ tokens: 0, refilledAt: 1_000 });
    // 40 ms later: 1.98 tokens, one whole.
    const second = takeTokens(first.state, p, 5, 1_040);
    expect(second.granted).toBe(1);
    expect(second.state.tokens).toBeCloseTo(0.98, 9);
    expect(retryAfterMs(p, second.state.tokens)).toBe(Math.ceil((4.02 * 1000) / 49.5));
    // A statement whose time is before the row's (it waited for the row): no refill, time kept.
    const late = refill(second.state, p, 1_010);
    expect(late).toEqual(second.state);
    // A long quiet spell fills one batch only.
    expect(refill(second.state, p, 60_000).tokens).toBe(5);
    // 0.1 × 30 is 2.9999999999999996 in floats: still three whole tokens.
    const s: BucketState = { tokens: 0.1 * 30, refilledAt: 0 };
    expect(takeTokens(s, sharedRatePlan(50), 5, 0).granted).toBe(3);
    expect(takeTokens(s, sharedRatePlan(50), 5, 0).state.tokens).toBe(0);
    // A full batch taken from a full bucket: ask again when a batch has filled, 101 ms later.
    expect(retryAfterMs(p, 0)).toBe(102);
  });

  it('held tokens are spent one at a time until they expire', () => {
    const p = sharedRatePlan(50);
    let h = heldFrom(2, 1_000, p);
    expect(h.expiresAt).toBeCloseTo(1_000 + p.holdMs, 9);
    const a = spendHeld(h, 1_010);
    expect(a?.count).toBe(1);
    h = a ?? h;
    expect(spendHeld(h, 1_000 + p.holdMs)).toBeUndefined();
    const b = spendHeld(h, 1_020);
    expect(b?.count).toBe(0);
    expect(spendHeld(b ?? h, 1_030)).toBeUndefined();
  });
});

describe('the shared limiter on fake timers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const { rate, processes, seed } of [
    { rate: 50, processes: 2, seed: 1 },
    { rate: 50, processes: 3, seed: 2 },
    { rate: 7, processes: 3, seed: 3 },
    { rate: 400, processes: 4, seed: 4 },
  ])
    it(`${processes} processes at ${rate}/s: any window within rate × w + burst, and at least 80 % of the rate`, async () => {
      vi.useFakeTimers({ now: 1_000_000 });
      const random = seeded(seed);
      const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
      let bucket: BucketState | undefined;
      let takes = 0;
      // The control plane: the statement runs after a random trip there, the answer takes another.
      const take: TakeSharedTokens = async (_id, plan, want) => {
        takes++;
        await delay(Math.floor(random() * 6));
        const g = takeTokens(bucket, plan, want, Date.now());
        bucket = g.state;
        await delay(Math.floor(random() * 6));
        return { granted: g.granted, tokensLeft: g.state.tokens };
      };
      const limiters = Array.from({ length: processes }, () =>
        new RateLimiters(Date.now, { take }).for('sms-1', rate),
      );
      const seconds = 10;
      const start = Date.now();
      const end = start + seconds * 1000;
      const sent: number[] = [];
      const senders = limiters.flatMap((l) =>
        Array.from({ length: 4 }, async () => {
          while (Date.now() < end) {
            // Now and then a sender pauses, so held tokens expire and the bucket fills up.
            if (random() < 0.01) await delay(Math.floor(random() * 400));
            await l.acquire();
            if (Date.now() < end) sent.push(Date.now());
          }
        }),
      );
      await vi.advanceTimersByTimeAsync(seconds * 1000 + 2000);
      await Promise.all(senders);
      sent.sort((a, b) => a - b);
      const plan = sharedRatePlan(rate);
      expect(worstExcess(sent, plan.ratePerSecond, plan.burst)).toBeLessThanOrEqual(1e-9);
      expect(sent.length).toBeGreaterThanOrEqual(0.8 * rate * seconds);
      // Batches, not a statement per message: each process asks about once per batch's time at
      // the rate (measured: 11/s each at 50/s and 400/s, 12/s at 7/s where a batch is one token).
      expect(takes).toBeLessThanOrEqual(2 * processes * seconds * (plan.ratePerSecond / plan.batch));
    });
});
