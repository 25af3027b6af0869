/**
 * A provider's rate shared by every `rekindle serve` process on one PostgreSQL control plane
 * (docs/cluster.md, "Provider rates"). Pure: times come in as epoch ms, state goes out as values.
 *
 * One token bucket per provider lives in the database (src/storage/control/provider-rate-buckets.ts
 * runs exactly `takeTokens` in SQL, on the database's clock). A process takes up to `batch` tokens
 * in one statement and spends them, paced by its own in-memory bucket, within `holdMs` of asking;
 * what it has not spent by then is dropped, never kept for later. That expiry is what bounds the
 * burst whatever the number of processes:
 *
 * - every message sent in a window [s, s + w] spends a token granted after s - holdMs (a grant
 *   happens after its request left, and a token is spent before the request's time + holdMs);
 * - the bucket grants at most `capacity + rate × (w + holdMs)` tokens in that longer window;
 * - so any window of w seconds sees at most `rate × w + burst` messages, burst =
 *   capacity + rate × holdMs (see `sharedRatePlan`).
 */

/** As the in-memory limiter: 1 % below the provider's rate, the headroom for arrival jitter. */
export const SHARED_HEADROOM = 0.99;

/** Extra time to spend a batch in, over the batch's own length at the rate: a round trip's slack. */
export const HOLD_SLACK_MS = 50;

export interface SharedRatePlan {
  /** Tokens per second the bucket fills at (the provider's rate less the headroom). */
  readonly ratePerSecond: number;
  /** Most tokens one statement takes: a tenth of a second of the rate, at least one. */
  readonly batch: number;
  /** Most tokens the bucket holds: one batch, so a quiet spell saves no more than that. */
  readonly capacity: number;
  /** How long after asking a process may spend what it got. */
  readonly holdMs: number;
  /** Messages above `ratePerSecond × w` any window of w seconds can see, all processes together. */
  readonly burst: number;
}

export const sharedRatePlan = (providerRatePerSecond: number): SharedRatePlan => {
  if (!(providerRatePerSecond > 0) || !Number.isFinite(providerRatePerSecond))
    throw new Error(`rate must be positive and finite, got ${providerRatePerSecond}`);
  const ratePerSecond = providerRatePerSecond * SHARED_HEADROOM;
  const batch = Math.max(1, Math.floor(providerRatePerSecond / 10));
  const capacity = batch;
  const holdMs = (batch * 1000) / ratePerSecond + HOLD_SLACK_MS;
  return { ratePerSecond, batch, capacity, holdMs, burst: capacity + (ratePerSecond * holdMs) / 1000 };
};

/** The bucket's row: tokens (fractional) as of `refilledAt` (epoch ms, the database's clock). */
export interface BucketState {
  readonly tokens: number;
  readonly refilledAt: number;
}

// Float rounding must not refuse a token that is whole (0.1 × 30 is 2.9999999999999996).
const EPSILON = 1e-9;

/**
 * The tokens at `now`: filled at the rate since the last refill, never above capacity. A time
 * before the last refill (a statement that waited for the row while a later one wrote it) adds
 * nothing and keeps the later time, so the refill never counts a span twice.
 */
export const refill = (s: BucketState, plan: SharedRatePlan, now: number): BucketState => {
  const elapsed = Math.max(0, now - s.refilledAt);
  return {
    tokens: Math.min(plan.capacity, s.tokens + (plan.ratePerSecond * elapsed) / 1000),
    refilledAt: Math.max(s.refilledAt, now),
  };
};

export interface Grant {
  readonly granted: number;
  readonly state: BucketState;
}

/** Up to `want` whole tokens at `now`; a provider's first take finds its bucket full. */
export const takeTokens = (
  s: BucketState | undefined,
  plan: SharedRatePlan,
  want: number,
  now: number,
): Grant => {
  const level = s === undefined ? { tokens: plan.capacity, refilledAt: now } : refill(s, plan, now);
  const granted = Math.max(0, Math.min(want, Math.floor(level.tokens + EPSILON)));
  // A whole token found by the epsilon leaves a hair below zero: that is an empty bucket.
  return { granted, state: { tokens: Math.max(0, level.tokens - granted), refilledAt: level.refilledAt } };
};

/**
 * When to ask again after a take: once the bucket, left at `tokensLeft`, has filled to a whole
 * batch at the rate (a batch, not a token: one statement per batch whoever gets it). After a full
 * batch that is when this process has just spent it at the rate, so a lone process never waits
 * on itself; after a short one, it spends what it got and then waits for the bucket. Other
 * processes may take first; then the next ask gets less, and waits again.
 */
export const retryAfterMs = (plan: SharedRatePlan, tokensLeft: number): number =>
  Math.max(1, Math.ceil(((plan.capacity - tokensLeft) * 1000) / plan.ratePerSecond));

/** Tokens a process holds: spendable until `expiresAt` (its request's time + holdMs). */
export interface Held {
  readonly count: number;
  readonly expiresAt: number;
}

export const NONE_HELD: Held = { count: 0, expiresAt: 0 };

export const heldFrom = (granted: number, askedAt: number, plan: SharedRatePlan): Held => ({
  count: granted,
  expiresAt: askedAt + plan.holdMs,
});

/** Spends one held token at `now`; undefined when none is left or they have expired. */
export const spendHeld = (h: Held, now: number): Held | undefined =>
  h.count > 0 && now < h.expiresAt ? { count: h.count - 1, expiresAt: h.expiresAt } : undefined;
