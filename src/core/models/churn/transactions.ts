import type { FieldError } from '../../events/field-error.ts';
import { MAX_ID_LENGTH } from '../../events/segment-schema.ts';
import { parseTimestamp } from '../../events/timestamp.ts';
import { err, ok, type Result } from '../../result.ts';

/**
 * The transactions file of `rekindle churn evaluate`: a CSV with a header naming `user_id`,
 * `timestamp` (ISO-8601 date or date-time; no zone = UTC) and `amount` (a finite number), in
 * any order; other columns are ignored.
 */
export interface Transaction {
  userId: string;
  ts: number;
  amount: number;
}

export const TRANSACTION_COLUMNS = ['user_id', 'timestamp', 'amount'] as const;

export interface TransactionLayout {
  userId: number;
  timestamp: number;
  amount: number;
  columns: number;
}

export const transactionLayout = (header: readonly string[]): Result<TransactionLayout, string> => {
  const names = header.map((h) => h.trim().toLowerCase());
  const index: Record<string, number> = {};
  for (let i = 0; i < names.length; i++) {
    const n = names[i] as string;
    if ((TRANSACTION_COLUMNS as readonly string[]).includes(n)) {
      if (index[n] !== undefined) return err(`column '${n}' appears twice in the header`);
      index[n] = i;
    }
  }
  const missing = TRANSACTION_COLUMNS.filter((c) => index[c] === undefined);
  if (missing.length > 0) {
    return err(
      `the header lacks ${missing.map((m) => `'${m}'`).join(', ')} (it must name user_id, timestamp and amount)`,
    );
  }
  return ok({
    userId: index['user_id'] as number,
    timestamp: index['timestamp'] as number,
    amount: index['amount'] as number,
    columns: names.length,
  });
};

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The instant of an ISO-8601 date or date-time, or why it is not one (calendar dates are checked). */
export const parseInstant = (text: string): Result<number, string> => {
  const m = DATE_TIME.exec(text);
  if (!m)
    return err(`'${text}' is not an ISO-8601 date or date-time (e.g. 1998-03-01 or 1998-03-01T12:00:00Z)`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) {
    return err(`'${text}' is not a calendar date`);
  }
  const ms = parseTimestamp(text);
  return Number.isNaN(ms) ? err(`'${text}' is not a valid time`) : ok(ms);
};

/** One record (1-based `line` for the error) to a transaction, or the first problem found in it. */
export const parseTransaction = (
  fields: readonly string[],
  layout: TransactionLayout,
  line: number,
): Result<Transaction, FieldError> => {
  const fail = (field: string, reason: string) => err({ index: line, field, reason });
  if (fields.length !== layout.columns) {
    return fail('(record)', `has ${fields.length} fields; the header has ${layout.columns}`);
  }
  const userId = (fields[layout.userId] as string).trim();
  if (userId === '') return fail('user_id', 'is empty');
  if (userId.length > MAX_ID_LENGTH) return fail('user_id', `is longer than ${MAX_ID_LENGTH} characters`);
  const tsText = (fields[layout.timestamp] as string).trim();
  if (tsText === '') return fail('timestamp', 'is empty');
  const ts = parseInstant(tsText);
  if (!ts.ok) return fail('timestamp', ts.error);
  const amountText = (fields[layout.amount] as string).trim();
  if (amountText === '') return fail('amount', 'is empty; a number is required');
  const amount = NUMBER.test(amountText) ? Number(amountText) : NaN;
  if (!Number.isFinite(amount)) return fail('amount', `'${amountText}' is not a finite number`);
  return ok({ userId, ts: ts.value, amount });
};
