import { createHash } from 'node:crypto';

export interface RetryPolicy {
  /** Provider calls before a message is given up (dead letter `max_attempts`). */
  maxAttempts: number;
  /** Delay after the first failed attempt; doubles with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * How far past its planned send time a provider may defer a message (`retry: 'later'`, e.g. a
   * per-number daily limit) before it is given up (dead letter `deferred_too_long`): a message
   * planned for today's campaign is worth little days later. Absent: the default (72 h).
   */
  maxDeferMs?: number;
}

export const DEFAULT_MAX_DEFER_MS = 72 * 3_600_000;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 2_000,
  maxDelayMs: 600_000,
  maxDeferMs: DEFAULT_MAX_DEFER_MS,
};

/** A number in [0, 1) from the message and the attempt: the same inputs always jitter the same. */
const unitJitter = (key: string, attempt: number): number =>
  createHash('sha256').update(`${key}#${attempt}`).digest().readUInt32BE(0) / 2 ** 32;

/**
 * How long to wait after failed attempt `attempt` (1 = the first call failed): exponential,
 * capped, with "equal jitter" (half fixed, half spread) derived from the idempotency key, so
 * messages that failed together do not all come back together, and a test can predict the delay.
 * A provider's `Retry-After` is a floor.
 */
export const backoffMs = (policy: RetryPolicy, key: string, attempt: number, retryAfterMs = 0): number => {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + (exp / 2) * unitJitter(key, attempt);
  return Math.max(Math.round(jittered), Math.min(retryAfterMs, policy.maxDelayMs));
};
