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

/** The first and last instants an RFC 3339 `date-time` (a four-digit year) can write. */
const FIRST_RFC3339_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const LAST_RFC3339_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A stored time as a `date-time` text, or null where it has none: a time read from the warehouse
 * may lie in year -271821 or 275760 (a row imported straight into DuckDB), which JS writes as
 * `+275760-09-13T…`, no valid `date-time`; the answer says "no usable time" instead of failing.
 */
export const storedTimeIso = (v: number | Date | null | undefined): string | null => {
  if (v === null || v === undefined) return null;
  const ms = v instanceof Date ? v.getTime() : v;
  if (!Number.isFinite(ms) || ms < FIRST_RFC3339_MS || ms > LAST_RFC3339_MS) return null;
  return new Date(ms).toISOString();
};
