import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs, DEFAULT_RETRY_POLICY } from '../src/core/delivery/backoff.ts';
import { decide, pickProvider, type DeliveryState } from '../src/core/delivery/decide.ts';
import { localTimeHold } from '../src/core/delivery/local-time-hold.ts';
import type { SendOutcome } from '../src/core/delivery/message.ts';
import { RateLimiter } from '../src/delivery/rate-limiter.ts';
import { take, tokenBucket, type TokenBucket } from '../src/core/delivery/token-bucket.ts';

/** Sends as fast as the bucket allows for `ms` of simulated time (1 ms steps, many callers). */
const simulate = (rate: number, ms: number, start = 0): number[] => {
  let b: TokenBucket = tokenBucket(rate, undefined, start);
  const sent: number[] = [];
  for (let t = start; t < start + ms; t += 0.5)
    for (;;) {
      const r = take(b, t);
      if (!r.ok) break;
      b = r.bucket;
      sent.push(t);
    }
  return sent;
};

const maxInWindow = (times: number[], windowMs: number): number => {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while ((times[hi] as number) - (times[lo] as number) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
};

describe('token bucket', () => {
  it('never exceeds the rate by more than 1 % in any one-second window, and keeps up with it', () => {
    for (const rate of [100, 300, 1000, 5000]) {
      const sent = simulate(rate, 5000);
      expect(maxInWindow(sent, 1000)).toBeLessThanOrEqual(rate * 1.01);
      // The whole rate is used: 5 s at the rate, give or take the burst.
      expect(sent.length).toBeGreaterThanOrEqual(rate * 5 - 1);
    }
  });

  it('says how long to wait, and a quiet spell allows only the burst', () => {
    const b = tokenBucket(300, 3, 0);
    let s: TokenBucket = b;
    for (let i = 0; i < 3; i++) {
      const r = take(s, 0);
      if (!r.ok) throw new Error('the burst must pass');
      s = r.bucket;
    }
    const denied = take(s, 0);
    expect(denied.ok).toBe(false);
    if (!denied.ok) expect(denied.waitMs).toBeCloseTo(1000 / 300, 5);
    // After ten idle seconds: still only `burst` at once.
    let q: TokenBucket = s;
    let n = 0;
    for (;;) {
      const r = take(q, 10_000);
      if (!r.ok) break;
      q = r.bucket;
      n++;
    }
    expect(n).toBe(3);
  });

  it('holds the 1 % bound for any rate and any start (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 10_000 }), (rate, start) => {
        const sent = simulate(rate, 2000, start);
        expect(maxInWindow(sent, 1000)).toBeLessThanOrEqual(Math.max(rate * 1.01, rate + 1));
      }),
      { numRuns: 30 },
    );
  });
});

describe('the shared rate limiter', () => {
  it('lets 64 concurrent senders through at the rate, never faster', async () => {
    const l = new RateLimiter(300, () => Date.now());
    const times: number[] = [];
    let n = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (n < 600) {
          n++;
          await l.acquire();
          times.push(Date.now());
        }
      }),
    );
    const span = (times.at(-1) as number) - (times[0] as number);
    // 600 at 300/s: the first `burst` go at once, the rest one interval apart.
    expect(span).toBeGreaterThanOrEqual(1980);
    expect(span).toBeLessThan(4000);
  });
});

describe('backoff', () => {
  it('doubles, stays within [half, full] of the step, is deterministic and capped', () => {
    const p = { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 60_000 };
    for (let a = 1; a <= 9; a++) {
      const step = Math.min(60_000, 1000 * 2 ** (a - 1));
      const d = backoffMs(p, 'k1', a);
      expect(d).toBeGreaterThanOrEqual(step / 2);
      expect(d).toBeLessThanOrEqual(step);
      expect(backoffMs(p, 'k1', a)).toBe(d);
    }
    // Jitter spreads messages that failed together.
    const spread = new Set(Array.from({ length: 50 }, (_, i) => backoffMs(p, `k${i}`, 3)));
    expect(spread.size).toBeGreaterThan(40);
    expect(backoffMs(p, 'k1', 1, 30_000)).toBe(30_000);
  });
});

const state = (over: Partial<DeliveryState> = {}): DeliveryState => ({
  idempotencyKey: 'k',
  attempts: 0,
  providerId: null,
  pinned: false,
  ...over,
});
const failed = (retry: 'same_provider' | 'next_provider' | 'never', retryAfterMs?: number): SendOutcome => ({
  kind: 'failed',
  retry,
  code: `c_${retry}`,
  reason: 'r',
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});
const policy = DEFAULT_RETRY_POLICY;

describe('the next state after a send', () => {
  it('accepted → sent with the provider id', () => {
    expect(decide(state(), 'p1', { kind: 'accepted', providerMessageId: 'm1' }, ['p1'], policy, 0)).toEqual({
      kind: 'sent',
      providerId: 'p1',
      providerMessageId: 'm1',
      attempts: 1,
    });
  });

  it('same_provider → the same provider later, pinned, honouring Retry-After', () => {
    const d = decide(state(), 'p1', failed('same_provider', 120_000), ['p1', 'p2'], policy, 1000);
    expect(d).toMatchObject({ kind: 'retry', providerId: 'p1', pinned: true, at: 121_000, attempts: 1 });
  });

  it('next_provider → the next provider now; after the last, the first again later', () => {
    expect(decide(state(), 'p1', failed('next_provider'), ['p1', 'p2'], policy, 5)).toMatchObject({
      kind: 'retry',
      providerId: 'p2',
      pinned: false,
      at: 5,
    });
    const wrap = decide(
      state({ attempts: 1, providerId: 'p2' }),
      'p2',
      failed('next_provider'),
      ['p1', 'p2'],
      policy,
      5,
    );
    expect(wrap).toMatchObject({ kind: 'retry', providerId: 'p1', pinned: false });
    if (wrap.kind === 'retry') expect(wrap.at).toBeGreaterThan(5);
  });

  it('no address at this provider → the next kind on the channel now; after the last, dead at once', () => {
    const noAddress: SendOutcome = {
      kind: 'failed',
      retry: 'next_provider',
      code: 'no_address',
      reason: 'the user has no WeCom userid',
    };
    expect(decide(state(), 'wecom', noAddress, ['wecom', 'oa'], policy, 5)).toMatchObject({
      kind: 'retry',
      providerId: 'oa',
      at: 5,
    });
    // Not eight rounds of retries for an address no provider has.
    expect(
      decide(state({ attempts: 1, providerId: 'oa' }), 'oa', noAddress, ['wecom', 'oa'], policy, 5),
    ).toMatchObject({ kind: 'dead', reason: 'no_address', attempts: 2 });
  });

  it('a pinned message never fails over (the provider may have it)', () => {
    const d = decide(
      state({ pinned: true, providerId: 'p1', attempts: 1 }),
      'p1',
      failed('next_provider'),
      ['p1', 'p2'],
      policy,
      0,
    );
    expect(d).toMatchObject({ kind: 'retry', providerId: 'p1', pinned: true });
  });

  it('never → dead with the code; the last attempt → dead max_attempts', () => {
    expect(decide(state(), 'p1', failed('never'), ['p1'], policy, 0)).toMatchObject({
      kind: 'dead',
      reason: 'c_never',
    });
    expect(
      decide(state({ attempts: policy.maxAttempts - 1 }), 'p1', failed('same_provider'), ['p1'], policy, 0),
    ).toMatchObject({ kind: 'dead', reason: 'max_attempts', attempts: policy.maxAttempts });
  });

  it('picks the current provider, else the first', () => {
    const ps = [{ id: 'a' }, { id: 'b' }];
    expect(pickProvider({ providerId: 'b' }, ps)?.id).toBe('b');
    expect(pickProvider({ providerId: 'gone' }, ps)?.id).toBe('a');
    expect(pickProvider({ providerId: null }, [])).toBeUndefined();
  });
});

describe("a deferral keeps to the user's local time rules", () => {
  const rules = {
    quietHours: { start: '22:00', end: '08:00' },
    sendWindows: { sms: [{ start: '09:00', end: '20:00' }] },
    defaultTimezone: 'Asia/Shanghai',
  };
  const shanghai = (d: number, h: number, m = 0) => Date.UTC(2026, 10, d, h - 8, m);

  it("moves out of quiet hours and outside send windows, in the user's zone or the default one", () => {
    expect(localTimeHold(rules, 'push', undefined)(shanghai(21, 21, 30))).toBe(shanghai(21, 21, 30));
    expect(localTimeHold(rules, 'push', undefined)(shanghai(21, 23))).toBe(shanghai(22, 8));
    expect(localTimeHold(rules, 'sms', undefined)(shanghai(21, 21, 30))).toBe(shanghai(22, 9));
    // 23:00 in Shanghai is 10:00 in New York: allowed there.
    expect(localTimeHold(rules, 'push', 'America/New_York')(shanghai(21, 23))).toBe(shanghai(21, 23));
    // An unknown zone falls back to the policy's default zone.
    expect(localTimeHold(rules, 'push', 'Mars/Olympus')(shanghai(21, 23))).toBe(shanghai(22, 8));
  });

  it('leaves the time alone when the policy cannot be read or never allows the channel', () => {
    const broken = { ...rules, quietHours: { start: '25:00', end: '08:00' } };
    expect(localTimeHold(broken, 'push', undefined)(shanghai(21, 23))).toBe(shanghai(21, 23));
    const never = { ...rules, sendWindows: { sms: [] } };
    expect(localTimeHold(never, 'sms', undefined)(shanghai(21, 23))).toBe(shanghai(21, 23));
  });

  it('decide applies the hold to a provider deferral and says so', () => {
    const later: SendOutcome = {
      kind: 'failed',
      retry: 'later',
      code: 'vendor_LimitExceeded.PhoneNumberOneHourLimit',
      reason: 'tencent: limit',
      retryAfterMs: 3_600_000,
    };
    const d = decide(
      state(),
      'p1',
      later,
      ['p1'],
      policy,
      shanghai(21, 21, 30),
      localTimeHold(rules, 'push', undefined),
    );
    expect(d).toMatchObject({ kind: 'retry', at: shanghai(22, 8), attempts: 0 });
    if (d.kind === 'retry') expect(d.error).toContain('quiet hours');
  });
});
