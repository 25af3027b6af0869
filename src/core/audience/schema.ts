import { FormatRegistry, Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { MAX_EVENT_NAME_LENGTH } from '../events/segment-schema.ts';
import { parseIsoUtc } from './time.ts';

/**
 * The audience language: a typed tree. These TypeBox schemas are the request validation, the
 * TypeScript types and the OpenAPI documentation at once. Semantics (time windows, missing
 * values, …) are documented in `time.ts` and on each node below; `compiler.ts` turns a tree into
 * DuckDB SQL and `reference-evaluator.ts` evaluates it in memory.
 *
 * Missing values: every condition is two-valued. A comparison on a value the user does not
 * have (NULL column, absent trait, no score row) is false — `neq`, `not_in` and `not_contains`
 * included; only `not_exists` is true there. `not` is then the plain complement, so
 * `not(city eq 'X')` contains the users whose city is unknown.
 */

if (!FormatRegistry.Has('audience-time')) FormatRegistry.Set('audience-time', (v) => parseIsoUtc(v) !== null);

export const MAX_TEXT_LENGTH = 1000;
export const MAX_IN_VALUES = 1000;
export const MAX_FILTERS = 20;
export const MAX_SEQUENCE_STEPS = 8;

const Text = Type.String({ maxLength: MAX_TEXT_LENGTH });
const Num = Type.Number({ description: 'a finite number' });
const Scalar = Type.Union([Text, Num, Type.Boolean()]);
const EventName = Type.String({ minLength: 1, maxLength: MAX_EVENT_NAME_LENGTH });
const FieldName = Type.String({
  minLength: 1,
  maxLength: 200,
  description:
    'a typed column name, or a dotted path into the JSON (`address.city`): segments of letters, digits, `_` and `-`',
});

/** The instants a JS Date holds (±8.64e15 ms, years -271821 to 275760); DuckDB holds them all too. */
export const MAX_INSTANT_MS = 8_640_000_000_000_000;
/** 10 000 years of days: a `daysAgo` beyond it names no instant anyone stored. */
export const MAX_DAYS_AGO = 3_652_500;
/** A `within` duration in any unit: at most 36 600 days written in minutes (checked again in days). */
export const MAX_DURATION_VALUE = 52_704_000;

export const TimeSpec = Type.Union(
  [
    Type.String({ format: 'audience-time', description: 'ISO-8601 date or date-time, UTC without offset' }),
    Type.Integer({
      minimum: -MAX_INSTANT_MS,
      maximum: MAX_INSTANT_MS,
      description: 'epoch milliseconds',
    }),
    Type.Object(
      {
        daysAgo: Type.Number({
          minimum: 0,
          maximum: MAX_DAYS_AGO,
          description: 'now − daysAgo × 86 400 000 ms',
        }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'a point in time' },
);
export type TimeSpecValue = Static<typeof TimeSpec>;

const NumOrTime = Type.Union([Num, TimeSpec]);
const Days = Type.Number({ exclusiveMinimum: 0, maximum: 36_600 });

/** The comparison operators, each with the fields it takes (flat on the node that uses it). */
export const COMPARISON_FIELDS = {
  eq: { value: Scalar },
  neq: { value: Scalar },
  in: { values: Type.Array(Scalar, { minItems: 1, maxItems: MAX_IN_VALUES }) },
  not_in: { values: Type.Array(Scalar, { minItems: 1, maxItems: MAX_IN_VALUES }) },
  contains: { value: Text },
  not_contains: { value: Text },
  gt: { value: Num },
  gte: { value: Num },
  lt: { value: Num },
  lte: { value: Num },
  between: { min: NumOrTime, max: NumOrTime },
  before: { time: TimeSpec },
  after: { time: TimeSpec },
  within_last: { days: Days },
  exists: {},
  not_exists: {},
} as const satisfies Record<string, Record<string, TSchema>>;
export type ComparisonOp = keyof typeof COMPARISON_FIELDS;

const NUMBER_FIELDS = {
  eq: { value: Num },
  neq: { value: Num },
  gt: { value: Num },
  gte: { value: Num },
  lt: { value: Num },
  lte: { value: Num },
  between: { min: Num, max: Num },
} as const satisfies Partial<Record<ComparisonOp, Record<string, TSchema>>>;

const TIME_FIELDS = {
  before: { time: TimeSpec },
  after: { time: TimeSpec },
  between: { min: TimeSpec, max: TimeSpec },
  within_last: { days: Days },
} as const satisfies Partial<Record<ComparisonOp, Record<string, TSchema>>>;

type OpObjects<F extends Record<string, Record<string, TSchema>>> = {
  [K in keyof F & string]: TObject<{ op: ReturnType<typeof Type.Literal<K>> } & F[K]>;
};
const opObjects = <F extends Record<string, Record<string, TSchema>>>(fields: F): OpObjects<F> => {
  const out: Record<string, TObject> = {};
  for (const [op, f] of Object.entries(fields)) out[op] = Type.Object({ op: Type.Literal(op), ...f });
  return out as OpObjects<F>;
};
const unionOf = <T extends Record<string, TSchema>>(o: T) =>
  Type.Union(Object.values(o) as TSchema[]) as unknown as ReturnType<typeof Type.Union<T[keyof T][]>>;

export const COMPARISON_SCHEMAS = opObjects(COMPARISON_FIELDS);
export const NUMBER_COMPARISON_SCHEMAS = opObjects(NUMBER_FIELDS);
export const TIME_COMPARISON_SCHEMAS = opObjects(TIME_FIELDS);
export const Comparison = unionOf(COMPARISON_SCHEMAS);
export const NumberComparison = unionOf(NUMBER_COMPARISON_SCHEMAS);
export const TimeComparison = unionOf(TIME_COMPARISON_SCHEMAS);
export type Comparison = Static<typeof Comparison>;
export type NumberComparison = Static<typeof NumberComparison>;
export type TimeComparison = Static<typeof TimeComparison>;

/** A condition on one property of an event: a typed column or a JSON path into `properties`. */
export const PropertyFilter = Type.Intersect([Type.Object({ property: FieldName }), Comparison]);
export type PropertyFilter = Static<typeof PropertyFilter>;
const Filters = Type.Array(PropertyFilter, {
  maxItems: MAX_FILTERS,
  description: 'all must hold for an event to count',
});

export const Window = Type.Union(
  [
    Type.Object({ type: Type.Literal('last_days'), days: Days }, { additionalProperties: false }),
    Type.Object(
      { type: Type.Literal('between'), from: TimeSpec, to: TimeSpec },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('since'),
        event: EventName,
        where: Type.Optional(Filters),
        occurrence: Type.Optional(Type.Union([Type.Literal('last'), Type.Literal('first')])),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'which events count; all ends inclusive, never after now' },
);
export type Window = Static<typeof Window>;

export const Duration = Type.Object(
  {
    value: Type.Number({ exclusiveMinimum: 0, maximum: MAX_DURATION_VALUE }),
    unit: Type.Union([Type.Literal('minutes'), Type.Literal('hours'), Type.Literal('days')]),
  },
  { additionalProperties: false },
);
export type Duration = Static<typeof Duration>;

export const SequenceStep = Type.Object(
  { event: EventName, where: Type.Optional(Filters) },
  { additionalProperties: false },
);
export type SequenceStep = Static<typeof SequenceStep>;

export const SCORE_NAMES = [
  'lifecycle_stage',
  'rfm_tier',
  'rfm_r',
  'rfm_f',
  'rfm_m',
  'churn_risk_score',
  'churn_risk_level',
  'ltv',
  'p_alive',
  'expected_purchases',
  'expected_spend',
  'computed_at',
] as const;
export type ScoreName = (typeof SCORE_NAMES)[number];

export const METRIC_FUNCTIONS = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max'] as const;
export type MetricFunction = (typeof METRIC_FUNCTIONS)[number];

const literalUnion = <T extends readonly string[]>(values: T) =>
  Type.Union(values.map((v) => Type.Literal(v))) as unknown as ReturnType<
    typeof Type.Union<ReturnType<typeof Type.Literal<T[number]>>[]>
  >;

/**
 * The shape of every node kind, parameterised by the schema of a child node: the full tree
 * uses the recursive node itself, the validator uses `unknown` so it can recurse on its own and
 * name the exact path of a problem.
 */
export const nodeShapes = <C extends TSchema>(Child: C) =>
  ({
    /** All children hold. `and []` is everyone. */
    and: Type.Object({ kind: Type.Literal('and'), children: Type.Array(Child) }),
    /** At least one child holds. `or []` is no one. */
    or: Type.Object({ kind: Type.Literal('or'), children: Type.Array(Child) }),
    /** The complement of the child within the universe (the `profiles` table). */
    not: Type.Object({ kind: Type.Literal('not'), child: Child }),
    /** A profile column (PROFILE_COLUMNS, `user_id`, `first_seen`, `updated_at`) or a trait path. */
    attribute: Type.Object({
      kind: Type.Literal('attribute'),
      attribute: FieldName,
      at: Type.Optional(TimeSpec),
    }),
    /** A computed score from `user_scores`. */
    score: Type.Object({ kind: Type.Literal('score'), score: literalUnion(SCORE_NAMES) }),
    /** Did the event at least once in the window (with the filters). */
    did: Type.Object({
      kind: Type.Literal('did'),
      event: EventName,
      where: Type.Optional(Filters),
      window: Type.Optional(Window),
    }),
    /** Never did the event in the window (with the filters). */
    did_not: Type.Object({
      kind: Type.Literal('did_not'),
      event: EventName,
      where: Type.Optional(Filters),
      window: Type.Optional(Window),
    }),
    /**
     * An aggregate over the user's matching events compared with a number. With no matching
     * event, `count`, `count_distinct` and `sum` are 0; `avg`, `min` and `max` have no value (false).
     * Nulls and non-numeric values of the property are skipped.
     */
    metric: Type.Object({
      kind: Type.Literal('metric'),
      event: EventName,
      fn: literalUnion(METRIC_FUNCTIONS),
      property: Type.Optional(FieldName),
      where: Type.Optional(Filters),
      window: Type.Optional(Window),
    }),
    /** The time of the user's first matching event (events up to now); false if none. */
    first_time: Type.Object({
      kind: Type.Literal('first_time'),
      event: EventName,
      where: Type.Optional(Filters),
    }),
    /** The time of the user's last matching event (events up to now); false if none. */
    last_time: Type.Object({
      kind: Type.Literal('last_time'),
      event: EventName,
      where: Type.Optional(Filters),
    }),
    /** Steps at strictly increasing times, optionally within a duration and without an event in between. */
    sequence: Type.Object({
      kind: Type.Literal('sequence'),
      steps: Type.Array(SequenceStep, { minItems: 2, maxItems: MAX_SEQUENCE_STEPS }),
      within: Type.Optional(Duration),
      without: Type.Optional(SequenceStep),
      window: Type.Optional(Window),
    }),
    /**
     * Cart abandonment: at least one `add` event (default `add_to_cart`, inside the window) whose
     * deadline `within` has passed (add.ts + within <= now) with no `order` event (default
     * `order`) at add.ts <= ts <= add.ts + within. With `sameProduct` only an order with the add's
     * `product_id` counts, and adds without a product_id are ignored (nothing to match them on).
     */
    cart_abandoned: Type.Object({
      kind: Type.Literal('cart_abandoned'),
      add: Type.Optional(SequenceStep),
      order: Type.Optional(SequenceStep),
      within: Duration,
      window: Type.Optional(Window),
      sameProduct: Type.Optional(Type.Boolean()),
    }),
    /** Membership of a saved audience, inlined by the compiler through its resolver. */
    audience: Type.Object({
      kind: Type.Literal('audience'),
      id: Type.String({ minLength: 1, maxLength: 200 }),
    }),
    /**
     * A deterministic random bucket: md5(salt + ':' + user_id), first 8 hex digits as an
     * integer, modulo 100; members have min <= bucket <= max (e.g. 0..9 is a 10 % holdout).
     */
    bucket: Type.Object({
      kind: Type.Literal('bucket'),
      salt: Type.String({ maxLength: 200 }),
      min: Type.Integer({ minimum: 0, maximum: 99 }),
      max: Type.Integer({ minimum: 0, maximum: 99 }),
    }),
  }) as const;

/** Node kinds that carry a comparison (flat on the node), and which comparison set they take. */
export const COMPARISON_SETS = {
  attribute: COMPARISON_SCHEMAS,
  score: COMPARISON_SCHEMAS,
  metric: NUMBER_COMPARISON_SCHEMAS,
  first_time: TIME_COMPARISON_SCHEMAS,
  last_time: TIME_COMPARISON_SCHEMAS,
} as const;

const withComparison = <C extends TSchema>(Child: C) => {
  const s = nodeShapes(Child);
  return [
    s.and,
    s.or,
    s.not,
    Type.Intersect([s.attribute, Comparison]),
    Type.Intersect([s.score, Comparison]),
    s.did,
    s.did_not,
    Type.Intersect([s.metric, NumberComparison]),
    Type.Intersect([s.first_time, TimeComparison]),
    Type.Intersect([s.last_time, TimeComparison]),
    s.sequence,
    s.cart_abandoned,
    s.audience,
    s.bucket,
  ] as const;
};

export const AudienceNode = Type.Recursive((Self) => Type.Union([...withComparison(Self)]), {
  $id: 'AudienceNode',
  description: 'a node of the audience tree',
});
export type AudienceNode = Static<typeof AudienceNode>;
export type NodeKind = AudienceNode['kind'];
export type NodeOf<K extends NodeKind> = Extract<AudienceNode, { kind: K }>;
export const NODE_KINDS = Object.keys(nodeShapes(Type.Unknown())) as NodeKind[];

/** A saved audience is looked up by id; unknown ids answer undefined. */
export type AudienceResolver = (id: string) => AudienceNode | undefined;

export interface AudienceError {
  /** Where the problem is, e.g. `root.children[1].where[0].value`. */
  path: string;
  message: string;
}

export const formatAudienceError = (e: AudienceError): string => `${e.path}: ${e.message}`;

/** The events a `cart_abandoned` node looks at when it names none. */
export const CART_DEFAULTS = { add: 'add_to_cart', order: 'order' } as const;

/**
 * Something that is valid but probably not what was meant (an event never seen, a property key
 * no sampled event carries); `suggestion` is the closest known name, if one is close.
 */
export interface AudienceWarning {
  path: string;
  message: string;
  suggestion: string | null;
}
