import { Type } from '@sinclair/typebox';

/** The body of every 4xx/5xx answer of the management API. */
export const ApiError = Type.Object(
  {
    error: Type.String({ description: 'what went wrong, in words' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({ description: 'where in the request, e.g. `definition.children[1].days`' }),
          message: Type.String(),
        }),
      ),
    ),
    by: Type.Optional(Type.Array(Type.Object({ id: Type.String(), name: Type.String() }))),
  },
  { $id: 'ApiError' },
);

export const errorResponses = {
  400: ApiError,
  401: ApiError,
  403: ApiError,
  404: ApiError,
  409: ApiError,
} as const;

/**
 * Marks a field whose full schema is a named component in the OpenAPI document (recursive
 * schemas such as the audience tree). The request validator accepts anything there; the
 * handler validates it with the dedicated validator that reports exact paths.
 */
export const documentedAs = (component: string, description: string) =>
  Type.Unknown({ description, 'x-rekindle-schema': component });

export const EpochMs = Type.Integer({ description: 'epoch milliseconds (UTC)' });
export const IsoTime = Type.String({ format: 'date-time', description: 'ISO-8601 instant (UTC)' });
