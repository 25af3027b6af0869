import type { EventRow } from '../events/rows.ts';
import { bucketOf } from './bucket.ts';
import {
  eventField,
  historyTarget,
  profileField,
  SCORE_TYPES,
  type FieldRef,
  type ValueType,
} from './fields.ts';
import { withPhoneLiterals } from './phone-literals.ts';
import { lookupAudience } from './resolve.ts';
import { CART_DEFAULTS } from './schema.ts';
import type {
  AudienceNode,
  AudienceResolver,
  Comparison,
  NodeKind,
  NodeOf,
  PropertyFilter,
  ScoreName,
  SequenceStep,
  Window,
} from './schema.ts';
import { durationMs, parseIsoUtc, resolveTime } from './time.ts';

/**
 * A plain, slow, obviously-correct evaluator of the audience language over in-memory data. It
 * exists to check the SQL compiler: the property test evaluates random trees both ways on the
 * same data and requires the same members. It follows the semantics documented in `time.ts`
 * and `schema.ts` literally (sequences, for instance, try every combination of events) and
 * shares no SQL-specific shortcut with the compiler.
 */

export interface ReferenceProfile {
  userId: string;
  /** Typed profile columns (times as epoch ms); null or absent = no value. */
  columns: Readonly<Record<string, string | number | boolean | null | undefined>>;
  traits: Readonly<Record<string, unknown>>;
}

export interface ReferenceHistory {
  userId: string;
  attribute: string;
  /** The trait value as sent (parsed JSON). */
  value: unknown;
  validFrom: number;
  receivedAt: number;
  messageId: string;
}

export type ReferenceScores = { userId: string } & Partial<Record<ScoreName, string | number | null>>;

export interface ReferenceData {
  profiles: readonly ReferenceProfile[];
  events: readonly EventRow[];
  history: readonly ReferenceHistory[];
  scores: readonly ReferenceScores[];
}

/** A value as a comparison sees it. */
type Value =
  | { kind: 'typed'; type: ValueType; value: string | number | boolean | null | undefined }
  | { kind: 'json'; raw: unknown; declared?: ValueType | undefined };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Follows object keys; anything else (arrays, scalars, a missing key) is missing. */
const navigate = (doc: unknown, segments: readonly string[]): unknown => {
  let cur = doc;
  for (const s of segments) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, s)) return undefined;
    cur = cur[s];
  }
  return cur;
};

/** The text of a JSON value (json_extract_string): strings as-is, others as JSON; null is missing. */
const textOf = (raw: unknown): string | null => {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') return raw;
  return JSON.stringify(raw);
};

const NUMBER_TEXT = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;
const parseNumber = (text: string | null): number | null =>
  text !== null && NUMBER_TEXT.test(text) ? Number(text) : null;
const parseTime = (text: string | null): number | null => {
  if (text === null) return null;
  const iso = parseIsoUtc(text.trim());
  if (iso !== null) return iso;
  return /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : null;
};

const as = (v: Value, type: ValueType): string | number | boolean | null => {
  if (v.kind === 'typed') return v.value ?? null;
  const text = textOf(v.raw);
  if (type === 'number') return parseNumber(text);
  if (type === 'time') return parseTime(text);
  if (type === 'boolean' && v.declared === 'boolean')
    return text === 'true' ? true : text === 'false' ? false : null;
  return text;
};

const typeIn = (v: Value, valueType: ValueType): ValueType =>
  v.kind === 'typed' ? v.type : (v.declared ?? valueType);

type Scalar = string | number | boolean;
const scalarType = (x: Scalar): ValueType =>
  typeof x === 'string' ? 'string' : typeof x === 'number' ? 'number' : 'boolean';

/** Equality as the comparison sees it: a JSON boolean compares as its text. */
const equals = (v: Value, x: Scalar): boolean => {
  const type = typeIn(v, scalarType(x));
  const got = as(v, type);
  if (got === null) return false;
  if (typeof x === 'boolean' && v.kind === 'json' && v.declared !== 'boolean') return got === String(x);
  return got === x;
};

const has = (v: Value): boolean => as(v, v.kind === 'typed' ? v.type : 'string') !== null;

const containsValue = (v: Value, needle: string): boolean | null => {
  if (v.kind === 'json' && v.declared === undefined && Array.isArray(v.raw)) {
    return v.raw.some((el) => textOf(el) === needle);
  }
  const text = as(v, 'string');
  return typeof text === 'string' ? text.includes(needle) : null;
};

const holdsComparison = (c: Comparison, v: Value, now: number): boolean => {
  const num = () => as(v, 'number');
  const time = () => as(v, 'time');
  switch (c.op) {
    case 'eq':
      return equals(v, c.value);
    case 'neq':
      return has(v) && as(v, typeIn(v, scalarType(c.value))) !== null && !equals(v, c.value);
    case 'in':
      return c.values.some((x) => equals(v, x));
    case 'not_in': {
      const first = c.values[0];
      if (first === undefined || as(v, typeIn(v, scalarType(first))) === null) return false;
      return !c.values.some((x) => equals(v, x));
    }
    case 'contains':
      return containsValue(v, c.value) === true;
    case 'not_contains':
      return containsValue(v, c.value) === false;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const n = num();
      if (typeof n !== 'number') return false;
      return c.op === 'gt'
        ? n > c.value
        : c.op === 'gte'
          ? n >= c.value
          : c.op === 'lt'
            ? n < c.value
            : n <= c.value;
    }
    case 'between': {
      if (
        typeIn(v, typeof c.min === 'number' && typeof c.max === 'number' ? 'number' : 'time') === 'number'
      ) {
        const n = num();
        return (
          typeof n === 'number' &&
          typeof c.min === 'number' &&
          typeof c.max === 'number' &&
          c.min <= n &&
          n <= c.max
        );
      }
      const t = time();
      const min = resolveTime(c.min, now);
      const max = resolveTime(c.max, now);
      return typeof t === 'number' && min !== null && max !== null && min <= t && t <= max;
    }
    case 'before':
    case 'after': {
      const t = time();
      const at = resolveTime(c.time, now);
      if (typeof t !== 'number' || at === null) return false;
      return c.op === 'before' ? t < at : t > at;
    }
    case 'within_last': {
      const t = time();
      return typeof t === 'number' && now - durationMs(c.days, 'days') <= t && t <= now;
    }
    case 'exists':
      return has(v);
    case 'not_exists':
      return !has(v);
  }
};

const EVENT_VALUES: Readonly<Record<string, (e: EventRow) => string | number | null>> = {
  amount: (e) => e.amount,
  currency: (e) => e.currency,
  product_id: (e) => e.productId,
  category: (e) => e.category,
  order_id: (e) => e.orderId,
  platform: (e) => e.platform,
};

const must = <T>(r: { ok: true; value: T } | { ok: false; error: string }): T => {
  if (!r.ok) throw new Error(`reference evaluator: ${r.error}`);
  return r.value;
};

interface Ctx {
  now: number;
  resolve: AudienceResolver | undefined;
  audiences: readonly string[];
}

type Holds = { [K in NodeKind]: (node: NodeOf<K>, user: UserData, ctx: Ctx) => boolean };

interface UserData {
  profile: ReferenceProfile;
  /** The user's events with ts <= now, by time. */
  events: readonly (EventRow & { props: unknown })[];
  history: readonly ReferenceHistory[];
  scores: ReferenceScores | undefined;
}

const eventValue = (e: EventRow & { props: unknown }, ref: FieldRef): Value => {
  if (ref.kind === 'column') {
    const get = EVENT_VALUES[ref.column];
    return { kind: 'typed', type: ref.type, value: get === undefined ? null : get(e) };
  }
  return { kind: 'json', raw: navigate(e.props, ref.segments) };
};

const matchesFilters = (
  e: EventRow & { props: unknown },
  where: readonly PropertyFilter[] | undefined,
  now: number,
) => (where ?? []).every((f) => holdsComparison(f, eventValue(e, must(eventField(f.property))), now));

const matching = (
  user: UserData,
  spec: { event: string; where?: readonly PropertyFilter[] | undefined; window?: Window | undefined },
  now: number,
) => {
  let events = user.events.filter((e) => e.event === spec.event && matchesFilters(e, spec.where, now));
  const w = spec.window;
  if (w?.type === 'last_days') {
    const from = now - durationMs(w.days, 'days');
    events = events.filter((e) => e.ts >= from);
  } else if (w?.type === 'between') {
    const from = resolveTime(w.from, now) ?? Number.POSITIVE_INFINITY;
    const to = resolveTime(w.to, now) ?? Number.NEGATIVE_INFINITY;
    events = events.filter((e) => from <= e.ts && e.ts <= to);
  } else if (w?.type === 'since') {
    const ys = matching(user, { event: w.event, where: w.where }, now).map((e) => e.ts);
    if (ys.length === 0) return [];
    const since = w.occurrence === 'first' ? Math.min(...ys) : Math.max(...ys);
    events = events.filter((e) => e.ts > since);
  }
  return events;
};

const numberMatches = (c: Comparison, n: number | null): boolean =>
  n !== null && holdsComparison(c, { kind: 'typed', type: 'number', value: n }, 0);

const metricValue = (node: NodeOf<'metric'>, user: UserData, now: number): number | null => {
  const events = matching(user, node, now);
  if (node.fn === 'count') return events.length;
  const ref = must(eventField(node.property ?? ''));
  if (node.fn === 'count_distinct') {
    const seen = new Set<string | number | boolean>();
    for (const e of events) {
      const v = eventValue(e, ref);
      const x = v.kind === 'typed' ? (v.value ?? null) : textOf(v.raw);
      if (x !== null) seen.add(x);
    }
    return seen.size;
  }
  const values: number[] = [];
  for (const e of events) {
    const x = as(eventValue(e, ref), 'number');
    if (typeof x === 'number') values.push(x);
  }
  if (node.fn === 'sum') return values.reduce((s, x) => s + x, 0);
  if (values.length === 0) return null;
  if (node.fn === 'avg') return values.reduce((s, x) => s + x, 0) / values.length;
  return node.fn === 'min' ? Math.min(...values) : Math.max(...values);
};

/** Does some choice of events, one per step at strictly increasing times, satisfy the sequence? */
const sequenceHolds = (node: NodeOf<'sequence'>, user: UserData, now: number): boolean => {
  const steps = node.steps.map((s: SequenceStep) => matching(user, { ...s, window: node.window }, now));
  const blockers = node.without === undefined ? [] : matching(user, node.without, now).map((e) => e.ts);
  const within =
    node.within === undefined ? Number.POSITIVE_INFINITY : durationMs(node.within.value, node.within.unit);
  const fits = (t1: number, tk: number) => tk - t1 <= within && !blockers.some((t) => t1 < t && t < tk);
  const search = (i: number, t1: number, prev: number): boolean => {
    const options = steps[i];
    if (options === undefined) return fits(t1, prev);
    return options.some((e) => e.ts > prev && search(i + 1, t1, e.ts));
  };
  return (steps[0] ?? []).some((e) => search(1, e.ts, e.ts));
};

/** Is some add, past its deadline, without any order in [add, add + within]? */
const cartAbandoned = (node: NodeOf<'cart_abandoned'>, user: UserData, now: number): boolean => {
  const within = durationMs(node.within.value, node.within.unit);
  const same = node.sameProduct === true;
  const adds = matching(user, { ...(node.add ?? { event: CART_DEFAULTS.add }), window: node.window }, now);
  const orders = matching(user, node.order ?? { event: CART_DEFAULTS.order }, now);
  return adds.some(
    (a) =>
      a.ts + within <= now &&
      (!same || a.productId !== null) &&
      !orders.some((o) => a.ts <= o.ts && o.ts <= a.ts + within && (!same || o.productId === a.productId)),
  );
};

/** Whether the user existed at `now`: seen (first_seen) or registered at or before it. */
const existed = (profile: ReferenceProfile, now: number): boolean => {
  const times = [profile.columns['first_seen'], profile.columns['register_time']].filter(
    (t): t is number => typeof t === 'number',
  );
  return times.length > 0 && Math.min(...times) <= now;
};

const attributeValue = (node: NodeOf<'attribute'>, user: UserData, now: number): Value => {
  const ref = must(profileField(node.attribute));
  if (node.at === undefined) {
    if (ref.kind === 'column')
      return { kind: 'typed', type: ref.type, value: user.profile.columns[ref.column] };
    return { kind: 'json', raw: navigate(user.profile.traits, ref.segments) };
  }
  const at = resolveTime(node.at, now) ?? Number.NEGATIVE_INFINITY;
  const target = historyTarget(ref);
  let latest: ReferenceHistory | undefined;
  for (const h of user.history) {
    if (h.attribute !== target.attribute || h.validFrom > at) continue;
    if (
      latest === undefined ||
      h.validFrom > latest.validFrom ||
      (h.validFrom === latest.validFrom &&
        (h.receivedAt > latest.receivedAt ||
          (h.receivedAt === latest.receivedAt && h.messageId > latest.messageId)))
    ) {
      latest = h;
    }
  }
  const inner = ref.kind === 'column' ? [] : ref.segments.slice(1);
  const raw = latest === undefined ? undefined : navigate(latest.value, inner);
  return { kind: 'json', raw, declared: ref.kind === 'column' ? ref.type : undefined };
};

const HOLDS: Holds = {
  and: (n, u, ctx) => n.children.every((c) => holds(c, u, ctx)),
  or: (n, u, ctx) => n.children.some((c) => holds(c, u, ctx)),
  not: (n, u, ctx) => !holds(n.child, u, ctx),
  attribute: (n, u, ctx) =>
    holdsComparison(
      withPhoneLiterals(must(profileField(n.attribute)), n),
      attributeValue(n, u, ctx.now),
      ctx.now,
    ),
  score: (n, u, ctx) =>
    holdsComparison(
      n,
      { kind: 'typed', type: SCORE_TYPES[n.score], value: u.scores?.[n.score] ?? null },
      ctx.now,
    ),
  did: (n, u, ctx) => matching(u, n, ctx.now).length > 0,
  did_not: (n, u, ctx) => matching(u, n, ctx.now).length === 0,
  metric: (n, u, ctx) => numberMatches(n, metricValue(n, u, ctx.now)),
  first_time: (n, u, ctx) => {
    const ts = matching(u, n, ctx.now).map((e) => e.ts);
    return (
      ts.length > 0 && holdsComparison(n, { kind: 'typed', type: 'time', value: Math.min(...ts) }, ctx.now)
    );
  },
  last_time: (n, u, ctx) => {
    const ts = matching(u, n, ctx.now).map((e) => e.ts);
    return (
      ts.length > 0 && holdsComparison(n, { kind: 'typed', type: 'time', value: Math.max(...ts) }, ctx.now)
    );
  },
  sequence: (n, u, ctx) => sequenceHolds(n, u, ctx.now),
  cart_abandoned: (n, u, ctx) => cartAbandoned(n, u, ctx.now),
  audience: (n, u, ctx) => {
    const found = lookupAudience(n.id, ctx.audiences, ctx.resolve, 'root');
    if (!found.ok) throw new Error(`reference evaluator: ${found.errors[0]?.message ?? 'bad audience'}`);
    return holds(found.node, u, { ...ctx, audiences: [...ctx.audiences, n.id] });
  },
  bucket: (n, u) => {
    const b = bucketOf(u.profile.userId, n.salt);
    return n.min <= b && b <= n.max;
  },
};

const holds = (node: AudienceNode, user: UserData, ctx: Ctx): boolean =>
  (HOLDS[node.kind] as (n: AudienceNode, u: UserData, c: Ctx) => boolean)(node, user, ctx);

/**
 * The members of a (valid) audience over the data, as of `now`. Score conditions that the
 * compiler refuses for a past `now` (see `present` in CompileOptions) are the caller's to avoid.
 */
export const evaluateReference = (
  node: AudienceNode,
  data: ReferenceData,
  options: { now: number; resolve?: AudienceResolver },
): Set<string> => {
  const now = Math.round(options.now);
  const events = new Map<string, (EventRow & { props: unknown })[]>();
  for (const e of data.events) {
    if (e.ts > now) continue;
    const list = events.get(e.userId) ?? [];
    list.push({ ...e, props: JSON.parse(e.properties) as unknown });
    events.set(e.userId, list);
  }
  const history = new Map<string, ReferenceHistory[]>();
  for (const h of data.history) history.set(h.userId, [...(history.get(h.userId) ?? []), h]);
  const scores = new Map(data.scores.map((s) => [s.userId, s]));
  const members = new Set<string>();
  const ctx: Ctx = { now, resolve: options.resolve, audiences: [] };
  for (const profile of data.profiles) {
    const user: UserData = {
      profile,
      events: events.get(profile.userId) ?? [],
      history: history.get(profile.userId) ?? [],
      scores: scores.get(profile.userId),
    };
    if (existed(profile, now) && holds(node, user, ctx)) members.add(profile.userId);
  }
  return members;
};
