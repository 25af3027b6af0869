import { toE164 } from '../channels/phone.ts';
import { err, ok, type Result } from '../result.ts';
import type { FieldError } from '../events/field-error.ts';
import type { ProfileColumnValues } from '../events/rows.ts';
import { isStorableTime, putOwn } from '../events/storable.ts';
import { parseTimestamp } from '../events/timestamp.ts';
import { profileColumnForTrait, type ProfileColumnKind } from './columns.ts';

type ColumnValue = ProfileColumnValues[keyof ProfileColumnValues];

const validZones = new Map<string, boolean>();
export const isTimeZone = (zone: string): boolean => {
  let known = validZones.get(zone);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      known = true;
    } catch {
      known = false;
    }
    validZones.set(zone, known);
  }
  return known;
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Parses one trait into its column's type, or says why it cannot. */
const parseColumn = (kind: ProfileColumnKind, v: unknown): Result<ColumnValue, string> => {
  switch (kind) {
    case 'timestamp': {
      const ms = typeof v === 'number' ? v : typeof v === 'string' ? parseTimestamp(v) : Number.NaN;
      if (!Number.isFinite(ms)) return err('must be an ISO-8601 date-time or epoch milliseconds');
      // The warehouse stores microseconds in 64 bits: createdAt 1e16 ms would overflow the commit.
      return isStorableTime(ms) ? ok(ms) : err('must be a time between 0001-01-01 and 9999-12-31');
    }
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? ok(v) : err('must be a finite number');
    case 'boolean':
      return typeof v === 'boolean' ? ok(v) : err('must be true or false');
    case 'string':
      return typeof v === 'string' && v.length <= 256
        ? ok(v)
        : err('must be a string of at most 256 characters');
    case 'timezone':
      return typeof v === 'string' && isTimeZone(v)
        ? ok(v)
        : err('must be an IANA time zone such as Asia/Shanghai');
    case 'email':
      return typeof v === 'string' && EMAIL.test(v) ? ok(v.toLowerCase()) : err('must be an email address');
    case 'phone': {
      // Stored once in E.164, so every reader (senders, exports, masking) sees one form.
      const e = toE164(v);
      return e.ok ? e : err(e.error);
    }
  }
};

export interface NormalisedTraits {
  columns: Partial<ProfileColumnValues>;
  traits: Record<string, unknown>;
}

/** Validates every known trait; all problems of the record are reported together. */
export const normaliseTraits = (
  raw: Record<string, unknown>,
  index: number,
): Result<NormalisedTraits, FieldError[]> => {
  const columns: Record<string, ColumnValue> = {};
  const traits: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const column = profileColumnForTrait(key);
    if (column === undefined || value === null) {
      putOwn(traits, column?.name ?? key, value);
      continue;
    }
    const parsed = parseColumn(column.kind, value);
    if (!parsed.ok) {
      errors.push({ index, field: `traits.${key}`, reason: parsed.error });
      continue;
    }
    columns[column.name] = parsed.value;
    // Contacts are identifiers: the traits (and so the profile history) keep the one form the
    // column holds (E.164, lower-case e-mail), so "phone at time T" compares like "phone" does.
    putOwn(traits, column.name, column.kind === 'phone' || column.kind === 'email' ? parsed.value : value);
  }
  if (errors.length > 0) return err(errors);
  return ok({ columns: columns as Partial<ProfileColumnValues>, traits });
};
