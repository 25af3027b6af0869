import { eventField } from '../core/audience/fields.ts';
import { CART_DEFAULTS, type AudienceNode } from '../core/audience/schema.ts';
import { audienceWarnings, type KnownNames, type NamedWarning } from '../core/audience/warnings.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import {
  readEventNames,
  readEventProperties,
  readProfileAttributes,
  readPropertyKeys,
  readPropertyValues,
  readTraitKeys,
  type ColumnStats,
  type EventName,
  type InferredType,
  type KeyStats,
  type MetadataSample,
  type ValueCount,
} from '../storage/warehouse/metadata.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { PROFILE_COLUMNS } from '../core/profile/columns.ts';

/**
 * What the warehouse has seen (event names, property keys and values, profile attributes), for
 * the audience builder's pickers and for the warnings on audiences. Every signed-in user of the
 * workspace may read it: it is the vocabulary of the data, and contacts are never listed.
 */

export interface MetadataContext {
  warehouse: WarehouseSql;
}

/** Property keys and values come from the newest 10 000 events of the last 30 days of that event. */
export const DEFAULT_SAMPLE: MetadataSample = { days: 30, rows: 10_000 };
/** Traits come from the 10 000 most recently updated profiles. */
export const PROFILE_SAMPLE_ROWS = 10_000;
export const MAX_EVENT_NAMES = 1000;
export const TOP_VALUES = 10;

export interface PropertyInfo extends KeyStats {
  /** The most frequent JSON type of the key in the sample. */
  type: InferredType;
}

const withType = <T extends KeyStats>(s: T): T & { type: InferredType } => {
  const [type] = Object.entries(s.types).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0] ?? ['null'];
  return { ...s, type: type as InferredType };
};

export const listKnownEvents = async (ctx: MetadataContext): Outcome<EventName[]> =>
  ok(await readEventNames(ctx.warehouse, MAX_EVENT_NAMES));

export const listEventProperties = async (
  ctx: MetadataContext,
  event: string,
  sample: MetadataSample = DEFAULT_SAMPLE,
): Outcome<{ event: string; sample: MetadataSample; sampled: number; properties: PropertyInfo[] }> => {
  const r = await readEventProperties(ctx.warehouse, event, sample);
  return ok({ event, sample, sampled: r.sampled, properties: r.properties.map(withType) });
};

export const listPropertyValues = async (
  ctx: MetadataContext,
  key: string,
  event: string | undefined,
  sample: MetadataSample = DEFAULT_SAMPLE,
): Outcome<{ key: string; event: string | null; values: ValueCount[] }> => {
  const field = eventField(key);
  if (!field.ok)
    return err({
      type: 'invalid',
      message: field.error,
      errors: [{ path: 'params.key', message: field.error }],
    });
  const values = await readPropertyValues(ctx.warehouse, field.value, event, sample, TOP_VALUES);
  return ok({ key, event: event ?? null, values });
};

const COLUMN_TYPES: Readonly<Record<string, InferredType>> = {
  user_id: 'string',
  first_seen: 'time',
  updated_at: 'time',
  ...Object.fromEntries(
    PROFILE_COLUMNS.map((c) => [
      c.name,
      c.kind === 'timestamp'
        ? 'time'
        : c.kind === 'number'
          ? 'number'
          : c.kind === 'boolean'
            ? 'boolean'
            : 'string',
    ]),
  ),
};

export interface AttributeInfo {
  sampled: number;
  columns: (ColumnStats & { type: InferredType; aliases: readonly string[] })[];
  traits: (PropertyInfo & { topValues: ValueCount[] })[];
}

export const listAttributes = async (ctx: MetadataContext): Outcome<AttributeInfo> => {
  const r = await readProfileAttributes(ctx.warehouse, PROFILE_SAMPLE_ROWS, TOP_VALUES);
  return ok({
    sampled: r.sampled,
    columns: r.columns.map((c) => ({
      ...c,
      type: COLUMN_TYPES[c.name] ?? 'string',
      aliases: PROFILE_COLUMNS.find((p) => p.name === c.name)?.aliases ?? [],
    })),
    traits: r.traits.map(withType),
  });
};

/** The event names a (raw, valid) definition mentions, cart defaults included. */
const mentionedEvents = (definition: unknown, out = new Set<string>()): Set<string> => {
  if (Array.isArray(definition)) for (const d of definition) mentionedEvents(d, out);
  else if (typeof definition === 'object' && definition !== null) {
    const o = definition as Record<string, unknown>;
    if (typeof o['event'] === 'string') out.add(o['event']);
    if (o['kind'] === 'cart_abandoned') {
      if (o['add'] === undefined) out.add(CART_DEFAULTS.add);
      if (o['order'] === undefined) out.add(CART_DEFAULTS.order);
    }
    for (const v of Object.values(o)) mentionedEvents(v, out);
  }
  return out;
};

/** How long the warnings reuse what they read: a live preview asks again every few hundred ms. */
export const KNOWN_NAMES_TTL_MS = 60_000;

interface Cached<T> {
  at: number;
  value: Promise<T>;
}
/** Per warehouse: event names, trait keys, and property keys per event, each with when it was read. */
const caches = new WeakMap<
  WarehouseSql,
  { events?: Cached<string[]>; traits?: Cached<string[]>; keys: Map<string, Cached<string[]>> }
>();

/**
 * A value read at most once per TTL (a cache of what the warehouse has seen, not of results:
 * a name that appears meanwhile is warned about for at most a minute). Real time, not the
 * injected clock: this is about load, and a failed read is not kept.
 */
const cached = <T>(slot: Cached<T> | undefined, read: () => Promise<T>, keep: (c: Cached<T>) => void) => {
  const now = performance.now();
  if (slot !== undefined && now - slot.at < KNOWN_NAMES_TTL_MS) return slot.value;
  const value = read();
  const entry = { at: now, value };
  keep(entry);
  value.catch(() => keep({ at: -Infinity, value }));
  return value;
};

/** What the warnings of one definition need to know: all event names, and the keys of those it names. */
export const knownNamesFor = async (wh: WarehouseSql, definition: AudienceNode): Promise<KnownNames> => {
  const cache = caches.get(wh) ?? { keys: new Map<string, Cached<string[]>>() };
  caches.set(wh, cache);
  const [events, traits] = await Promise.all([
    cached(
      cache.events,
      async () => (await readEventNames(wh, Number.MAX_SAFE_INTEGER)).map((e) => e.event),
      (c) => (cache.events = c),
    ),
    cached(
      cache.traits,
      () => readTraitKeys(wh, PROFILE_SAMPLE_ROWS),
      (c) => (cache.traits = c),
    ),
  ]);
  const known = new Set(events);
  const named = [...mentionedEvents(definition)].filter((e) => known.has(e));
  const keys = await Promise.all(
    named.map((event) =>
      cached(
        cache.keys.get(event),
        async () => (await readPropertyKeys(wh, [event], DEFAULT_SAMPLE)).get(event) ?? [],
        (c) => cache.keys.set(event, c),
      ),
    ),
  );
  const byEvent = new Map(named.map((e, i) => [e, keys[i] ?? []]));
  return { events, properties: (event) => byEvent.get(event) ?? [], traits };
};

/** Warnings (names never seen, with a did-you-mean) of a valid definition. */
export const warningsFor = async (wh: WarehouseSql, definition: AudienceNode): Promise<NamedWarning[]> =>
  audienceWarnings(definition, await knownNamesFor(wh, definition));
