/**
 * When a console session is alive. A session ends at whichever comes first: its idle limit
 * (no request for `idleMs`; each request slides it) or its absolute limit (`expiresAt`, fixed
 * at login). Pure: the caller passes `now` from the injected clock.
 */
export interface SessionLimits {
  /** How long a session survives without a request. */
  idleMs: number;
  /** How long a session lives at most, however busy. */
  maxMs: number;
}

/** The stored times of a session, in epoch milliseconds. */
export interface SessionTimes {
  createdAt: number;
  lastSeenAt: number;
  /** The absolute limit, `createdAt + maxMs` at login. */
  expiresAt: number;
  revokedAt: number | null;
}

/**
 * `lastSeenAt` is written at most once a minute: the idle limit is hours, so a minute of
 * imprecision costs nothing and saves a control-plane write on most requests.
 */
export const TOUCH_EVERY_MS = 60_000;

export type SessionState =
  | {
      state: 'active';
      /** Store `now` as the new `lastSeenAt`. */
      touch: boolean;
      /** When the session ends if no further request comes. */
      endsAt: number;
    }
  | { state: 'revoked'; at: number }
  | { state: 'idle'; since: number }
  | { state: 'expired'; at: number };

/** The absolute limit of a session started at `at`. */
export const sessionExpiry = (at: number, limits: SessionLimits): number => at + limits.maxMs;

/** When a session that was just used at `lastSeenAt` ends, absent further use. */
export const sessionEndsAt = (lastSeenAt: number, expiresAt: number, limits: SessionLimits): number =>
  Math.min(lastSeenAt + limits.idleMs, expiresAt);

export const sessionState = (s: SessionTimes, limits: SessionLimits, now: number): SessionState => {
  if (s.revokedAt !== null) return { state: 'revoked', at: s.revokedAt };
  if (now >= s.expiresAt) return { state: 'expired', at: s.expiresAt };
  const idleUntil = s.lastSeenAt + limits.idleMs;
  if (now >= idleUntil) return { state: 'idle', since: idleUntil };
  const touch = now - s.lastSeenAt >= TOUCH_EVERY_MS;
  return { state: 'active', touch, endsAt: sessionEndsAt(touch ? now : s.lastSeenAt, s.expiresAt, limits) };
};
