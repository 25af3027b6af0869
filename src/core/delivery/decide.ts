import { backoffMs, DEFAULT_MAX_DEFER_MS, type RetryPolicy } from './backoff.ts';
import type { SendOutcome } from './message.ts';

/** What the worker knows of a message's delivery so far (the outbox row). */
export interface DeliveryState {
  idempotencyKey: string;
  /** Provider calls made before this one. */
  attempts: number;
  /** The provider tried last (null: none yet). */
  providerId: string | null;
  /** That provider may hold the message: only it may be tried again. */
  pinned: boolean;
  /**
   * When the message was planned to go out (epoch ms, the outbox `send_at`): a provider may defer
   * it (`later`) only so far past this. Absent: deferrals are unbounded.
   */
  dueAt?: number;
}

/** A deferral whose provider did not say for how long waits this long. */
export const DEFAULT_LATER_MS = 3_600_000;

export type Decision =
  | { kind: 'sent'; providerId: string; providerMessageId: string; attempts: number }
  | {
      kind: 'retry';
      /** The provider of the next attempt (null: the first in failover order). */
      providerId: string | null;
      pinned: boolean;
      /** Epoch ms of the next attempt. */
      at: number;
      attempts: number;
      error: string;
    }
  | { kind: 'dead'; reason: string; error: string; attempts: number }
  /**
   * A provider call may have begun before its worker died, and that provider does not
   * de-duplicate by key: sending again could reach the user twice, so the message is reported
   * with this outcome instead and never re-sent.
   */
  | { kind: 'unknown'; providerId: string | null; reason: string; error: string; attempts: number };

/**
 * The provider to call for a message: the one it is on, else the first in failover order. A
 * provider that was removed from the configuration since is skipped (the operator took it away).
 */
export const pickProvider = <P extends { id: string }>(
  state: Pick<DeliveryState, 'providerId'>,
  providers: readonly P[],
): P | undefined => providers.find((p) => p.id === state.providerId) ?? providers[0];

/**
 * The next state of a message after one provider call (`providerId` is who was called, `order`
 * the channel's providers in failover order):
 * - accepted → sent;
 * - `never` → dead with the provider's code;
 * - the attempts are used up → dead `max_attempts`;
 * - `same_provider` → the same provider again after the backoff (pinned from now on);
 * - `next_provider` → the next provider at once; after the last one, the first again after the
 *   backoff; a pinned message never moves (the first provider may have it: a second would
 *   deliver it twice), it waits for its provider like `same_provider`.
 */
export const decide = (
  state: DeliveryState,
  providerId: string,
  outcome: SendOutcome,
  order: readonly string[],
  policy: RetryPolicy,
  now: number,
  /** Moves a deferral out of the user's quiet hours (`localTimeHold`); absent: no hold. */
  hold?: (at: number) => number,
): Decision => {
  const attempts = state.attempts + 1;
  if (outcome.kind === 'accepted')
    return { kind: 'sent', providerId, providerMessageId: outcome.providerMessageId, attempts };
  const error = `${outcome.code}: ${outcome.reason}`.slice(0, 500);
  if (outcome.retry === 'never') return { kind: 'dead', reason: outcome.code, error, attempts };
  if (outcome.retry === 'later') return deferred(state, providerId, outcome, policy, now, hold);
  // The provider cannot address this user (a WeCom app needs a member id, an Official Account an
  // open id): the channel's next provider may; when none is left, nobody can, so no retries.
  if (outcome.retry === 'next_provider' && outcome.code === 'no_address') {
    const next = order.includes(providerId) ? order[order.indexOf(providerId) + 1] : undefined;
    if (next === undefined || state.pinned) return { kind: 'dead', reason: 'no_address', error, attempts };
    return { kind: 'retry', providerId: next, pinned: false, at: now, attempts, error };
  }
  if (attempts >= policy.maxAttempts) return { kind: 'dead', reason: 'max_attempts', error, attempts };
  const later = now + backoffMs(policy, state.idempotencyKey, attempts, outcome.retryAfterMs);
  const pinned = state.pinned || outcome.retry === 'same_provider';
  if (pinned) return { kind: 'retry', providerId, pinned: true, at: later, attempts, error };
  const next = order[order.indexOf(providerId) + 1];
  if (next !== undefined && order.includes(providerId))
    return { kind: 'retry', providerId: next, pinned: false, at: now, attempts, error };
  return { kind: 'retry', providerId: order[0] ?? null, pinned: false, at: later, attempts, error };
};

const iso = (ms: number) => new Date(ms).toISOString();

/** `decide` for `later`: operators read `last_error`, so it says when the message goes again. */
const deferred = (
  state: DeliveryState,
  providerId: string,
  outcome: SendOutcome & { kind: 'failed' },
  policy: RetryPolicy,
  now: number,
  hold?: (at: number) => number,
): Decision => {
  const allowed = now + Math.max(0, outcome.retryAfterMs ?? DEFAULT_LATER_MS);
  const at = Math.max(allowed, hold?.(allowed) ?? allowed);
  const held =
    at > allowed
      ? `, when the user's quiet hours and the channel's send window allow (the provider would take it at ${iso(allowed)})`
      : '';
  const why = `${outcome.code}: ${outcome.reason}`;
  const bound = policy.maxDeferMs ?? DEFAULT_MAX_DEFER_MS;
  if (state.dueAt !== undefined && at > state.dueAt + bound) {
    const past = `${iso(state.dueAt + bound)} (planned send time + ${Math.round(bound / 3_600_000)} h)`;
    return {
      kind: 'dead',
      reason: 'deferred_too_long',
      error: `${why.slice(0, 300)}; the provider would take it only at ${iso(at)}, after ${past}: given up`,
      attempts: state.attempts,
    };
  }
  return {
    kind: 'retry',
    providerId,
    pinned: state.pinned,
    at,
    attempts: state.attempts,
    error:
      `${why.slice(0, 250)}; deferred by the provider, tried again at ${iso(at)}${held} (not counted as an attempt)`.slice(
        0,
        500,
      ),
  };
};

/** A message that cannot be sent at all (no address, unsubscribed, content failed): dead now. */
export const deadBeforeSending = (state: DeliveryState, reason: string, error = reason): Decision => ({
  kind: 'dead',
  reason,
  error: error.slice(0, 500),
  attempts: state.attempts,
});

/**
 * What to do with a message whose provider call may have started before its worker died
 * (`started_at` set, no outcome recorded): send it again only to the same provider with the same
 * idempotency key, and only when that provider drops a repeated key; otherwise report it as
 * `unknown` (a second SMS, e-mail or push is worse than a report that one may be missing).
 */
export const resolveInterrupted = <P extends { id: string; dedupesByKey?: boolean | undefined }>(
  state: Pick<DeliveryState, 'providerId' | 'attempts'>,
  providers: readonly P[],
): { kind: 'resend'; provider: P } | (Decision & { kind: 'unknown' }) => {
  const provider = providers.find((p) => p.id === state.providerId);
  if (provider?.dedupesByKey === true) return { kind: 'resend', provider };
  const why =
    provider === undefined
      ? 'the provider it was handed to is no longer configured'
      : 'the provider does not de-duplicate by idempotency key';
  return {
    kind: 'unknown',
    providerId: state.providerId,
    reason: 'interrupted_send',
    error: `the worker stopped while the provider call was in flight; ${why}, so it is not sent again`,
    attempts: state.attempts + 1,
  };
};
