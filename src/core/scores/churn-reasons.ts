import type { FieldError } from '../events/field-error.ts';
import { parseTimestamp } from '../events/timestamp.ts';
import { err, ok, type Result } from '../result.ts';

/**
 * Churn reasons (features.md B8): answers of call-back surveys, one per call. Pure checks of one answer
 * (from the API or a CSV line) against the workspace's reason codes; storing is in
 * `src/storage/warehouse/churn-reasons.ts`. The latest answer of a user becomes the trait
 * `churn_reason` (and `churn_reason_at`), so audiences use it like any attribute.
 */

export const REASON_TRAIT = 'churn_reason';
export const REASON_TIME_TRAIT = 'churn_reason_at';
export const MAX_NOTE_LENGTH = 2000;
export const MAX_USER_ID_LENGTH = 256;
/** A survey answered a little "in the future" is a clock skew; more than this is a mistake. */
const FUTURE_SLACK_MS = 5 * 60_000;

/** One parsed CSV record (the shape `CsvParser` produces). */
export interface CsvRow {
  line: number;
  fields: string[];
  error?: string;
}

export interface ReasonInput {
  userId: unknown;
  reason: unknown;
  note?: unknown;
  answeredAt?: unknown;
}

export interface ReasonRecord {
  userId: string;
  reason: string;
  note: string | null;
  answeredAt: number;
}

/**
 * Checks one answer; every problem comes back as `{field, reason}` (the caller adds the line or
 * index). `answeredAt` defaults to `now`; an ISO-8601 text without zone is UTC.
 */
export const checkReason = (
  input: ReasonInput,
  codes: readonly string[],
  now: number,
): Result<ReasonRecord, { field: string; reason: string }[]> => {
  const problems: { field: string; reason: string }[] = [];
  const userId = typeof input.userId === 'string' ? input.userId.trim() : '';
  if (userId === '') problems.push({ field: 'user_id', reason: 'is required' });
  else if (userId.length > MAX_USER_ID_LENGTH)
    problems.push({ field: 'user_id', reason: `is longer than ${MAX_USER_ID_LENGTH} characters` });
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason === '') problems.push({ field: 'reason', reason: 'is required' });
  else if (!codes.includes(reason))
    problems.push({
      field: 'reason',
      reason: `unknown code '${reason.slice(0, 60)}' (expected one of ${codes.join(', ')})`,
    });
  let note: string | null = null;
  if (input.note !== undefined && input.note !== null) {
    if (typeof input.note !== 'string') problems.push({ field: 'note', reason: 'expected text' });
    else if (input.note.length > MAX_NOTE_LENGTH)
      problems.push({ field: 'note', reason: `is longer than ${MAX_NOTE_LENGTH} characters` });
    else note = input.note.trim() === '' ? null : input.note;
  }
  let answeredAt = now;
  if (input.answeredAt !== undefined && input.answeredAt !== null && input.answeredAt !== '') {
    const t = typeof input.answeredAt === 'string' ? parseTimestamp(input.answeredAt.trim()) : NaN;
    if (Number.isNaN(t))
      problems.push({ field: 'answered_at', reason: 'expected an ISO-8601 date or date-time' });
    else if (t > now + FUTURE_SLACK_MS) problems.push({ field: 'answered_at', reason: 'is in the future' });
    else answeredAt = t;
  }
  return problems.length > 0 ? err(problems) : ok({ userId, reason, note, answeredAt });
};

/** Column names a reasons CSV may use (lower-cased), and the field each one fills. */
const COLUMNS: Readonly<Record<string, keyof ReasonInput>> = {
  user_id: 'userId',
  userid: 'userId',
  reason: 'reason',
  note: 'note',
  answered_at: 'answeredAt',
  answeredat: 'answeredAt',
};

export interface ReasonCsvHeader {
  /** For each column of the file, the field it fills. */
  fields: (keyof ReasonInput)[];
}

/** Reads the header line; a file without `user_id` and `reason`, or with an unknown column, is refused. */
export const reasonCsvHeader = (row: CsvRow): Result<ReasonCsvHeader, string> => {
  if (row.error) return err(`line ${row.line}: ${row.error}`);
  const fields: (keyof ReasonInput)[] = [];
  for (const [i, raw] of row.fields.entries()) {
    const key = raw.trim().toLowerCase();
    const f = Object.hasOwn(COLUMNS, key) ? COLUMNS[key] : undefined;
    if (f === undefined)
      return err(
        `line ${row.line}: unknown column '${raw.slice(0, 60)}' (column ${i + 1}); expected user_id, reason, note, answered_at`,
      );
    if (fields.includes(f)) return err(`line ${row.line}: column '${raw}' appears twice`);
    fields.push(f);
  }
  for (const need of ['userId', 'reason'] as const)
    if (!fields.includes(need))
      return err(`line ${row.line}: the header needs a ${need === 'userId' ? 'user_id' : 'reason'} column`);
  return ok({ fields });
};

/** One data line of a reasons CSV → a checked answer, or its errors with the line number. */
export const reasonFromCsv = (
  row: CsvRow,
  header: ReasonCsvHeader,
  codes: readonly string[],
  now: number,
): Result<ReasonRecord, FieldError[]> => {
  if (row.error) return err([{ index: row.line, field: '(line)', reason: row.error }]);
  if (row.fields.length !== header.fields.length)
    return err([
      {
        index: row.line,
        field: '(line)',
        reason: `expected ${header.fields.length} fields, found ${row.fields.length}`,
      },
    ]);
  const input: ReasonInput = { userId: undefined, reason: undefined };
  header.fields.forEach((f, i) => {
    input[f] = row.fields[i];
  });
  const r = checkReason(input, codes, now);
  return r.ok ? r : err(r.error.map((e) => ({ index: row.line, field: e.field, reason: e.reason })));
};
