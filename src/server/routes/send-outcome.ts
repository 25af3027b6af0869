import type { FastifyReply } from 'fastify';
import type { Result } from '../../core/result.ts';

/** The expected failures the management services return, whatever the feature. */
export type ServiceFailure =
  | { type: 'invalid'; message: string; errors: { path: string; message: string }[] }
  | { type: 'not_found'; what: string }
  | { type: 'forbidden'; reason: string }
  | { type: 'conflict'; reason: string }
  | { type: 'in_use'; reason: string; by: { id: string; name: string }[] };

const STATUS: Record<ServiceFailure['type'], number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  in_use: 409,
};

const failureBody = (f: ServiceFailure) => {
  switch (f.type) {
    case 'invalid':
      return { error: f.message, errors: f.errors };
    case 'not_found':
      return { error: `${f.what} not found` };
    case 'in_use':
      return { error: f.reason, by: f.by };
    default:
      return { error: f.reason };
  }
};

/** Maps a service outcome to a status code and body; the only place that knows the mapping. */
export const sendOutcome = async <T>(
  reply: FastifyReply,
  r: Result<T, ServiceFailure>,
  dto: (v: T) => unknown,
  code = 200,
) =>
  r.ok ? reply.code(code).send(dto(r.value)) : reply.code(STATUS[r.error.type]).send(failureBody(r.error));
