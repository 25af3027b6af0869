import {
  DuckDBDateValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  JSDuckDBValueConverter,
  type DuckDBValueConverter,
  type JS,
} from '@duckdb/node-api';

/** A JS Date holds ±8.64e15 ms (±275 760 years); a DuckDB TIMESTAMP reaches ±290 000 years. */
export const MAX_JS_DATE_MS = 8_640_000_000_000_000;
const MAX = BigInt(MAX_JS_DATE_MS);

const clampedDate = (ms: bigint): Date => new Date(Number(ms < -MAX ? -MAX : ms > MAX ? MAX : ms));

/**
 * DuckDB values as JS values, like the driver's own converter, except that a time outside what a
 * JS Date can hold (an identify with `createdAt` "-271821-04-20", a row imported straight into
 * DuckDB, `'infinity'::TIMESTAMP`) reads as the nearest Date JS can hold instead of throwing:
 * the driver's converter throws for the whole result, so one stored row would fail every read
 * that touches it (audience previews, a user's page, exports), for good.
 */
export const safeJsConverter: DuckDBValueConverter<JS> = (value, type, converter) => {
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue)
    return clampedDate(value.micros / 1000n);
  if (value instanceof DuckDBTimestampMillisecondsValue) return clampedDate(value.millis);
  if (value instanceof DuckDBTimestampSecondsValue) return clampedDate(value.seconds * 1000n);
  if (value instanceof DuckDBTimestampNanosecondsValue) return clampedDate(value.nanos / 1_000_000n);
  if (value instanceof DuckDBDateValue) return clampedDate(BigInt(value.days) * 86_400_000n);
  return JSDuckDBValueConverter(value, type, converter);
};

/**
 * A JSON object stored as text (`properties`, `traits`), or `{}` when the stored text is not a
 * JSON object: rows written by an older version or imported straight into DuckDB must not fail
 * the read that meets them.
 */
export const storedJsonObject = (text: string | null | undefined): Record<string, unknown> => {
  if (text === null || text === undefined) return {};
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};
