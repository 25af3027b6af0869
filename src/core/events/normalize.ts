import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { err, ok, type Result } from '../result.ts';
import { normaliseTraits } from '../profile/traits.ts';
import type { FieldError } from './field-error.ts';
import {
  ALIAS_EVENT,
  GROUP_EVENT,
  PAGE_EVENT,
  SCREEN_EVENT,
  type EventRow,
  type IdentifyRow,
  type IngestSource,
} from './rows.ts';
import {
  AliasPayload,
  GroupPayload,
  IdentifyPayload,
  PagePayload,
  ScreenPayload,
  TrackPayload,
} from './segment-schema.ts';
import { nameProblem, putOwn, storableJson, wellFormed } from './storable.ts';
import { parseTimestamp } from './timestamp.ts';

/** Largest JSON a single record may carry in properties or traits (Segment's per-message limit). */
export const MAX_RECORD_JSON_BYTES = 32 * 1024;
/** Event times further than this in the future are clock errors, not events. */
export const MAX_FUTURE_SKEW_MS = 24 * 3600 * 1000;
/** Earliest accepted event time: anything older is a unit error (seconds taken as milliseconds). */
export const MIN_EVENT_TIME_MS = Date.UTC(1990, 0, 1);

export interface NormaliseContext {
  receivedAt: number;
  source: IngestSource;
  /** Id for a record sent without a `messageId`; the shell passes `randomUUID` (the core draws no randomness). */
  newMessageId: () => string;
}

/** Page, screen, group and alias calls are stored as events (see docs/ingestion.md). */
export type NormalisedMessage = { kind: 'track'; row: EventRow } | { kind: 'identify'; row: IdentifyRow };

const trackCheck = TypeCompiler.Compile(TrackPayload);
const identifyCheck = TypeCompiler.Compile(IdentifyPayload);
const pageCheck = TypeCompiler.Compile(PagePayload);
const screenCheck = TypeCompiler.Compile(ScreenPayload);
const groupCheck = TypeCompiler.Compile(GroupPayload);
const aliasCheck = TypeCompiler.Compile(AliasPayload);

const schemaErrors = <T extends TSchema>(
  check: TypeCheck<T>,
  value: unknown,
  index: number,
): FieldError[] => {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const e of check.Errors(value)) {
    const field = e.path.replace(/^\//, '').replaceAll('/', '.') || '(record)';
    if (seen.has(field)) continue;
    seen.add(field);
    const reason =
      e.schema['format'] === 'rekindle-date-time'
        ? 'must be an ISO-8601 date-time of a day that exists, e.g. 2026-11-20T08:30:00Z'
        : e.message;
    errors.push({ index, field, reason });
  }
  return errors;
};

/** Numeric ids are kept only when exact: 123456789012345678901234567890 would become "1.2345678901234568e+29". */
const idProblem = (v: string | number): string | null =>
  typeof v === 'number'
    ? Number.isSafeInteger(v)
      ? null
      : 'a numeric id must be an integer within ±9007199254740991; send larger ids as strings'
    : nameProblem(v);

const checkIds = (
  m: { messageId?: string; userId?: string | number; anonymousId?: string | number },
  index: number,
): FieldError[] | null => {
  // Unrolled, without closures or arrays per call: this runs for every ingested message.
  const user = m.userId === undefined ? null : idProblem(m.userId);
  const anonymous = m.anonymousId === undefined ? null : idProblem(m.anonymousId);
  const message = m.messageId === undefined ? null : nameProblem(m.messageId);
  if (user === null && anonymous === null && message === null) return null;
  const errors: FieldError[] = [];
  if (user !== null) errors.push({ index, field: 'userId', reason: user });
  if (anonymous !== null) errors.push({ index, field: 'anonymousId', reason: anonymous });
  if (message !== null) errors.push({ index, field: 'messageId', reason: message });
  return errors;
};

const asId = (v: string | number | undefined): string | null => (v === undefined ? null : String(v));

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

interface Envelope {
  messageId: string;
  userId: string;
  anonymousId: string | null;
  ts: number;
}

/** The fields every Segment message shares: identity, message id and event time. */
const envelope = (
  m: {
    messageId?: string;
    userId?: string | number;
    anonymousId?: string | number;
    timestamp?: string;
    originalTimestamp?: string;
  },
  index: number,
  ctx: NormaliseContext,
): Result<Envelope, FieldError[]> => {
  const idErrors = checkIds(m, index);
  if (idErrors !== null) return err(idErrors);
  const userId = asId(m.userId);
  const anonymousId = asId(m.anonymousId);
  const who = userId ?? anonymousId;
  if (who === null) return err([{ index, field: 'userId', reason: 'userId or anonymousId is required' }]);
  const when = m.timestamp ?? m.originalTimestamp;
  const ts = when === undefined ? ctx.receivedAt : parseTimestamp(when);
  const timeField = m.timestamp === undefined ? 'originalTimestamp' : 'timestamp';
  if (ts > ctx.receivedAt + MAX_FUTURE_SKEW_MS) {
    return err([{ index, field: timeField, reason: 'is more than 24 hours in the future' }]);
  }
  if (ts < MIN_EVENT_TIME_MS) return err([{ index, field: timeField, reason: 'is before 1990-01-01' }]);
  const messageId = m.messageId ?? ctx.newMessageId();
  return ok({ messageId, userId: who, anonymousId, ts });
};

const str = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;

const platformOf = (context: Record<string, unknown> | undefined, props: Record<string, unknown>) => {
  if (typeof props['platform'] === 'string') return props['platform'];
  const device = context?.['device'];
  if (isRecord(device) && typeof device['type'] === 'string') return wellFormed(device['type']);
  const os = context?.['os'];
  if (isRecord(os) && typeof os['name'] === 'string') return wellFormed(os['name']);
  return null;
};

export const normaliseTrack = (
  raw: unknown,
  index: number,
  ctx: NormaliseContext,
): Result<EventRow, FieldError[]> => {
  if (!trackCheck.Check(raw)) return err(schemaErrors(trackCheck, raw, index));
  const env = envelope(raw, index, ctx);
  if (!env.ok) return env;
  const eventProblem = nameProblem(raw.event);
  if (eventProblem !== null) return err([{ index, field: 'event', reason: eventProblem }]);
  const clean = storableJson(raw.properties ?? {});
  if (!clean.ok) return err([{ index, field: `properties${clean.error.path}`, reason: clean.error.reason }]);
  const typedProps = clean.value as NonNullable<TrackPayload['properties']>;
  const props = typedProps as Record<string, unknown>;
  // Properties are kept whole (typed columns are copies), so the raw event is always recoverable.
  const properties = JSON.stringify(props);
  if (properties.length > MAX_RECORD_JSON_BYTES) {
    return err([{ index, field: 'properties', reason: `exceeds ${MAX_RECORD_JSON_BYTES} bytes` }]);
  }
  const amount = typedProps.amount ?? typedProps.revenue ?? typedProps.total ?? null;
  if (amount !== null && !Number.isFinite(amount)) {
    return err([{ index, field: 'properties.amount', reason: 'must be a finite number' }]);
  }
  const e = env.value;
  // Fields are listed one by one: an object spread here made this hot path 50× slower.
  return ok({
    messageId: e.messageId,
    userId: e.userId,
    anonymousId: e.anonymousId,
    ts: e.ts,
    event: raw.event,
    receivedAt: ctx.receivedAt,
    amount,
    currency: typedProps.currency ?? null,
    productId: str(props['product_id'] ?? props['productId']),
    category: typedProps.category ?? null,
    orderId: str(props['order_id'] ?? props['orderId']),
    platform: platformOf(raw.context, props),
    properties,
    source: ctx.source,
  });
};

export const normaliseIdentify = (
  raw: unknown,
  index: number,
  ctx: NormaliseContext,
): Result<IdentifyRow, FieldError[]> => {
  if (!identifyCheck.Check(raw)) return err(schemaErrors(identifyCheck, raw, index));
  const env = envelope(raw, index, ctx);
  if (!env.ok) return env;
  const clean = storableJson(raw.traits ?? {});
  if (!clean.ok) return err([{ index, field: `traits${clean.error.path}`, reason: clean.error.reason }]);
  const traits = normaliseTraits(clean.value as Record<string, unknown>, index);
  if (!traits.ok) return traits;
  if (JSON.stringify(traits.value.traits).length > MAX_RECORD_JSON_BYTES) {
    return err([{ index, field: 'traits', reason: `exceeds ${MAX_RECORD_JSON_BYTES} bytes` }]);
  }
  const row: IdentifyRow = {
    messageId: env.value.messageId,
    userId: env.value.userId,
    ts: env.value.ts,
    receivedAt: ctx.receivedAt,
    columns: traits.value.columns,
    traits: traits.value.traits,
    source: ctx.source,
  };
  // Only when sent: the link to the user is made at commit (identity-links.ts).
  if (env.value.anonymousId !== null) row.anonymousId = env.value.anonymousId;
  return ok(row);
};

/** A call stored as an event with the given name and properties (page, screen, group, alias). */
const callEvent = (
  env: Envelope,
  event: string,
  properties: Record<string, unknown>,
  category: string | null,
  context: Record<string, unknown> | undefined,
  index: number,
  ctx: NormaliseContext,
  field: string,
): Result<EventRow, FieldError[]> => {
  const clean = storableJson(properties);
  if (!clean.ok) return err([{ index, field: `${field}${clean.error.path}`, reason: clean.error.reason }]);
  const props = clean.value as Record<string, unknown>;
  const text = JSON.stringify(props);
  if (text.length > MAX_RECORD_JSON_BYTES) {
    return err([{ index, field, reason: `exceeds ${MAX_RECORD_JSON_BYTES} bytes` }]);
  }
  return ok({
    messageId: env.messageId,
    userId: env.userId,
    anonymousId: env.anonymousId,
    ts: env.ts,
    event,
    receivedAt: ctx.receivedAt,
    amount: null,
    currency: null,
    productId: null,
    category,
    orderId: null,
    platform: platformOf(context, props),
    properties: text,
    source: ctx.source,
  });
};

/** `page` and `screen`: the event of that name; properties keep `name` and `category`. */
export const normalisePage = (
  kind: 'page' | 'screen',
  raw: unknown,
  index: number,
  ctx: NormaliseContext,
): Result<EventRow, FieldError[]> => {
  const check = kind === 'page' ? pageCheck : screenCheck;
  if (!check.Check(raw)) return err(schemaErrors(check, raw, index));
  const env = envelope(raw, index, ctx);
  if (!env.ok) return env;
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw.properties ?? {})) putOwn(props, k, v);
  if (raw.name !== undefined) props['name'] = raw.name;
  if (raw.category !== undefined) props['category'] = raw.category;
  const category = typeof props['category'] === 'string' ? props['category'] : null;
  const event = kind === 'page' ? PAGE_EVENT : SCREEN_EVENT;
  return callEvent(env.value, event, props, category, raw.context, index, ctx, 'properties');
};

/** `group`: the event `group` with `groupId` (and the group's `traits`) in its properties. */
export const normaliseGroup = (
  raw: unknown,
  index: number,
  ctx: NormaliseContext,
): Result<EventRow, FieldError[]> => {
  if (!groupCheck.Check(raw)) return err(schemaErrors(groupCheck, raw, index));
  const groupProblem = idProblem(raw.groupId);
  if (groupProblem !== null) return err([{ index, field: 'groupId', reason: groupProblem }]);
  const env = envelope(raw, index, ctx);
  if (!env.ok) return env;
  const props: Record<string, unknown> = { groupId: String(raw.groupId) };
  if (raw.traits !== undefined) props['traits'] = raw.traits;
  return callEvent(env.value, GROUP_EVENT, props, null, raw.context, index, ctx, 'traits');
};

/** `alias`: the event `alias` of `userId` with `previousId` in its properties; the link is made at commit. */
export const normaliseAlias = (
  raw: unknown,
  index: number,
  ctx: NormaliseContext,
): Result<EventRow, FieldError[]> => {
  if (!aliasCheck.Check(raw)) return err(schemaErrors(aliasCheck, raw, index));
  const previousProblem = idProblem(raw.previousId);
  if (previousProblem !== null) return err([{ index, field: 'previousId', reason: previousProblem }]);
  const env = envelope(raw, index, ctx);
  if (!env.ok) return env;
  const previousId = String(raw.previousId);
  if (previousId === env.value.userId) {
    return err([{ index, field: 'previousId', reason: 'must differ from userId' }]);
  }
  return callEvent(env.value, ALIAS_EVENT, { previousId }, null, raw.context, index, ctx, 'previousId');
};

const SUPPORTED = 'track, identify, page, screen, group or alias';

/** Dispatches one message of a batch on its `type`; unknown types are precise errors, not drops. */
export const normaliseMessage = (
  raw: unknown,
  index: number,
  ctx: NormaliseContext,
): Result<NormalisedMessage, FieldError[]> => {
  if (!isRecord(raw)) return err([{ index, field: '(record)', reason: 'must be a JSON object' }]);
  const type = raw['type'];
  if (type === 'track') {
    const r = normaliseTrack(raw, index, ctx);
    return r.ok ? ok({ kind: 'track', row: r.value }) : r;
  }
  if (type === 'identify') {
    const r = normaliseIdentify(raw, index, ctx);
    return r.ok ? ok({ kind: 'identify', row: r.value }) : r;
  }
  if (type === 'page' || type === 'screen') {
    const r = normalisePage(type, raw, index, ctx);
    return r.ok ? ok({ kind: 'track', row: r.value }) : r;
  }
  if (type === 'group' || type === 'alias') {
    const r = type === 'group' ? normaliseGroup(raw, index, ctx) : normaliseAlias(raw, index, ctx);
    return r.ok ? ok({ kind: 'track', row: r.value }) : r;
  }
  const reason =
    type === undefined
      ? `is required (${SUPPORTED})`
      : `'${String(type).slice(0, 40)}' is not supported (${SUPPORTED})`;
  return err([{ index, field: 'type', reason }]);
};
