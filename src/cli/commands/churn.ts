import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Runtime } from '../../runtime.ts';
import { defaultChurnDefinition } from '../../core/models/churn/churn-definition.ts';
import { serializeChurnModel } from '../../core/models/churn/model-json.ts';
import { parseInstant } from '../../core/models/churn/transactions.ts';
import { ChurnDataError, evaluateChurnModel } from '../../models/churn/evaluate.ts';
import { loadTransactions, TransactionsError } from '../../models/churn/transactions.ts';
import { describeOrders, orderSummary } from '../../core/models/orders.ts';
import { formatChurnEvaluation, type ChurnCliIo } from './churn-format.ts';
import { registerChurnModelCommands } from './churn-model.ts';

export interface ChurnEvaluateCliOptions {
  transactions?: string;
  cutoff?: string;
  horizonDays?: string;
  activeDays?: string;
  seed?: string;
  saveModel?: string;
  json?: boolean;
  orderColumn?: string;
  quantityColumn?: string;
  priceColumn?: string;
}

const wholeNumber = (text: string | undefined, option: string, min: number): number | string => {
  if (text === undefined) return `${option} is required`;
  if (!/^\d+$/.test(text.trim())) return `${option} must be a whole number, got '${text}'`;
  const n = Number(text.trim());
  return n < min ? `${option} must be at least ${min}, got ${n}` : n;
};

/**
 * `rekindle churn evaluate`: trains on the period before cutoff − horizon and evaluates at the
 * cutoff. Returns the exit code: 0 on success, 2 on bad input (options, file, records, data that
 * cannot be evaluated), with the reason on stderr.
 */
export const runChurnEvaluate = async (
  opts: ChurnEvaluateCliOptions,
  io: ChurnCliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> => {
  const fail = (message: string): number => {
    io.stderr.write(`rekindle churn evaluate: ${message}\n`);
    return 2;
  };
  if (opts.transactions === undefined) return fail('--transactions <csv> is required');
  if (opts.cutoff === undefined) return fail('--cutoff <date> is required');
  const cutoff = parseInstant(opts.cutoff.trim());
  if (!cutoff.ok) return fail(`--cutoff: ${cutoff.error}`);
  const horizon = wholeNumber(opts.horizonDays, '--horizon-days', 1);
  if (typeof horizon === 'string') return fail(horizon);
  const active = wholeNumber(opts.activeDays ?? '90', '--active-days', 0);
  if (typeof active === 'string') return fail(active);
  const seed = wholeNumber(opts.seed ?? '1', '--seed', 0);
  if (typeof seed === 'string') return fail(seed);

  let loaded;
  try {
    loaded = await loadTransactions(opts.transactions, {
      ...(opts.orderColumn !== undefined ? { orderColumn: opts.orderColumn } : {}),
      ...(opts.quantityColumn !== undefined ? { quantityColumn: opts.quantityColumn } : {}),
      ...(opts.priceColumn !== undefined ? { priceColumn: opts.priceColumn } : {}),
    });
  } catch (e) {
    if (!(e instanceof TransactionsError)) throw e;
    const lines = [e.message, ...e.errors.map((x) => `  line ${x.index}, field ${x.field}: ${x.reason}`)];
    if (e.rejected > e.errors.length) lines.push(`  … and ${e.rejected - e.errors.length} more`);
    return fail(lines.join('\n'));
  }
  const wh = loaded.warehouse;
  try {
    const definition = { ...defaultChurnDefinition(horizon), activeDays: active };
    const { report, model } = await evaluateChurnModel(wh, {
      cutoff: cutoff.value,
      definition,
      seed,
      data: { firstTs: loaded.firstTs, lastTs: loaded.lastTs },
    });
    if (opts.saveModel) await writeFile(opts.saveModel, serializeChurnModel(model));
    io.stdout.write(
      opts.json
        ? `${JSON.stringify({ ...report, data: orderSummary(loaded.book) })}\n`
        : `Data: ${describeOrders(loaded.book)}\n${formatChurnEvaluation(report)}`,
    );
    return 0;
  } catch (e) {
    if (e instanceof ChurnDataError) return fail(e.message);
    throw e;
  } finally {
    wh.close();
  }
};

/**
 * The `churn` command group (B6): `evaluate` on a transactions file; with `open` (the stores)
 * also `train` and `score` on the warehouse (src/cli/commands/churn-model.ts).
 */
export const registerChurnCommands = (program: Command, open?: () => Promise<Runtime>): Command => {
  const churn = program
    .command('churn')
    .description('churn prediction: evaluate, train and store a model, score churn risk');
  if (open) registerChurnModelCommands(churn, open);
  churn
    .command('evaluate')
    .description(
      'train a churn model on the period before cutoff − horizon and evaluate it at the cutoff; ' +
        'churned = no transaction in the horizon after the cutoff, among users with a transaction ' +
        'in the --active-days before it. Exits 2 on bad input.',
    )
    .option(
      '--transactions <csv>',
      'CSV with a header naming user_id, timestamp (ISO-8601), amount (or quantity and price); rows are grouped into orders',
    )
    .option(
      '--order-column <name>',
      'column of the order id: rows with one id are one order (default: order_id, InvoiceNo, Invoice… when present, else one order per user and day)',
    )
    .option('--quantity-column <name>', 'with --price-column: the amount of a row is quantity × price')
    .option('--price-column <name>', 'unit price column (see --quantity-column)')
    .option('--cutoff <date>', 'evaluation instant, ISO-8601 (a date is midnight UTC)')
    .option('--horizon-days <n>', 'days after a cutoff in which a user must buy again to count as retained')
    .option(
      '--active-days <n>',
      'only users with a transaction in this many days before the cutoff (0: all)',
      '90',
    )
    .option('--seed <n>', 'seed of the row sampling and the held-out split', '1')
    .option('--save-model <file>', 'also write the trained model as JSON')
    .option('--json', 'print one JSON object on stdout')
    .exitOverride((e) => {
      // Commander has printed its message; bad command-line input is exit code 2 like bad files.
      process.exit(e.exitCode === 0 ? 0 : 2);
    })
    .action(async (opts: ChurnEvaluateCliOptions) => {
      process.exitCode = await runChurnEvaluate(opts);
    });
  return churn;
};
