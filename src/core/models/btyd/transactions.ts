/**
 * Reading purchase records from text: the two CDNOW layouts used in the BTYD literature and a
 * generic CSV. Every rejection names the line, the field and the reason.
 */
import type { FieldError } from '../../events/field-error.ts';
import { parseTimestamp } from '../../events/timestamp.ts';
import { err, ok, type Result } from '../../result.ts';
import type { Transaction } from './summary.ts';

export type TransactionFormat = 'cdnow-sample' | 'cdnow-master' | 'csv';
export const TRANSACTION_FORMATS: readonly TransactionFormat[] = ['cdnow-sample', 'cdnow-master', 'csv'];

const MS_PER_DAY = 86_400_000;

/** A calendar date `YYYY-MM-DD` as a day number (days since 1970-01-01); undefined when not a real date. */
export const parseIsoDate = (text: string): number | undefined => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m ? dayFromParts(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
};

/** The day number back as `YYYY-MM-DD`. */
export const formatDay = (day: number): string => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);

const dayFromParts = (year: number, month: number, date: number): number | undefined => {
  const ms = Date.UTC(year, month - 1, date);
  const d = new Date(ms);
  // Date.UTC rolls 1997-02-30 over to March; a real date survives the round trip.
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== date)
    return undefined;
  return ms / MS_PER_DAY;
};

const fieldError = (line: number, field: string, reason: string): FieldError => ({
  index: line,
  field,
  reason,
});

const parseAmount = (text: string, line: number, field: string): Result<number, FieldError> => {
  if (text === '') return err(fieldError(line, field, 'is missing'));
  // Number('') is 0 and Number('0x10') is 16: only plain decimals are amounts.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text))
    return err(fieldError(line, field, `is not a number: ${JSON.stringify(text)}`));
  const v = Number(text);
  if (!Number.isFinite(v)) return err(fieldError(line, field, `is not a finite number: ${text}`));
  if (v < 0) return err(fieldError(line, field, `must not be negative (got ${text}); leave refunds out`));
  return ok(v);
};

const CDNOW_FIELDS = {
  'cdnow-sample': ['master_id', 'sample_id', 'date', 'cds', 'dollars'],
  'cdnow-master': ['customer_id', 'date', 'number_of_cds', 'dollar_value'],
} as const;

/**
 * One line of a CDNOW file (whitespace separated). `cdnow-sample`: `master_id sample_id
 * yyyymmdd cds dollars`, the customer being the sample id (the ids of the published per-
 * customer figures); `cdnow-master`: `customer_id yyyymmdd cds dollars` after a header line.
 * Ids lose their leading zeros (`0001` → `1`). Blank lines and the header give `undefined`.
 */
export const parseCdnowLine = (
  format: 'cdnow-sample' | 'cdnow-master',
  text: string,
  line: number,
): Result<Transaction | undefined, FieldError> => {
  const parts = text.trim().split(/\s+/);
  if (parts.length === 1 && parts[0] === '') return ok(undefined);
  const names = CDNOW_FIELDS[format];
  if (format === 'cdnow-master' && line === 1 && parts[0] === names[0]) return ok(undefined);
  if (parts.length !== names.length)
    return err(
      fieldError(
        line,
        '(record)',
        `has ${parts.length} fields, expected ${names.length} (${names.join(' ')}) separated by spaces`,
      ),
    );
  const idField = format === 'cdnow-sample' ? 1 : 0;
  const id = parts[idField]!;
  if (!/^\d+$/.test(id))
    return err(fieldError(line, names[idField]!, `is not a number: ${JSON.stringify(id)}`));
  const dateText = parts[idField + 1]!;
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(dateText);
  const day = m ? dayFromParts(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
  if (day === undefined)
    return err(fieldError(line, 'date', `is not a date in the form yyyymmdd: ${JSON.stringify(dateText)}`));
  const cds = parts[idField + 2]!;
  if (!/^\d+$/.test(cds))
    return err(fieldError(line, names[idField + 2]!, `is not a whole number: ${JSON.stringify(cds)}`));
  const amount = parseAmount(parts[idField + 3]!, line, names[idField + 3]!);
  if (!amount.ok) return amount;
  return ok({ customerId: String(BigInt(id)), day, amount: amount.value });
};

/** A whole CDNOW file; stops at the first bad line (a summary built around a bad line would be wrong). */
export const parseCdnowText = (
  format: 'cdnow-sample' | 'cdnow-master',
  text: string,
): Result<Transaction[], FieldError> => {
  const out: Transaction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const r = parseCdnowLine(format, lines[i]!, i + 1);
    if (!r.ok) return r;
    if (r.value) out.push(r.value);
  }
  return ok(out);
};

/**
 * Where the three columns of a one-row-per-purchase CSV are. `rekindle btyd` reads its CSV
 * input through ../orders.ts instead (orders, line items, refunds, shared with `churn
 * evaluate`); this strict reader (no refunds) stays for callers that hand over purchases.
 */
export interface CsvColumns {
  readonly userId: number;
  readonly timestamp: number;
  readonly amount: number;
}

const CSV_COLUMNS = ['user_id', 'timestamp', 'amount'] as const;

/** The header of a transactions CSV: `user_id,timestamp,amount` in any order; other columns are ignored. */
export const csvColumns = (header: readonly string[], line: number): Result<CsvColumns, FieldError> => {
  const names = header.map((h) => h.trim());
  const at = (name: string): number => names.indexOf(name);
  const missing = CSV_COLUMNS.filter((c) => at(c) === -1);
  if (missing.length > 0)
    return err(
      fieldError(
        line,
        '(header)',
        `lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected a header user_id,timestamp,amount)`,
      ),
    );
  return ok({ userId: at('user_id'), timestamp: at('timestamp'), amount: at('amount') });
};

/**
 * One record of a transactions CSV. `timestamp` is an ISO-8601 date (`2024-03-01`) or
 * date-time; a date-time counts on its UTC date, and one without a zone is read as UTC (as
 * everywhere in Rekindle).
 */
export const parseCsvTransaction = (
  fields: readonly string[],
  cols: CsvColumns,
  line: number,
): Result<Transaction, FieldError> => {
  const userId = (fields[cols.userId] ?? '').trim();
  if (userId === '') return err(fieldError(line, 'user_id', 'is missing'));
  const ts = (fields[cols.timestamp] ?? '').trim();
  if (ts === '') return err(fieldError(line, 'timestamp', 'is missing'));
  let day = parseIsoDate(ts);
  if (day === undefined && !/^\d{4}-\d{2}-\d{2}$/.test(ts)) {
    const ms = parseTimestamp(ts);
    if (Number.isFinite(ms) && /^\d{4}-\d{2}-\d{2}[T ]/.test(ts)) day = Math.floor(ms / MS_PER_DAY);
  }
  if (day === undefined)
    return err(fieldError(line, 'timestamp', `is not an ISO-8601 date or date-time: ${JSON.stringify(ts)}`));
  const amount = parseAmount((fields[cols.amount] ?? '').trim(), line, 'amount');
  if (!amount.ok) return amount;
  return ok({ customerId: userId, day, amount: amount.value });
};
