import { err, ok, type Result } from '../result.ts';
import { profileColumnForTrait, type ProfileColumnKind } from '../profile/columns.ts';
import type { ScoreName } from './schema.ts';

/** The value type of a typed column; JSON values take their type from the comparison. */
export type ValueType = 'string' | 'number' | 'boolean' | 'time';

/**
 * Where a named field lives. Typed columns come from whitelists only; any other name is a JSON
 * path whose every segment passed `SEGMENT`, written as `$."a"."b"` and still bound as a
 * parameter (never spliced into the SQL text).
 */
export type FieldRef =
  | { kind: 'column'; column: string; type: ValueType }
  | { kind: 'json'; segments: readonly string[]; path: string };

/** Typed event columns (the rest of an event's properties is JSON in `properties`). */
export const EVENT_COLUMNS: Readonly<Record<string, ValueType>> = {
  amount: 'number',
  currency: 'string',
  product_id: 'string',
  category: 'string',
  order_id: 'string',
  platform: 'string',
};

/** Typed columns of `profiles` that are not traits. */
const PROFILE_EXTRA_COLUMNS: Readonly<Record<string, ValueType>> = {
  user_id: 'string',
  first_seen: 'time',
  updated_at: 'time',
};

export const SCORE_TYPES: Readonly<Record<ScoreName, ValueType>> = {
  lifecycle_stage: 'string',
  rfm_tier: 'string',
  rfm_r: 'number',
  rfm_f: 'number',
  rfm_m: 'number',
  churn_risk_score: 'number',
  churn_risk_level: 'string',
  ltv: 'number',
  p_alive: 'number',
  expected_purchases: 'number',
  expected_spend: 'number',
  computed_at: 'time',
};

/** Values a score may take where the product fixes them (features.md B1, B6). */
export const SCORE_VALUES: Partial<Readonly<Record<ScoreName, readonly string[]>>> = {
  lifecycle_stage: ['new', 'growing', 'mature', 'silent', 'churned'],
  churn_risk_level: ['high', 'medium', 'low'],
};

/** An own property only: a name such as `constructor` must never reach Object.prototype. */
export const own = <V>(record: Readonly<Record<string, V>>, key: string): V | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

const KIND_TYPES: Readonly<Record<ProfileColumnKind, ValueType>> = {
  timestamp: 'time',
  string: 'string',
  timezone: 'string',
  email: 'string',
  phone: 'string',
  number: 'number',
  boolean: 'boolean',
};

/** One segment of a JSON path: letters (any script), digits, `_` and `-`; at most 64 characters. */
const SEGMENT = /^[\p{L}\p{N}_-]{1,64}$/u;
const MAX_SEGMENTS = 5;

export const jsonPath = (segments: readonly string[]): string =>
  '$' + segments.map((s) => `."${s}"`).join('');

/** Checks a dotted path strictly; the message says why it is refused. */
export const parseJsonPath = (name: string): Result<FieldRef & { kind: 'json' }, string> => {
  const segments = name.split('.');
  if (segments.length > MAX_SEGMENTS)
    return err(`'${show(name)}' has more than ${MAX_SEGMENTS} path segments`);
  for (const s of segments) {
    if (!SEGMENT.test(s)) {
      return err(
        `'${show(name)}' is not a valid property path (segments of letters, digits, '_' and '-', separated by '.')`,
      );
    }
  }
  return ok({ kind: 'json', segments, path: jsonPath(segments) });
};

/** An event property: a typed column by whitelist, else a path into `properties`. */
export const eventField = (name: string): Result<FieldRef, string> => {
  const type = own(EVENT_COLUMNS, name);
  if (type !== undefined) return ok({ kind: 'column', column: name, type });
  return parseJsonPath(name);
};

/** A profile attribute: a typed column (canonical name or alias) by whitelist, else a path into `traits`. */
export const profileField = (name: string): Result<FieldRef, string> => {
  const extra = own(PROFILE_EXTRA_COLUMNS, name);
  if (extra !== undefined) return ok({ kind: 'column', column: name, type: extra });
  const column = profileColumnForTrait(name);
  if (column !== undefined) return ok({ kind: 'column', column: column.name, type: KIND_TYPES[column.kind] });
  return parseJsonPath(name);
};

/** Whether a profile column has a history (`profile_history` keeps traits, not bookkeeping columns). */
export const hasHistory = (ref: FieldRef): boolean =>
  ref.kind === 'json' || own(PROFILE_EXTRA_COLUMNS, ref.column) === undefined;

/** Where "value at time T" looks: the history attribute, and the path inside its JSON value. */
export const historyTarget = (
  ref: FieldRef,
): { attribute: string; path: string; segments: readonly string[] } => {
  if (ref.kind === 'column') return { attribute: ref.column, path: '$', segments: [] };
  const [first, ...rest] = ref.segments;
  return { attribute: first ?? '', path: jsonPath(rest), segments: rest };
};

/** A name quoted in a message, cut short and stripped of control characters. */
export const show = (name: string): string => {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean;
};
