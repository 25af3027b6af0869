import { failed, type Failed } from './http-outcome.ts';

/**
 * One row of an adapter's failure table: a vendor code, what the vendor documents it to mean and
 * what the worker does about it. The classifiers read these tables, and the tests iterate them,
 * so what is documented here is what happens.
 */
export interface FailureRow {
  /** The vendor's code, exactly as it appears in the answer. */
  code: string;
  /** What the vendor's documentation says it means (and why the decision follows). */
  meaning: string;
  retry: Failed['retry'];
  /**
   * `later`: the window to wait out (the vendor's per-recipient limit). `same_provider`: a floor
   * under the backoff (and under the provider's own `Retry-After`, if smaller).
   */
  waitMs?: number;
  /** The address is gone for good: remove it from the user's profile. */
  forgetAddress?: 'push_token';
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** Vendor API throttling comes without `Retry-After`: give the account's per-second quota time to refill. */
export const THROTTLE_FLOOR_MS = 10_000;

/** The outcome a row stands for; `retryAfter` is what the provider itself asked for, if anything. */
export const fromRow = (row: FailureRow, code: string, reason: string, retryAfter?: number): Failed => {
  const wait =
    row.retry === 'later'
      ? row.waitMs
      : row.waitMs === undefined && retryAfter === undefined
        ? undefined
        : Math.max(row.waitMs ?? 0, retryAfter ?? 0);
  const out = failed(row.retry, code, reason, wait);
  return row.forgetAddress ? { ...out, forgetAddress: row.forgetAddress } : out;
};
