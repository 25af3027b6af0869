import type { ValueType } from './fields.ts';
import type { Comparison, ComparisonOp, TimeSpecValue } from './schema.ts';
import type { SqlDialect } from '../sql/dialect.ts';
import type { Params } from '../sql/params.ts';
import { durationMs, resolveTime } from './time.ts';

/**
 * What a comparison is applied to. `typed` is a column (or an aggregate) of a known type;
 * `json` is a path into a JSON document, bound as parameters (`SqlDialect.jsonPath`), whose type
 * comes from the comparison unless `declared` (a typed column read back from the profile history).
 */
export type Subject =
  | { kind: 'typed'; label: string; type: ValueType; sql: string }
  | { kind: 'json'; label: string; doc: string; path: string; declared?: ValueType };

/** Compiles one comparison to a SQL predicate, or says why it does not apply. */
export type ComparisonResult = { ok: true; sql: string } | { ok: false; field: string; message: string };

const fail = (field: string, message: string): ComparisonResult => ({ ok: false, field, message });
const done = (sql: string): ComparisonResult => ({ ok: true, sql });

type Scalar = string | number | boolean;
const typeOfScalar = (v: Scalar): ValueType =>
  typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : 'boolean';
const a = (t: ValueType) => (t === 'time' ? 'a time' : t === 'number' ? 'a number' : `a ${t}`);

const text = (s: Subject & { kind: 'json' }, d: SqlDialect) => d.jsonText(s.doc, s.path);

/** The subject's value as SQL of the given type (JSON text is cast; a failed cast is NULL). */
export const valueAs = (s: Subject, type: ValueType, d: SqlDialect): string => {
  if (s.kind === 'typed') return s.sql;
  const t = text(s, d);
  if (type === 'number') return d.toDouble(t);
  if (type === 'boolean') return s.declared === 'boolean' ? d.toBoolean(t) : t;
  if (type === 'time') return d.toTime(t);
  return t;
};

/** The type a comparison works in: the column's type, or the value's type for JSON. */
const effectiveType = (s: Subject, valueType: ValueType): ValueType =>
  s.kind === 'typed' ? s.type : (s.declared ?? valueType);

export interface ComparisonContext {
  params: Params;
  now: number;
  /** Extra checks of literal values (e.g. score enums); a message when a value is refused. */
  checkValue?: (value: Scalar) => string | undefined;
}

type Fn<C> = (c: C, s: Subject, ctx: ComparisonContext) => ComparisonResult;
type Op<K extends ComparisonOp> = Extract<Comparison, { op: K }>;

/** A bound scalar in the subject's type; JSON booleans compare as their text. */
const bindScalar = (v: Scalar, s: Subject, ctx: ComparisonContext): string =>
  typeof v === 'boolean' && s.kind === 'json' && s.declared !== 'boolean'
    ? ctx.params.add(String(v))
    : ctx.params.add(v);

const scalarCompare =
  (sqlOp: '=' | '<>'): Fn<Op<'eq' | 'neq'>> =>
  (c, s, ctx) => {
    const vt = typeOfScalar(c.value);
    const type = effectiveType(s, vt);
    if (type === 'time')
      return fail('op', `'${c.op}' does not apply to the time ${s.label}; use before, after or between`);
    if (vt !== type) return fail('value', `expected ${a(type)} for ${s.label}`);
    const refused = ctx.checkValue?.(c.value);
    if (refused !== undefined) return fail('value', refused);
    return done(`${valueAs(s, type, ctx.params.dialect)} ${sqlOp} ${bindScalar(c.value, s, ctx)}`);
  };

const listCompare =
  (negate: boolean): Fn<Op<'in' | 'not_in'>> =>
  (c, s, ctx) => {
    const first = c.values[0];
    if (first === undefined) return fail('values', 'expected at least one value');
    const type = effectiveType(s, typeOfScalar(first));
    if (type === 'time') return fail('op', `'${c.op}' does not apply to the time ${s.label}; use between`);
    for (const [i, v] of c.values.entries()) {
      if (typeOfScalar(v) !== type) return fail(`values[${i}]`, `expected ${a(type)} for ${s.label}`);
      const refused = ctx.checkValue?.(v);
      if (refused !== undefined) return fail(`values[${i}]`, refused);
    }
    const list = c.values.map((v) => bindScalar(v, s, ctx)).join(', ');
    return done(`${valueAs(s, type, ctx.params.dialect)} ${negate ? 'NOT IN' : 'IN'} (${list})`);
  };

const containsCompare =
  (negate: boolean): Fn<Op<'contains' | 'not_contains'>> =>
  (c, s, ctx) => {
    const type = effectiveType(s, 'string');
    if (type !== 'string') return fail('op', `'${c.op}' applies to text, and ${s.label} is ${a(type)}`);
    const v = ctx.params.add(c.value);
    let sql: string;
    const d = ctx.params.dialect;
    if (s.kind === 'json' && s.declared === undefined) {
      // A JSON array (tags) contains an element equal to the value; a text contains it as a substring.
      sql =
        `CASE WHEN ${d.jsonIsArray(s.doc, s.path)} ` +
        `THEN ${d.jsonArrayHas(s.doc, s.path, v)} ` +
        `ELSE ${d.contains(text(s, d), v)} END`;
    } else sql = d.contains(valueAs(s, 'string', d), v);
    return done(negate ? `NOT (${sql})` : sql);
  };

const orderCompare =
  (sqlOp: '>' | '>=' | '<' | '<='): Fn<Op<'gt' | 'gte' | 'lt' | 'lte'>> =>
  (c, s, ctx) => {
    const type = effectiveType(s, 'number');
    if (type === 'time')
      return fail('op', `'${c.op}' does not apply to the time ${s.label}; use before or after`);
    if (type !== 'number') return fail('op', `'${c.op}' applies to numbers, and ${s.label} is ${a(type)}`);
    return done(`${valueAs(s, 'number', ctx.params.dialect)} ${sqlOp} ${ctx.params.add(c.value)}`);
  };

const timeOf = (spec: TimeSpecValue, ctx: ComparisonContext): number | null => resolveTime(spec, ctx.now);

const timeCompare =
  (sqlOp: '<' | '>'): Fn<Op<'before' | 'after'>> =>
  (c, s, ctx) => {
    const type = effectiveType(s, 'time');
    if (type !== 'time') return fail('op', `'${c.op}' applies to times, and ${s.label} is ${a(type)}`);
    const t = timeOf(c.time, ctx);
    if (t === null) return fail('time', 'expected an ISO-8601 date-time');
    return done(`${valueAs(s, 'time', ctx.params.dialect)} ${sqlOp} ${ctx.params.time(t)}`);
  };

const HANDLERS: { [K in ComparisonOp]: Fn<Op<K>> } = {
  eq: scalarCompare('='),
  neq: scalarCompare('<>'),
  in: listCompare(false),
  not_in: listCompare(true),
  contains: containsCompare(false),
  not_contains: containsCompare(true),
  gt: orderCompare('>'),
  gte: orderCompare('>='),
  lt: orderCompare('<'),
  lte: orderCompare('<='),
  before: timeCompare('<'),
  after: timeCompare('>'),
  between: (c, s, ctx) => {
    const numeric = typeof c.min === 'number' && typeof c.max === 'number';
    const type = effectiveType(s, numeric ? 'number' : 'time');
    if (type === 'number') {
      if (typeof c.min !== 'number') return fail('min', `expected a number for ${s.label}`);
      if (typeof c.max !== 'number') return fail('max', `expected a number for ${s.label}`);
      if (c.min > c.max) return fail('max', 'must not be less than min');
      const e = valueAs(s, 'number', ctx.params.dialect);
      return done(`${e} BETWEEN ${ctx.params.add(c.min)} AND ${ctx.params.add(c.max)}`);
    }
    if (type !== 'time')
      return fail('op', `'between' applies to numbers and times, and ${s.label} is ${a(type)}`);
    const min = timeOf(c.min, ctx);
    const max = timeOf(c.max, ctx);
    if (min === null) return fail('min', 'expected a time');
    if (max === null) return fail('max', 'expected a time');
    if (min > max) return fail('max', 'must not be earlier than min');
    return done(
      `${valueAs(s, 'time', ctx.params.dialect)} BETWEEN ${ctx.params.time(min)} AND ${ctx.params.time(max)}`,
    );
  },
  within_last: (c, s, ctx) => {
    const type = effectiveType(s, 'time');
    if (type !== 'time') return fail('op', `'within_last' applies to times, and ${s.label} is ${a(type)}`);
    const from = ctx.now - durationMs(c.days, 'days');
    return done(
      `${valueAs(s, 'time', ctx.params.dialect)} BETWEEN ${ctx.params.time(from)} AND ${ctx.params.time(ctx.now)}`,
    );
  },
  exists: (_c, s, ctx) =>
    done(`${valueAs(s, s.kind === 'typed' ? s.type : 'string', ctx.params.dialect)} IS NOT NULL`),
  not_exists: (_c, s, ctx) =>
    done(`${valueAs(s, s.kind === 'typed' ? s.type : 'string', ctx.params.dialect)} IS NULL`),
};

/**
 * The predicate of a comparison on a subject. It may be NULL where the value is missing; a
 * caller that needs two-valued logic wraps it (`(…) IS TRUE`). `exists` / `not_exists` are
 * never NULL.
 */
export const compileComparison = (c: Comparison, s: Subject, ctx: ComparisonContext): ComparisonResult =>
  (HANDLERS[c.op] as Fn<Comparison>)(c, s, ctx);

/** Comparisons that are never NULL and so need no wrapping. */
export const isTotal = (op: ComparisonOp): boolean => op === 'exists' || op === 'not_exists';

/**
 * Whether a number comparison holds for `value` (used to decide whether users with no matching
 * event — count 0, sum 0 — belong, which turns a semi-join into an anti-join).
 */
export const numberHolds = (c: Comparison, value: number): boolean => {
  switch (c.op) {
    case 'eq':
      return value === c.value;
    case 'neq':
      return value !== c.value;
    case 'gt':
      return value > c.value;
    case 'gte':
      return value >= c.value;
    case 'lt':
      return value < c.value;
    case 'lte':
      return value <= c.value;
    case 'between':
      return typeof c.min === 'number' && typeof c.max === 'number' && c.min <= value && value <= c.max;
    default:
      return false;
  }
};
