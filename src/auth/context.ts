import type { ScryptParams } from './password-hash.ts';
import type { SessionLimits } from '../core/auth/session-policy.ts';
import type { Clock } from '../core/clock.ts';
import type { RekindleConfig } from '../config.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

/** What the password and session services work on: the control plane, the clock and the limits. */
export interface AuthContext {
  control: SqlClient;
  clock: Clock;
  sessions: SessionLimits;
  /** Parameters for new password hashes; defaults to `DEFAULT_SCRYPT`. */
  scrypt?: ScryptParams | undefined;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const sessionLimitsOf = (config: Pick<RekindleConfig, 'sessionIdleHours' | 'sessionMaxDays'>) => ({
  idleMs: config.sessionIdleHours * HOUR,
  maxMs: config.sessionMaxDays * DAY,
});

export const authContextOf = (rt: {
  control: SqlClient;
  clock: Clock;
  config: RekindleConfig;
}): AuthContext => ({
  control: rt.control,
  clock: rt.clock,
  sessions: sessionLimitsOf(rt.config),
});

/** Why a login or a password change was throttled (the answer adds when to try again). */
export const TOO_MANY_LOGINS = 'too many failed logins for this name';
