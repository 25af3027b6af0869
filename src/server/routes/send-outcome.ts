import type { FastifyReply } from 'fastify';
import type { Result } from '../../core/result.ts';
import type { ServiceFailure } from '../../core/service-failure.ts';

const STATUS: Record<ServiceFailure['type'], number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  in_use: 409,
  throttled: 429,
};

/** Whole seconds, at least one: `Retry-After` counts seconds and 0 would invite a retry storm. */
const retrySeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

const failureBody = (f: ServiceFailure) => {
  switch (f.type) {
    case 'invalid':
      return { error: f.message, errors: f.errors };
    case 'not_found':
      return { error: `${f.what} not found` };
    case 'in_use':
      return { error: f.reason, by: f.by };
    case 'throttled':
      return { error: `${f.reason}; try again in ${retrySeconds(f.retryAfterMs)} s` };
    default:
      return { error: f.reason };
  }
};

/** Sends a failure with its status code (and `Retry-After` when throttled). */
export const sendFailure = (reply: FastifyReply, f: ServiceFailure) => {
  if (f.type === 'throttled') void reply.header('retry-after', String(retrySeconds(f.retryAfterMs)));
  return reply.code(STATUS[f.type]).send(failureBody(f));
};

/** Maps a service outcome to a status code and body; the only place that knows the mapping. */
export const sendOutcome = async <T>(
  reply: FastifyReply,
  r: Result<T, ServiceFailure>,
  dto: (v: T) => unknown,
  code = 200,
) => (r.ok ? reply.code(code).send(dto(r.value)) : sendFailure(reply, r.error));
