/**
 * Login throttling, per (workspace, name): after `maxFailures` failed attempts within
 * `windowMs`, further attempts are refused until the oldest of them leaves the window. Refused
 * attempts are not failures (the password is not even checked), so waiting always helps.
 */
export interface ThrottlePolicy {
  maxFailures: number;
  windowMs: number;
}

export const LOGIN_THROTTLE: ThrottlePolicy = { maxFailures: 5, windowMs: 15 * 60_000 };

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** The failures that still count at `now`: those after `now - windowMs`. */
export const throttleWindowStart = (now: number, policy: ThrottlePolicy = LOGIN_THROTTLE): number =>
  now - policy.windowMs;

export const throttleDecision = (
  failureTimes: readonly number[],
  now: number,
  policy: ThrottlePolicy = LOGIN_THROTTLE,
): ThrottleDecision => {
  const since = throttleWindowStart(now, policy);
  const recent = failureTimes.filter((t) => t > since && t <= now).sort((a, b) => a - b);
  if (recent.length < policy.maxFailures) return { allowed: true };
  // Attempts open again when fewer than maxFailures remain: when this one leaves the window.
  const opening = recent[recent.length - policy.maxFailures];
  if (opening === undefined) throw new Error('throttle: the window holds fewer failures than counted');
  return { allowed: false, retryAfterMs: opening + policy.windowMs - now };
};
