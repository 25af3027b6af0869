import type { Result } from './result.ts';

/** One problem of a refused input: where (`definition.children[1].days`) and what. */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * The expected failures every management service returns, whatever the feature. They are values
 * (invariants still throw); the HTTP layer maps each kind to one status code (`sendOutcome`).
 */
export type ServiceFailure =
  | { type: 'invalid'; message: string; errors: FieldError[] }
  | { type: 'not_found'; what: string }
  | { type: 'forbidden'; reason: string }
  | { type: 'conflict'; reason: string }
  /** Something else still refers to the object (`by`), so it cannot be deleted. */
  | { type: 'in_use'; reason: string; by: { id: string; name: string }[] }
  /** Too many attempts: `reason` says which, the caller may try again after `retryAfterMs`. */
  | { type: 'throttled'; reason: string; retryAfterMs: number };

/** What a service call yields: the value, or one of the expected failures. */
export type Outcome<T> = Promise<Result<T, ServiceFailure>>;

/** Several problems at once, under one summary message. */
export const invalidAll = (message: string, errors: FieldError[]): ServiceFailure => ({
  type: 'invalid',
  message,
  errors,
});

/** One problem with one field; the message names it (`invalid request: rule.metric: …`). */
export const invalid = (path: string, message: string): ServiceFailure =>
  invalidAll(`invalid request: ${path}: ${message}`, [{ path, message }]);

/** `what` is the object as the answer names it, e.g. `campaign 'c1'` (→ "campaign 'c1' not found"). */
export const notFound = (what: string): ServiceFailure => ({ type: 'not_found', what });

export const forbidden = (reason: string): ServiceFailure => ({ type: 'forbidden', reason });

export const conflict = (reason: string): ServiceFailure => ({ type: 'conflict', reason });

export const inUse = (reason: string, by: { id: string; name: string }[]): ServiceFailure => ({
  type: 'in_use',
  reason,
  by,
});

export const throttled = (reason: string, retryAfterMs: number): ServiceFailure => ({
  type: 'throttled',
  reason,
  retryAfterMs,
});
