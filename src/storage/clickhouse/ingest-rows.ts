import { createHash } from 'node:crypto';
import type { EventRow, IdentifyRow } from '../../core/events/rows.ts';
import { hasLoneSurrogate } from '../../core/events/storable.ts';
import { PROFILE_COLUMNS } from '../../core/profile/columns.ts';

/**
 * The pure part of a ClickHouse commit: which records ClickHouse cannot store, the rows each table
 * gets, and the insert tokens that make a retried batch land once.
 */

/**
 * DateTime64's documented range (ClickHouse servers before 25.x refuse or clamp outside it; chDB
 * 26 stores wider, but a warehouse must not depend on the version): a time outside it is refused.
 */
export const MIN_TIME_MS = Date.UTC(1900, 0, 1);
export const MAX_TIME_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

export const timeProblem = (ms: number): string | null =>
  !Number.isFinite(ms)
    ? 'is not a time'
    : ms < MIN_TIME_MS || ms > MAX_TIME_MS
      ? `${new Date(ms).toISOString()} is outside the range the ClickHouse warehouse stores (1900-01-01 to 2299-12-31 UTC)`
      : null;

/** A time as ClickHouse reads DateTime64(3) text: 'YYYY-MM-DD hh:mm:ss.mmm' (UTC). */
export const chTime = (ms: number): string => {
  const iso = new Date(Math.round(ms)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
};

/** A record the ClickHouse commit refuses (kept in `ingest_rejections`); the rest is stored. */
export interface ClickHouseRefusal {
  kind: 'event' | 'identify';
  /** Its position in the batch's events or identifies. */
  at: number;
  field: string;
  reason: string;
}

const LONE_SURROGATE =
  'must be valid Unicode (it contains a lone UTF-16 surrogate, which ClickHouse refuses for the whole insert)';

/** The first text field holding a lone surrogate (validation replaces them; this is the safety net). */
const unicodeProblem = (fields: Record<string, unknown>): { field: string; reason: string } | null => {
  for (const [field, v] of Object.entries(fields))
    if (typeof v === 'string' && hasLoneSurrogate(v)) return { field, reason: LONE_SURROGATE };
  return null;
};

/** The first field of an event ClickHouse cannot store, with why; null when it can store it. */
export const eventProblem = (e: EventRow): { field: string; reason: string } | null => {
  const text = unicodeProblem({
    messageId: e.messageId,
    userId: e.userId,
    anonymousId: e.anonymousId,
    event: e.event,
    currency: e.currency,
    productId: e.productId,
    category: e.category,
    orderId: e.orderId,
    platform: e.platform,
    properties: e.properties,
  });
  if (text !== null) return text;
  const ts = timeProblem(e.ts);
  if (ts !== null) return { field: 'timestamp', reason: ts };
  const received = timeProblem(e.receivedAt);
  if (received !== null) return { field: 'receivedAt', reason: received };
  return null;
};

export const identifyProblem = (r: IdentifyRow): { field: string; reason: string } | null => {
  const text = unicodeProblem({
    messageId: r.messageId,
    userId: r.userId,
    anonymousId: r.anonymousId,
    ...Object.fromEntries(Object.entries(r.columns).map(([k, v]) => [`traits.${k}`, v])),
  });
  if (text !== null) return text;
  // Trait names are stored as text (values as JSON, which escapes a lone surrogate).
  for (const key of Object.keys(r.traits))
    if (hasLoneSurrogate(key))
      return { field: `traits.${key.replace(/\p{Surrogate}/gu, '\uFFFD')}`, reason: LONE_SURROGATE };
  const ts = timeProblem(r.ts);
  if (ts !== null) return { field: 'timestamp', reason: ts };
  const received = timeProblem(r.receivedAt);
  if (received !== null) return { field: 'receivedAt', reason: received };
  const registered = r.columns.register_time;
  if (registered !== undefined) {
    const problem = timeProblem(registered);
    if (problem !== null) return { field: 'traits.register_time', reason: problem };
  }
  return null;
};

export const eventRowOf = (r: EventRow): Record<string, unknown> => ({
  message_id: r.messageId,
  user_id: r.userId,
  anonymous_id: r.anonymousId,
  event: r.event,
  ts: chTime(r.ts),
  received_at: chTime(r.receivedAt),
  amount: r.amount,
  currency: r.currency,
  product_id: r.productId,
  category: r.category,
  order_id: r.orderId,
  platform: r.platform,
  properties: r.properties,
  source: r.source,
});

/** One history row per trait of each call, as DuckDB writes them (value: the trait as JSON). */
export const historyRowsOf = (rows: readonly IdentifyRow[]): Record<string, unknown>[] =>
  rows.flatMap((r) =>
    Object.entries(r.traits).map(([attribute, value]) => ({
      user_id: r.userId,
      attribute,
      value: JSON.stringify(value ?? null),
      valid_from: chTime(r.ts),
      received_at: chTime(r.receivedAt),
      message_id: r.messageId,
      source: r.source,
    })),
  );

/** (ts, received_at, message_id, value): compared as ClickHouse compares the tuples, key first. */
type Keyed = [number, number, string, unknown];

const keyBefore = (a: Keyed, b: Keyed): boolean =>
  a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];

interface UserState {
  firstSeen: number;
  identifiedAt: number | null;
  columns: Map<string, Keyed>;
  traits: Map<string, Keyed>;
}

/**
 * One `profile_state` row per user of the batch: the batch's own fold of what profile-ddl.ts
 * folds across batches (the same max per column and per trait key), so fewer rows are written;
 * ClickHouse would reach the same result from one row per call.
 */
export const profileStateRowsOf = (
  events: readonly EventRow[],
  identifies: readonly IdentifyRow[],
): Record<string, unknown>[] => {
  const users = new Map<string, UserState>();
  const stateOf = (user: string, ts: number): UserState => {
    let s = users.get(user);
    if (s === undefined) {
      s = { firstSeen: ts, identifiedAt: null, columns: new Map(), traits: new Map() };
      users.set(user, s);
    } else if (ts < s.firstSeen) s.firstSeen = ts;
    return s;
  };
  for (const e of events) stateOf(e.userId, e.ts);
  for (const r of identifies) {
    const s = stateOf(r.userId, r.ts);
    s.identifiedAt = s.identifiedAt === null ? r.ts : Math.max(s.identifiedAt, r.ts);
    const put = (into: Map<string, Keyed>, name: string, value: unknown) => {
      const next: Keyed = [r.ts, r.receivedAt, r.messageId, value];
      const held = into.get(name);
      if (held === undefined || keyBefore(held, next)) into.set(name, next);
    };
    for (const c of PROFILE_COLUMNS) {
      const v = r.columns[c.name];
      if (v !== undefined) put(s.columns, c.name, v);
    }
    for (const [k, v] of Object.entries(r.traits)) put(s.traits, k, JSON.stringify(v ?? null));
  }
  const tuple = (k: Keyed, value: unknown) => [chTime(k[0]), chTime(k[1]), k[2], value];
  return [...users].map(([user, s]) => {
    const row: Record<string, unknown> = {
      user_id: user,
      first_seen: chTime(s.firstSeen),
      identified_at: s.identifiedAt === null ? null : chTime(s.identifiedAt),
    };
    // Unset columns are left out: the table's DEFAULT is the unset key.
    for (const c of PROFILE_COLUMNS) {
      const k = s.columns.get(c.name);
      if (k !== undefined) row[c.name] = tuple(k, c.kind === 'timestamp' ? chTime(k[3] as number) : k[3]);
    }
    // fromEntries defines own keys: a trait named `__proto__` stays a key, not a prototype.
    row['traits'] = Object.fromEntries([...s.traits].map(([name, k]) => [name, tuple(k, k[3])]));
    return row;
  });
};

/**
 * The insert token of a table's rows for a batch: the table and a hash of the batch's sorted
 * message ids (plus anything else that tells two batches apart), so the same batch retried gets
 * the same token and is stored once, and a batch with any other id gets another.
 */
export const dedupToken = (table: string, ids: readonly string[], extra: readonly string[] = []): string => {
  const h = createHash('sha256');
  for (const id of [...ids].sort()) h.update(`${id.length}:${id}`);
  h.update('|');
  for (const x of extra) h.update(`${x.length}:${x}`);
  return `rekindle:${table}:${h.digest('hex')}`;
};
