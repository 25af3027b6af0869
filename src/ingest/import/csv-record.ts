import { err, ok, type Result } from '../../core/result.ts';
import type { FieldError } from '../../core/events/field-error.ts';
import { profileColumnForTrait } from '../../core/profile/columns.ts';

/**
 * The tabular import format (CSV, and Parquet read through DuckDB): one Segment message per row.
 * Every column is optional; what a message needs is checked by `normaliseMessage`, exactly as
 * over HTTP. Columns not listed here become properties (track) or traits (identify).
 */
export const IMPORT_COLUMNS = [
  'type',
  'message_id',
  'user_id',
  'anonymous_id',
  'event',
  'timestamp',
  'amount',
  'currency',
  'product_id',
  'category',
  'order_id',
  'platform',
  'properties',
  'traits',
] as const;
type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** Columns that only make sense on a track row: a value on an identify row is an error, not a drop. */
const TRACK_ONLY: readonly ImportColumn[] = [
  'event',
  'amount',
  'currency',
  'product_id',
  'category',
  'order_id',
  'platform',
  'properties',
];
/** Typed track columns copied into `properties` under the same name. */
const TEXT_PROPERTIES = ['currency', 'product_id', 'category', 'order_id', 'platform'] as const;

interface Extra {
  index: number;
  name: string;
  /** How a value is typed: known profile columns keep their kind, anything else is auto-typed. */
  traitKind: 'auto' | 'string' | 'number' | 'boolean';
}

/** Where each column of a header is, computed once per file. */
export interface TableLayout {
  header: readonly string[];
  /** Column index of each known column, -1 when the file has none. */
  at: Readonly<Record<ImportColumn, number>>;
  extras: readonly Extra[];
  /** Column index by name, for naming fields in errors. */
  byName: ReadonlyMap<string, number>;
}

const KNOWN = new Set<string>(IMPORT_COLUMNS);

/** Validates a header row: names must be present and distinct. */
export const tableLayout = (header: readonly string[]): Result<TableLayout, string> => {
  const byName = new Map<string, number>();
  const at = Object.fromEntries(IMPORT_COLUMNS.map((c) => [c, -1])) as Record<ImportColumn, number>;
  const extras: Extra[] = [];
  for (let index = 0; index < header.length; index++) {
    const name = (header[index] ?? '').trim();
    if (name === '') return err(`header column ${index + 1} has no name`);
    if (name === '__proto__') return err(`header column ${index + 1}: '__proto__' is not a usable name`);
    if (byName.has(name)) return err(`header names column '${name.slice(0, 64)}' twice`);
    byName.set(name, index);
    if (KNOWN.has(name)) at[name as ImportColumn] = index;
    else {
      const kind = profileColumnForTrait(name)?.kind;
      const traitKind =
        kind === undefined || kind === 'timestamp'
          ? 'auto'
          : kind === 'number' || kind === 'boolean'
            ? kind
            : 'string';
      extras.push({ index, name, traitKind });
    }
  }
  return ok({ header: header.map((h) => h.trim()), at, extras, byName });
};

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Auto-typing of a cell: a decimal number becomes a number (unless it is an integer too large to
 * be exact, or written with leading zeros — ids, phone numbers and zip codes stay text),
 * `true` / `false` become booleans, anything else stays text.
 */
export const autoType = (text: string): string | number | boolean => {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (NUMBER.test(text)) {
    const n = Number(text);
    const integerText = !text.includes('.') && !text.includes('e') && !text.includes('E');
    if (Number.isFinite(n) && (!integerText || Number.isSafeInteger(n))) return n;
  }
  return text;
};

const asNumber = (text: string): string | number => {
  if (!NUMBER.test(text)) return text;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
};

const asBoolean = (text: string): string | boolean =>
  text === 'true' ? true : text === 'false' ? false : text;

const typed = (kind: Extra['traitKind'], text: string): unknown =>
  kind === 'auto'
    ? autoType(text)
    : kind === 'string'
      ? text
      : kind === 'number'
        ? asNumber(text)
        : asBoolean(text);

const jsonObject = (
  text: string,
  field: 'properties' | 'traits',
  index: number,
  errors: FieldError[],
): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    errors.push({ index, field, reason: jsonSyntaxReason(e) });
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push({ index, field, reason: 'must be a JSON object' });
    return {};
  }
  return value as Record<string, unknown>;
};

/** Why a text is not JSON, without echoing the text (it may hold personal data). */
export const jsonSyntaxReason = (e: unknown): string => {
  const at = e instanceof Error ? /position (\d+)/.exec(e.message) : null;
  return at ? `is not valid JSON (error at character ${Number(at[1]) + 1})` : 'is not valid JSON';
};

const cellAt = (cells: readonly string[], i: number): string => (i < 0 ? '' : (cells[i] ?? ''));

/**
 * Turns one row into a Segment message. `type` defaults to track when the row has an event.
 * Problems the message could not express (a properties cell that is not a JSON object, a
 * track-only column filled on an identify row, a wrong number of cells) are errors here.
 */
export const rowToMessage = (
  layout: TableLayout,
  cells: readonly string[],
  index: number,
): Result<Record<string, unknown>, FieldError[]> => {
  if (cells.length !== layout.header.length) {
    return err([
      {
        index,
        field: '(record)',
        reason: `has ${cells.length} fields, the header has ${layout.header.length}`,
      },
    ]);
  }
  const at = layout.at;
  const errors: FieldError[] = [];
  const event = cellAt(cells, at.event);
  let type: string = cellAt(cells, at.type);
  if (type === '' && event !== '') type = 'track';
  const message: Record<string, unknown> = {};
  if (type !== '') message['type'] = type;
  const messageId = cellAt(cells, at.message_id);
  if (messageId !== '') message['messageId'] = messageId;
  const userId = cellAt(cells, at.user_id);
  if (userId !== '') message['userId'] = userId;
  const anonymousId = cellAt(cells, at.anonymous_id);
  if (anonymousId !== '') message['anonymousId'] = anonymousId;
  const timestamp = cellAt(cells, at.timestamp);
  if (timestamp !== '') message['timestamp'] = timestamp;

  if (type === 'identify') {
    for (const c of TRACK_ONLY) {
      if (cellAt(cells, at[c]) !== '') errors.push({ index, field: c, reason: 'applies to track rows only' });
    }
    const text = cellAt(cells, at.traits);
    const traits = text === '' ? {} : jsonObject(text, 'traits', index, errors);
    for (const x of layout.extras) {
      const v = cells[x.index] ?? '';
      if (v !== '') traits[x.name] = typed(x.traitKind, v);
    }
    message['traits'] = traits;
  } else {
    if (type === 'track' && cellAt(cells, at.traits) !== '') {
      errors.push({ index, field: 'traits', reason: 'applies to identify rows only' });
    }
    if (event !== '') message['event'] = event;
    const text = cellAt(cells, at.properties);
    const props = text === '' ? {} : jsonObject(text, 'properties', index, errors);
    // Typed columns win over the same key inside `properties` (an equal value keeps its place).
    const amount = cellAt(cells, at.amount);
    if (amount !== '') props['amount'] = asNumber(amount);
    for (const c of TEXT_PROPERTIES) {
      const v = cellAt(cells, at[c]);
      if (v !== '') props[c] = v;
    }
    for (const x of layout.extras) {
      const v = cells[x.index] ?? '';
      if (v !== '') props[x.name] = autoType(v);
    }
    message['properties'] = props;
  }
  return errors.length > 0 ? err(errors) : ok(message);
};

const SEGMENT_TO_COLUMN: Readonly<Record<string, string>> = {
  messageId: 'message_id',
  userId: 'user_id',
  anonymousId: 'anonymous_id',
};

/**
 * Names a field of a normalisation error as the file's column: `userId` → `user_id`, and
 * `properties.amount` → `amount` when the row's `amount` cell supplied it.
 */
export const columnForField = (layout: TableLayout, cells: readonly string[], field: string): string => {
  const top = SEGMENT_TO_COLUMN[field];
  if (top !== undefined) return top;
  const dot = field.indexOf('.');
  if (dot === -1) return field;
  const head = field.slice(0, dot);
  if (head !== 'properties' && head !== 'traits') return field;
  const rest = field.slice(dot + 1);
  const key = rest.split('.')[0] ?? rest;
  const i = layout.byName.get(key);
  if (i === undefined || key === 'properties' || key === 'traits') return field;
  return (cells[i] ?? '') === '' ? field : rest;
};
