import { FormatRegistry } from '@sinclair/typebox';
import { parseTimestamp } from './events/timestamp.ts';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * The `date-time` string format for every TypeBox schema, read as `parseTimestamp` reads it (a
 * time without a zone is UTC). Registered by importing this module: the HTTP validator and the
 * core validators (used without a server, e.g. by the CLI) see the same rule.
 */
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => ISO_DATE_TIME.test(v) && !Number.isNaN(parseTimestamp(v)));
}

export const DATE_TIME_FORMAT = 'date-time';
