import type { CsvRow } from '../csv/csv-parser.ts';
import { featureMatrix } from '../models/churn/matrix.ts';
import { err, ok, type Result } from '../result.ts';
import type { UpliftRows } from './learners.ts';

/**
 * A randomised test's CSV rows as learner input (features.md B9): which rows are treated or
 * control, a binary outcome, and features, numeric ones as they are and text ones one-hot
 * encoded. Pure: the caller reads the file and pushes its records.
 */
export interface UpliftColumns {
  readonly treatmentColumn: string;
  readonly treatmentValue: string;
  readonly controlValue: string;
  readonly outcomeColumn: string;
  readonly features: readonly string[];
}

/** A problem with the input: where (a 1-based line of the file and a column, when known) and why. */
export interface TableError {
  readonly line?: number;
  readonly field?: string;
  readonly reason: string;
}

export const describeTableError = (e: TableError): string =>
  [
    e.line !== undefined ? `line ${e.line}` : undefined,
    e.field !== undefined ? `field ${e.field}` : undefined,
  ]
    .filter((s) => s !== undefined)
    .join(', ') +
  (e.line !== undefined || e.field !== undefined ? ': ' : '') +
  e.reason;

export type FeatureEncoding =
  | { readonly column: string; readonly kind: 'numeric'; readonly missing: number }
  | { readonly column: string; readonly kind: 'categorical'; readonly levels: readonly string[] };

export interface UpliftTable {
  readonly rows: UpliftRows;
  readonly counts: {
    /** Data records read (the header not counted). */
    readonly read: number;
    readonly treated: number;
    readonly control: number;
    /** Records whose treatment is neither the treatment nor the control value. */
    readonly ignored: number;
  };
  readonly encoding: readonly FeatureEncoding[];
}

/** More distinct text values than this in a feature is almost surely an id or free text, not a category. */
export const MAX_LEVELS = 100;

/** A number as CSV text: optional sign, digits, decimals, exponent; no empty text, no "0x…", no "Infinity". */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export class UpliftTableBuilder {
  private readonly treatment: number[] = [];
  private readonly outcome: number[] = [];
  private readonly values: string[][];
  private read = 0;
  private ignored = 0;

  private constructor(
    private readonly spec: UpliftColumns,
    private readonly width: number,
    private readonly at: { treatment: number; outcome: number; features: number[] },
  ) {
    this.values = spec.features.map(() => []);
  }

  /** Checks the header (line 1) against the columns asked for. */
  static open(header: readonly string[], spec: UpliftColumns): Result<UpliftTableBuilder, TableError> {
    const columns = header.map((h) => h.trim());
    const find = (name: string, what: string): Result<number, TableError> => {
      const i = columns.indexOf(name);
      return i >= 0
        ? ok(i)
        : err({
            line: 1,
            reason: `the ${what} column "${name}" is not in the header (columns: ${columns.join(', ')})`,
          });
    };
    if (spec.treatmentValue === spec.controlValue)
      return err({ reason: `the treatment and control values are both "${spec.treatmentValue}"` });
    if (spec.features.length === 0) return err({ reason: 'no feature columns given' });
    const t = find(spec.treatmentColumn, 'treatment');
    if (!t.ok) return t;
    const y = find(spec.outcomeColumn, 'outcome');
    if (!y.ok) return y;
    if (spec.treatmentColumn === spec.outcomeColumn)
      return err({ reason: `"${spec.treatmentColumn}" is both the treatment and the outcome column` });
    const features: number[] = [];
    for (const f of spec.features) {
      if (f === spec.treatmentColumn || f === spec.outcomeColumn)
        return err({
          reason: `feature "${f}" is the ${f === spec.outcomeColumn ? 'outcome' : 'treatment'} column: a model would learn the answer`,
        });
      if (spec.features.indexOf(f) !== features.length)
        return err({ reason: `feature "${f}" is given twice` });
      const i = find(f, 'feature');
      if (!i.ok) return i;
      features.push(i.value);
    }
    return ok(
      new UpliftTableBuilder(spec, columns.length, { treatment: t.value, outcome: y.value, features }),
    );
  }

  /** Takes one data record; the first bad record ends the input (a model fitted around it would mislead). */
  push(row: CsvRow): TableError | undefined {
    if (row.error !== undefined) return { line: row.line, reason: row.error };
    if (row.fields.length !== this.width)
      return { line: row.line, reason: `${row.fields.length} fields, the header has ${this.width}` };
    this.read++;
    const t = (row.fields[this.at.treatment] as string).trim();
    const arm = t === this.spec.treatmentValue ? 1 : t === this.spec.controlValue ? 0 : -1;
    if (arm < 0) {
      this.ignored++;
      return undefined;
    }
    const yText = (row.fields[this.at.outcome] as string).trim();
    if (!NUMBER.test(yText))
      return {
        line: row.line,
        field: this.spec.outcomeColumn,
        reason: `${JSON.stringify(yText)} is not a number`,
      };
    const y = Number(yText);
    if (y !== 0 && y !== 1)
      return {
        line: row.line,
        field: this.spec.outcomeColumn,
        reason: `${yText} is not 0 or 1 (the outcome must be whether it happened)`,
      };
    this.treatment.push(arm);
    this.outcome.push(y);
    this.at.features.forEach((c, j) => (this.values[j] as string[]).push((row.fields[c] as string).trim()));
    return undefined;
  }

  /**
   * The encoded rows. A feature is numeric when every non-empty value is a number (empty is
   * missing, NaN, which the learners handle); otherwise each distinct value, empty included,
   * becomes a 0/1 column `name=value`, levels in sorted order so the encoding does not depend on
   * row order.
   */
  finish(): Result<UpliftTable, TableError> {
    const n = this.treatment.length;
    const encoding: FeatureEncoding[] = [];
    const names: string[] = [];
    const columns: ((i: number) => number)[] = [];
    for (let j = 0; j < this.spec.features.length; j++) {
      const column = this.spec.features[j] as string;
      const vals = this.values[j] as string[];
      const numeric = vals.every((v) => v === '' || NUMBER.test(v));
      if (numeric) {
        const parsed = Float64Array.from(vals, (v) => (v === '' ? Number.NaN : Number(v)));
        let missing = 0;
        for (const v of parsed) if (Number.isNaN(v)) missing++;
        encoding.push({ column, kind: 'numeric', missing });
        names.push(column);
        columns.push((i) => parsed[i] as number);
        continue;
      }
      const levels = [...new Set(vals)].sort();
      if (levels.length > MAX_LEVELS)
        return err({
          field: column,
          reason: `${levels.length} distinct text values (at most ${MAX_LEVELS}): an id or free text, not a category`,
        });
      encoding.push({ column, kind: 'categorical', levels });
      const code = new Map(levels.map((l, k) => [l, k]));
      const idx = Uint16Array.from(vals, (v) => code.get(v) as number);
      levels.forEach((l, k) => {
        names.push(`${column}=${l}`);
        columns.push((i) => (idx[i] === k ? 1 : 0));
      });
    }
    const d = names.length;
    const values = new Float64Array(n * d);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < d; c++) values[i * d + c] = (columns[c] as (i: number) => number)(i);
    const treatment = Uint8Array.from(this.treatment);
    let treated = 0;
    for (const t of treatment) treated += t;
    return ok({
      rows: {
        x: featureMatrix(n, d, values),
        treatment,
        outcome: Uint8Array.from(this.outcome),
        featureNames: names,
      },
      counts: { read: this.read, treated, control: n - treated, ignored: this.ignored },
      encoding,
    });
  }
}
