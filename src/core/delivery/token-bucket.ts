/**
 * A provider's send rate as a token bucket, kept as the time its bucket is next empty
 * (the generic cell rate algorithm): `rate` messages per second on average, at most `burst` at
 * once after a quiet spell. Pure: the caller passes the time and keeps the returned state. In any
 * window of `w` seconds a caller that only sends when `take` allows sends at most
 * `rate * w + burst` messages.
 */
export interface TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  /** Theoretical arrival time (epoch ms) of the next message at exactly the rate. */
  readonly tat: number;
}

/** Burst 1 % of the rate (at least one), so a one-second window never exceeds the rate by more. */
export const defaultBurst = (ratePerSecond: number): number => Math.max(1, Math.floor(ratePerSecond / 100));

export const tokenBucket = (
  ratePerSecond: number,
  burst = defaultBurst(ratePerSecond),
  now = 0,
): TokenBucket => {
  if (!(ratePerSecond > 0)) throw new Error(`rate must be positive, got ${ratePerSecond}`);
  if (!(burst >= 1)) throw new Error(`burst must be at least 1, got ${burst}`);
  return { ratePerSecond, burst, tat: now };
};

export type Take = { ok: true; bucket: TokenBucket } | { ok: false; waitMs: number };

/** One message now, if the bucket allows it; otherwise how long until it will. */
export const take = (b: TokenBucket, now: number): Take => {
  const interval = 1000 / b.ratePerSecond;
  const tolerance = (b.burst - 1) * interval;
  const tat = Math.max(b.tat, now);
  // The epsilon keeps float rounding from refusing the last message of a burst.
  if (tat - now > tolerance + 1e-9) return { ok: false, waitMs: tat - now - tolerance };
  return { ok: true, bucket: { ...b, tat: tat + interval } };
};
