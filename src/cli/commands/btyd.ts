import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { FieldError } from '../../core/events/field-error.ts';
import { csvLine } from '../../core/export/csv.ts';
import { analyseCohort, type CohortAnalysis, type CustomerScore } from '../../core/models/btyd/analysis.ts';
import { ratePerUnit, type LtvOptions } from '../../core/models/btyd/ltv.ts';
import { summariseTransactions, type TimeUnit, type Transaction } from '../../core/models/btyd/summary.ts';
import {
  formatDay,
  parseCdnowLine,
  parseIsoDate,
  TRANSACTION_FORMATS,
  type TransactionFormat,
} from '../../core/models/btyd/transactions.ts';
import {
  describeOrders,
  orderSummary,
  type OrderBook,
  type OrderColumnOptions,
} from '../../core/models/orders.ts';
import { err, ok, type Result } from '../../core/result.ts';
import { readOrderBook, TransactionsError } from '../../models/churn/transactions.ts';

/** Options as commander hands them over: all text, checked here so every mistake exits 2. */
export interface BtydCliOptions {
  input?: string;
  format?: string;
  calibrationEnd?: string;
  holdoutEnd?: string;
  timeUnit?: string;
  horizon?: string;
  discountRate?: string;
  margin?: string;
  scores?: string;
  top?: string;
  json?: boolean;
  orderColumn?: string;
  quantityColumn?: string;
  priceColumn?: string;
}

export interface BtydCliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** LTV steps per horizon: four weeks each (13 a year), so day and week fits discount alike. */
const DAYS_PER_LTV_STEP = 28;

interface Settings {
  input: string;
  format: TransactionFormat;
  calibrationEnd?: number;
  holdoutEnd?: number;
  timeUnit: TimeUnit;
  horizon?: number;
  annualDiscountRate: number;
  margin: number;
  scores?: string;
  top: number;
  json: boolean;
  columns: OrderColumnOptions;
}

const number = (
  name: string,
  text: string | undefined,
  fallback: number,
  valid: (v: number) => boolean,
  rule: string,
): Result<number, string> => {
  if (text === undefined) return ok(fallback);
  const v = Number(text);
  return text.trim() !== '' && Number.isFinite(v) && valid(v)
    ? ok(v)
    : err(`--${name}: ${JSON.stringify(text)} is not ${rule}`);
};

const date = (name: string, text: string | undefined): Result<number | undefined, string> => {
  if (text === undefined) return ok(undefined);
  const day = parseIsoDate(text);
  return day === undefined ? err(`--${name}: ${JSON.stringify(text)} is not a date YYYY-MM-DD`) : ok(day);
};

const settings = (o: BtydCliOptions): Result<Settings, string> => {
  if (!o.input) return err('--input <file> is required');
  const format = o.format ?? 'csv';
  if (!(TRANSACTION_FORMATS as readonly string[]).includes(format))
    return err(`--format: ${JSON.stringify(format)} is not one of ${TRANSACTION_FORMATS.join(', ')}`);
  const timeUnit = o.timeUnit ?? 'week';
  if (timeUnit !== 'week' && timeUnit !== 'day')
    return err(`--time-unit: ${JSON.stringify(timeUnit)} is not one of week, day`);
  const calibrationEnd = date('calibration-end', o.calibrationEnd);
  if (!calibrationEnd.ok) return calibrationEnd;
  const holdoutEnd = date('holdout-end', o.holdoutEnd);
  if (!holdoutEnd.ok) return holdoutEnd;
  if (
    calibrationEnd.value !== undefined &&
    holdoutEnd.value !== undefined &&
    holdoutEnd.value <= calibrationEnd.value
  )
    return err('--holdout-end must be after --calibration-end');
  const horizon = number('horizon', o.horizon, NaN, (v) => v > 0, 'a positive number of time units');
  if (!horizon.ok) return horizon;
  const rate = number('discount-rate', o.discountRate, 0.1, (v) => v >= 0, 'an annual rate ≥ 0 (0.1 = 10 %)');
  if (!rate.ok) return rate;
  const margin = number('margin', o.margin, 1, (v) => v > 0 && v <= 1, 'a share in (0, 1]');
  if (!margin.ok) return margin;
  const top = number('top', o.top, 10, (v) => Number.isInteger(v) && v >= 0, 'a whole number ≥ 0');
  if (!top.ok) return top;
  return ok({
    input: o.input,
    format: format as TransactionFormat,
    ...(calibrationEnd.value !== undefined ? { calibrationEnd: calibrationEnd.value } : {}),
    ...(holdoutEnd.value !== undefined ? { holdoutEnd: holdoutEnd.value } : {}),
    timeUnit,
    ...(Number.isNaN(horizon.value) ? {} : { horizon: horizon.value }),
    annualDiscountRate: rate.value,
    margin: margin.value,
    ...(o.scores ? { scores: o.scores } : {}),
    top: top.value,
    json: o.json === true,
    columns: {
      ...(o.orderColumn !== undefined ? { orderColumn: o.orderColumn } : {}),
      ...(o.quantityColumn !== undefined ? { quantityColumn: o.quantityColumn } : {}),
      ...(o.priceColumn !== undefined ? { priceColumn: o.priceColumn } : {}),
    },
  });
};

const describeError = (file: string, e: FieldError): string =>
  `${file}: line ${e.index}, field ${e.field}: ${e.reason}`;

/** Reads every purchase; the first bad record stops the run (a model fitted around it would mislead). */
const readCdnow = async (
  file: string,
  format: 'cdnow-sample' | 'cdnow-master',
): Promise<Result<Transaction[], string>> => {
  const out: Transaction[] = [];
  const stream = createReadStream(file, { encoding: 'utf8' });
  {
    let line = 0;
    for await (const raw of createInterface({ input: stream, crlfDelay: Infinity })) {
      line++;
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      const r = parseCdnowLine(format, text, line);
      if (!r.ok) {
        stream.destroy();
        return err(describeError(file, r.error));
      }
      if (r.value) out.push(r.value);
    }
    return ok(out);
  }
};

/**
 * A transactions CSV as purchases: rows grouped into orders and refunds booked exactly as
 * `churn evaluate` does (src/core/models/orders.ts), each order one purchase on its UTC day.
 */
export const readCsvOrders = async (
  file: string,
  columns: OrderColumnOptions = {},
): Promise<Result<{ transactions: Transaction[]; book: OrderBook }, string>> => {
  try {
    const book = await readOrderBook(file, columns);
    const transactions = book.orders.map((o) => ({
      customerId: o.userId,
      day: Math.floor(o.ts / 86_400_000),
      amount: o.amount,
    }));
    return ok({ transactions, book });
  } catch (e) {
    if (!(e instanceof TransactionsError)) throw e;
    const first = e.errors[0];
    return err(first ? describeError(file, first) : e.message);
  }
};

const fixed = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
const count = (n: number): string => n.toLocaleString('en-US');

const scoreColumns = [
  'id',
  'frequency',
  'recency',
  'T',
  'monetary',
  'p_alive_bgnbd',
  'p_alive_pareto_nbd',
  'expected_purchases_bgnbd',
  'expected_purchases_pareto_nbd',
  'expected_spend',
  'ltv',
];
const scoreValues = (s: CustomerScore): unknown[] => [
  s.id,
  s.x,
  s.tx,
  s.T,
  s.monetary,
  s.pAliveBgNbd,
  s.pAliveParetoNbd,
  s.expectedPurchasesBgNbd,
  s.expectedPurchasesParetoNbd,
  s.expectedSpend,
  s.ltv,
];

/** What one run found: printed as the summary or as JSON. */
export interface BtydReport {
  input: string;
  format: TransactionFormat;
  timeUnit: TimeUnit;
  calibrationEnd: string;
  holdoutEnd?: string;
  analysis: CohortAnalysis;
  annualDiscountRate: number;
  top: CustomerScore[];
  ltvTotal: number;
  /** How a CSV's rows became orders (absent for the CDNOW layouts, one row per purchase). */
  orders?: OrderBook;
  ms: { read: number; fit: number };
}

const toJson = (r: BtydReport): unknown => {
  const { scores: _scores, ltv, ...rest } = r.analysis;
  return {
    input: r.input,
    format: r.format,
    timeUnit: r.timeUnit,
    calibrationEnd: r.calibrationEnd,
    ...(r.holdoutEnd ? { holdoutEnd: r.holdoutEnd } : {}),
    ...(r.orders ? { orders: orderSummary(r.orders) } : {}),
    ...rest,
    ltv: {
      ...ltv,
      annualDiscountRate: r.annualDiscountRate,
      total: r.ltvTotal,
      mean: r.ltvTotal / r.analysis.scores.length,
      top: r.top,
    },
    ms: r.ms,
  };
};

/** The readable summary: cohort, the three fits, the holdout check, the customers most worth keeping. */
export const formatBtydSummary = (r: BtydReport): string => {
  const a = r.analysis;
  const u = r.timeUnit;
  const { bgnbd: bg, paretoNbd: pn, gammaGamma: gg, cohort: c } = a;
  const flag = (converged: boolean): string => (converged ? '' : '  (did NOT converge)');
  const lines = [
    `BTYD models for ${r.input} (${r.format}), calibration period up to ${r.calibrationEnd}, time unit: ${u}`,
    `  customers     ${count(c.customers)}, of whom ${count(c.repeatCustomers)} bought again (${count(c.repeatPurchases)} repeat purchases)`,
    ...(r.orders ? [`  orders        ${describeOrders(r.orders)}`] : []),
    `  repeat spend  mean ${fixed(c.repeatSpend.mean, 2)}, std ${fixed(c.repeatSpend.std, 2)}, min ${fixed(c.repeatSpend.min, 2)}, median ${fixed(c.repeatSpend.median, 2)}, max ${fixed(c.repeatSpend.max, 2)}`,
    '',
    `BG/NBD       r ${fixed(bg.r, 4)}  alpha ${fixed(bg.alpha, 4)}  a ${fixed(bg.a, 4)}  b ${fixed(bg.b, 4)}  log-likelihood ${fixed(bg.logLikelihood, 3)}${flag(bg.converged)}`,
    `Pareto/NBD   r ${fixed(pn.r, 4)}  alpha ${fixed(pn.alpha, 4)}  s ${fixed(pn.s, 4)}  beta ${fixed(pn.beta, 4)}  log-likelihood ${fixed(pn.logLikelihood, 3)}${flag(pn.converged)}`,
    `Gamma-Gamma  p ${fixed(gg.p, 4)}  q ${fixed(gg.q, 4)}  v ${fixed(gg.v, 4)}  (${count(gg.customers)} repeat customers with spend > 0; mean spend per purchase ${fixed(gg.populationMeanSpend, 2)})${flag(gg.converged)}`,
    `A new customer is expected to buy ${fixed(bg.expectedPurchasesNewCustomer, 3)} times (BG/NBD; Pareto/NBD ${fixed(pn.expectedPurchasesNewCustomer, 3)}) in their first ${a.ltv.horizon} ${u}s.`,
  ];
  if (a.holdout) {
    const h = a.holdout;
    lines.push(
      '',
      `Holdout (${fixed(h.length, 2)} ${u}s to ${r.holdoutEnd}): ${count(h.actualPurchases)} purchases by ${count(h.customersBuying)} customers; predicted ${fixed(h.predictedBgNbd, 1)} (BG/NBD), ${fixed(h.predictedParetoNbd, 1)} (Pareto/NBD)`,
    );
  }
  lines.push(
    '',
    `LTV over the next ${a.ltv.horizon} ${u}s (BG/NBD × Gamma-Gamma, ${a.ltv.steps} steps, ${fixed(r.annualDiscountRate * 100, 1)} % a year, margin ${fixed(a.ltv.margin * 100, 0)} %): total ${fixed(r.ltvTotal, 2)}, mean ${fixed(r.ltvTotal / a.scores.length, 2)}`,
  );
  if (r.top.length > 0) {
    lines.push(`Top ${r.top.length} customers by LTV:`);
    lines.push(
      `  ${'id'.padEnd(12)} ${'x'.padStart(4)} ${'t_x'.padStart(8)} ${'T'.padStart(8)}  P(alive)  E[buys]  E[spend]       LTV`,
    );
    for (const s of r.top)
      lines.push(
        `  ${s.id.slice(0, 12).padEnd(12)} ${String(s.x).padStart(4)} ${fixed(s.tx, 2).padStart(8)} ${fixed(s.T, 2).padStart(8)}  ${fixed(s.pAliveBgNbd, 4).padStart(8)} ${fixed(s.expectedPurchasesBgNbd, 2).padStart(8)} ${fixed(s.expectedSpend, 2).padStart(9)} ${fixed(s.ltv, 2).padStart(9)}`,
      );
  }
  lines.push(
    '',
    `Read in ${fixed(r.ms.read / 1000, 2)} s, fitted and scored in ${fixed(r.ms.fit / 1000, 2)} s.`,
  );
  return `${lines.join('\n')}\n`;
};

/**
 * `rekindle btyd`: returns the exit code — 0 on success, 2 when the input or an option is
 * unusable (the message names the line, field and reason) or the models cannot be fitted.
 */
export const runBtyd = async (
  opts: BtydCliOptions,
  io: BtydCliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> => {
  const fail = (message: string): number => {
    io.stderr.write(`rekindle btyd: ${message}\n`);
    return 2;
  };
  const s = settings(opts);
  if (!s.ok) return fail(s.error);
  const o = s.value;
  try {
    if (!(await stat(o.input)).isFile()) return fail(`cannot read ${o.input}: not a regular file`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(`cannot read ${o.input}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`);
  }
  const started = performance.now();
  let book: OrderBook | undefined;
  let transactions: Transaction[];
  if (o.format === 'csv') {
    const read = await readCsvOrders(o.input, o.columns);
    if (!read.ok) return fail(read.error);
    ({ transactions, book } = read.value);
  } else {
    const read = await readCdnow(o.input, o.format);
    if (!read.ok) return fail(read.error);
    transactions = read.value;
  }
  if (transactions.length === 0) return fail(`${o.input}: no purchases`);
  const readMs = performance.now() - started;

  let lastDay = -Infinity;
  for (const t of transactions) if (t.day > lastDay) lastDay = t.day;
  const calibrationEnd = o.calibrationEnd ?? lastDay;
  const holdoutEnd = o.holdoutEnd ?? (lastDay > calibrationEnd ? lastDay : undefined);
  if (holdoutEnd !== undefined && holdoutEnd <= calibrationEnd)
    return fail(`--holdout-end must be after the calibration end (${formatDay(calibrationEnd)})`);
  const customers = summariseTransactions(transactions, {
    calibrationEnd,
    ...(holdoutEnd !== undefined ? { holdoutEnd } : {}),
    timeUnit: o.timeUnit,
  });
  const perUnit = o.timeUnit === 'week' ? 7 : 1;
  const horizon = o.horizon ?? (o.timeUnit === 'week' ? 52 : 364);
  const ltv: LtvOptions = {
    horizon,
    steps: Math.max(1, Math.round((horizon * perUnit) / DAYS_PER_LTV_STEP)),
    discountRate: ratePerUnit(o.annualDiscountRate, o.timeUnit),
    margin: o.margin,
  };
  const fitStarted = performance.now();
  const analysis = analyseCohort(customers, {
    ltv,
    ...(holdoutEnd !== undefined ? { holdoutLength: (holdoutEnd - calibrationEnd) / perUnit } : {}),
  });
  if (!analysis.ok) return fail(`cannot fit the models: ${analysis.error.reason}`);
  const fitMs = performance.now() - fitStarted;

  const scores = analysis.value.scores;
  const report: BtydReport = {
    input: o.input,
    format: o.format,
    timeUnit: o.timeUnit,
    calibrationEnd: formatDay(calibrationEnd),
    ...(holdoutEnd !== undefined ? { holdoutEnd: formatDay(holdoutEnd) } : {}),
    analysis: analysis.value,
    annualDiscountRate: o.annualDiscountRate,
    top: [...scores].sort((p, q) => q.ltv - p.ltv).slice(0, o.top),
    ltvTotal: scores.reduce((sum, c) => sum + c.ltv, 0),
    ...(book ? { orders: book } : {}),
    ms: { read: Math.round(readMs), fit: Math.round(fitMs) },
  };
  if (o.scores)
    await writeFile(
      o.scores,
      [csvLine(scoreColumns), ...scores.map((c) => csvLine(scoreValues(c)))].join(''),
    );
  io.stdout.write(o.json ? `${JSON.stringify(toJson(report))}\n` : formatBtydSummary(report));
  return 0;
};

export const registerBtydCommand = (program: Command): void => {
  program
    .command('btyd')
    .description(
      'fit BG/NBD, Pareto/NBD and Gamma-Gamma to a purchase log and score every customer ' +
        '(probability alive, expected purchases and spend, LTV); see docs/btyd.md. Exits 2 on unusable input',
    )
    .option('--input <file>', 'the purchase log')
    .option(
      '--format <format>',
      `${TRANSACTION_FORMATS.join(' | ')} (default csv: header user_id,timestamp,amount; refunds reduce spend)`,
    )
    .option(
      '--calibration-end <date>',
      'last day (YYYY-MM-DD) the models learn from (default: the last purchase)',
    )
    .option(
      '--holdout-end <date>',
      'last day of the holdout period checked against the predictions (default: the last purchase)',
    )
    .option('--time-unit <unit>', 'week | day (default week)')
    .option(
      '--horizon <n>',
      'LTV and expected-purchase horizon in time units (default a year: 52 weeks or 364 days)',
    )
    .option('--discount-rate <rate>', 'annual discount rate for LTV (default 0.1)')
    .option('--margin <share>', 'profit margin for LTV, in (0, 1] (default 1: revenue)')
    .option(
      '--order-column <name>',
      'csv: column of the order id; rows with one id are one order (default: order_id, InvoiceNo, Invoice… when present, else one per user and day)',
    )
    .option('--quantity-column <name>', 'csv: with --price-column, a row’s amount is quantity × price')
    .option('--price-column <name>', 'csv: unit price column (see --quantity-column)')
    .option('--top <n>', 'customers listed by LTV (default 10)')
    .option('--scores <file>', 'write every customer’s scores to this CSV file')
    .option('--json', 'print one JSON object on stdout')
    .action(async (opts: BtydCliOptions) => {
      process.exitCode = await runBtyd(opts);
    });
};
