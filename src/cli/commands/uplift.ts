import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { CsvParser, type CsvRow } from '../../core/csv/csv-parser.ts';
import { err, ok, type Result } from '../../core/result.ts';
import {
  describeTableError,
  evaluateUplift,
  SIGNIFICANCE_RULE,
  UpliftTableBuilder,
  type NotEnoughData,
  type UpliftColumns,
  type UpliftEvaluation,
  type UpliftTable,
} from '../../core/uplift/index.ts';

/**
 * `rekindle uplift evaluate` (features.md B9, issue 21): a randomised test's CSV in, the Qini
 * coefficients of our chosen uplift model, the response model and random targeting out. It
 * reads only the file it is given: no data directory, no warehouse.
 */

/** Options as commander hands them over: all text, checked here so every mistake exits 2. */
export interface UpliftCliOptions {
  input?: string;
  treatmentColumn?: string;
  treatment?: string;
  control?: string;
  outcome?: string;
  features?: string;
  seed?: string;
  resamples?: string;
  json?: boolean;
}

export interface UpliftCliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

interface Settings {
  input: string;
  columns: UpliftColumns;
  seed: number;
  resamples: number;
  json: boolean;
}

const wholeNumber = (
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
): Result<number, string> => {
  if (text === undefined) return ok(fallback);
  const v = Number(text);
  return text.trim() !== '' && Number.isSafeInteger(v) && v >= min
    ? ok(v)
    : err(`--${name}: ${JSON.stringify(text)} is not a whole number ≥ ${min}`);
};

const settings = (o: UpliftCliOptions): Result<Settings, string> => {
  const required: [keyof UpliftCliOptions, string][] = [
    ['input', '--input <csv>'],
    ['treatmentColumn', '--treatment-column <col>'],
    ['treatment', '--treatment <value>'],
    ['control', '--control <value>'],
    ['outcome', '--outcome <col>'],
    ['features', '--features <col,…>'],
  ];
  for (const [key, flag] of required)
    if (o[key] === undefined || o[key] === '') return err(`${flag} is required`);
  const features = (o.features as string).split(',').map((f) => f.trim());
  if (features.some((f) => f === ''))
    return err(`--features: ${JSON.stringify(o.features)} has an empty column name`);
  const seed = wholeNumber('seed', o.seed, 1, 0);
  if (!seed.ok) return seed;
  const resamples = wholeNumber('resamples', o.resamples, 1000, 100);
  if (!resamples.ok) return resamples;
  return ok({
    input: o.input as string,
    columns: {
      treatmentColumn: o.treatmentColumn as string,
      treatmentValue: o.treatment as string,
      controlValue: o.control as string,
      outcomeColumn: o.outcome as string,
      features,
    },
    seed: seed.value,
    resamples: resamples.value,
    json: o.json === true,
  });
};

/** Streams the CSV into the table builder; the first bad record stops the read with its line and field. */
export const readUpliftTable = async (
  file: string,
  columns: UpliftColumns,
): Promise<Result<UpliftTable, string>> => {
  const parser = new CsvParser();
  const pending: CsvRow[] = [];
  let builder: UpliftTableBuilder | undefined;
  const fail = (message: string): Result<UpliftTable, string> => err(`${file}: ${message}`);
  const drain = (): string | undefined => {
    for (const row of pending) {
      if (!builder) {
        if (row.error !== undefined) return `line ${row.line}: ${row.error}`;
        const b = UpliftTableBuilder.open(row.fields, columns);
        if (!b.ok) return describeTableError(b.error);
        builder = b.value;
        continue;
      }
      const e = builder.push(row);
      if (e) return describeTableError(e);
    }
    pending.length = 0;
    return undefined;
  };
  const stream = createReadStream(file, { encoding: 'utf8' });
  try {
    for await (const chunk of stream) {
      parser.push(chunk as string, pending);
      const e = drain();
      if (e !== undefined) return fail(e);
    }
  } finally {
    stream.destroy();
  }
  parser.end(pending);
  const e = drain();
  if (e !== undefined) return fail(e);
  if (!builder) return fail('the file is empty (no header)');
  const table = builder.finish();
  return table.ok ? table : fail(describeTableError(table.error));
};

const round = (v: number, digits = 6): number => Number(v.toFixed(digits));
const interval = (i: { low: number; high: number }) => ({ low: round(i.low), high: round(i.high) });
const nullable = (v: number | null): number | null => (v === null ? null : round(v));

/** The JSON answer; `status` says whether the data was enough to evaluate. */
export const upliftJson = (
  input: string,
  table: UpliftTable,
  r: Result<UpliftEvaluation, NotEnoughData>,
): Record<string, unknown> => {
  const head = {
    input,
    rows: table.counts,
    features: table.encoding.map((e) => (e.kind === 'numeric' ? e : { ...e, columns: e.levels.length })),
  };
  if (!r.ok) {
    const { kind: _kind, ...rest } = r.error;
    return { status: 'not-enough-data', ...head, ...rest };
  }
  const e = r.value;
  const find = (id: string) => e.learners.find((l) => l.id === id);
  const brief = (id: string) => {
    const l = find(id);
    return l ? { learner: l.id, qini: round(l.qini), interval: interval(l.interval) } : null;
  };
  return {
    status: 'evaluated',
    ...head,
    seed: e.seed,
    treated: e.treated,
    control: e.control,
    averageUplift: {
      treatedRate: round(e.averageUplift.treatedRate),
      controlRate: round(e.averageUplift.controlRate),
      difference: round(e.averageUplift.difference),
    },
    split: e.split,
    chosen: brief(e.chosen),
    responseModel: brief('response-model'),
    random: brief('random'),
    significant: e.significant,
    significanceRule: SIGNIFICANCE_RULE,
    versus: {
      responseModel: {
        difference: round(e.versus.responseModel.difference),
        interval: interval(e.versus.responseModel.interval),
      },
      random: { difference: round(e.versus.random.difference), interval: interval(e.versus.random.interval) },
    },
    learners: e.learners.map((l) => ({
      id: l.id,
      label: l.label,
      baseline: l.baseline,
      chosen: l.id === e.chosen,
      selectionQini: l.selectionQini === null ? null : round(l.selectionQini),
      qini: round(l.qini),
      interval: interval(l.interval),
      fitMs: Math.round(l.fitMs),
      curve: l.curve.map((p) => ({ x: p.x, q: round(p.q) })),
    })),
    bootstrap: e.bootstrap,
    deciles: {
      learner: e.deciles.learner,
      level: e.deciles.level,
      tieRule: e.deciles.tieRule,
      intervalMethod: e.deciles.intervalMethod,
      groups: e.deciles.groups.map((g) => ({
        decile: g.decile,
        from: round(g.from),
        to: round(g.to),
        users: g.users,
        treated: g.treated,
        control: g.control,
        treatedOutcomes: g.treatedOutcomes,
        controlOutcomes: g.controlOutcomes,
        treatedRate: nullable(g.treatedRate),
        controlRate: nullable(g.controlRate),
        observed: nullable(g.observed),
        interval: g.interval ? interval(g.interval) : null,
        predicted: round(g.predicted),
      })),
    },
    qiniCurves: {
      learners: e.qiniCurves.learners.map((c) => ({
        id: c.id,
        points: c.points.map((p) => ({ x: round(p.x), q: round(p.q) })),
      })),
      randomLine: e.qiniCurves.randomLine.map((p) => ({ x: p.x, q: round(p.q) })),
    },
    segments: {
      ...e.segments,
      thresholds: { tau: round(e.segments.thresholds.tau), high: round(e.segments.thresholds.high) },
    },
  };
};

const pct = (v: number): string => `${(v * 100).toFixed(2)} %`;
const q4 = (v: number): string => (v >= 0 ? ' ' : '') + v.toFixed(4);
/** Percentage points with a sign, e.g. "+4.01", for uplifts. */
const pp = (v: number | null): string => (v === null ? '—' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}`);
const count = (v: number): string => v.toLocaleString('en-US');

const SEGMENT_WORDS: Record<keyof UpliftEvaluation['segments']['counts'], string> = {
  persuadable: 'persuadable',
  'sure-thing': 'sure thing',
  'lost-cause': 'lost cause',
  'do-not-disturb': 'do-not-disturb',
  'not-ranked': 'not ranked',
};

/** The chosen model's decile table and the segment counts, as lines of the readable output. */
const decileAndSegmentLines = (e: UpliftEvaluation): string[] => {
  const label = e.learners.find((l) => l.id === e.deciles.learner)?.label ?? e.deciles.learner;
  const level = Math.round(e.deciles.level * 100);
  const lines = [
    '',
    `  Uplift by decile of the chosen model's score (${label}), test half; uplifts in percentage points:`,
    `  ${'decile'.padEnd(7)}${'treated'.padStart(8)}${'control'.padStart(8)}${'rate T'.padStart(9)}${'rate C'.padStart(9)}${'observed'.padStart(10)}   ${`${level} % interval`.padEnd(20)}${'predicted'.padStart(10)}`,
  ];
  for (const g of e.deciles.groups) {
    const ci = g.interval ? `[${pp(g.interval.low)}, ${pp(g.interval.high)}]` : '—';
    lines.push(
      `  ${String(g.decile).padEnd(7)}${count(g.treated).padStart(8)}${count(g.control).padStart(8)}${(g.treatedRate === null ? '—' : pct(g.treatedRate)).padStart(9)}${(g.controlRate === null ? '—' : pct(g.controlRate)).padStart(9)}${pp(g.observed).padStart(10)}   ${ci.padEnd(20)}${pp(g.predicted).padStart(10)}`,
    );
  }
  lines.push(`  Decile 1 holds the highest scores; ${e.deciles.tieRule}.`);
  const s = e.segments;
  const modelLabel = s.model
    ? (e.learners.find((l) => l.id === s.model)?.label ?? s.model)
    : 'no two-model learner';
  lines.push(
    '',
    `  Segments of the test half (${modelLabel}; τ = ${(s.thresholds.tau * 100).toFixed(2)} points, high = ${pct(s.thresholds.high)}):`,
    `    ${(Object.keys(SEGMENT_WORDS) as (keyof typeof SEGMENT_WORDS)[])
      .filter((k) => s.counts[k] > 0 || (s.ranked && k !== 'not-ranked'))
      .map((k) => `${SEGMENT_WORDS[k]} ${count(s.counts[k])}`)
      .join(', ')}`,
    s.ranked
      ? `    ranked: ${s.reason}.`
      : `    Not ranked: ${s.reason}; no user is given a segment by noise.`,
  );
  return lines;
};

/** The readable table. */
export const formatUpliftSummary = (
  input: string,
  table: UpliftTable,
  r: Result<UpliftEvaluation, NotEnoughData>,
): string => {
  const c = table.counts;
  const lines = [
    `Uplift evaluation of ${input}: ${c.treated.toLocaleString('en-US')} treated, ${c.control.toLocaleString('en-US')} control` +
      (c.ignored > 0 ? `, ${c.ignored.toLocaleString('en-US')} rows of other arms ignored` : ''),
    `  features  ${table.encoding.map((e) => (e.kind === 'numeric' ? e.column : `${e.column} (${e.levels.length} levels)`)).join(', ')}`,
  ];
  if (!r.ok) {
    lines.push('', 'Not enough data to evaluate uplift yet:', ...r.error.missing.map((m) => `  ${m}`));
    return `${lines.join('\n')}\n`;
  }
  const e = r.value;
  lines.push(
    `  outcome   treated ${pct(e.averageUplift.treatedRate)}, control ${pct(e.averageUplift.controlRate)}: average uplift ${pct(e.averageUplift.difference)}`,
    `  split     seed ${e.seed}: trained on ${e.split.train.treated} + ${e.split.train.control}, tested on ${e.split.test.treated} + ${e.split.test.control} (treated + control)`,
    '',
    `  ${'learner'.padEnd(40)} ${'choice'.padStart(8)} ${'Qini'.padStart(8)}   ${Math.round(e.bootstrap.level * 100)} % interval     fit`,
  );
  for (const l of e.learners) {
    const mark = l.id === e.chosen ? ' *' : '  ';
    lines.push(
      `${mark}${l.label.padEnd(40)} ${(l.selectionQini === null ? '' : q4(l.selectionQini)).padStart(8)} ${q4(l.qini).padStart(8)}   [${q4(l.interval.low)}, ${q4(l.interval.high)}] ${String(Math.round(l.fitMs)).padStart(5)} ms`,
    );
  }
  const v = e.versus;
  lines.push(
    '',
    `  * chosen by its Qini on a held-out third of the training half ("choice"); Qini and intervals are on the test half.`,
    `  chosen − response model ${q4(v.responseModel.difference)} [${q4(v.responseModel.interval.low)}, ${q4(v.responseModel.interval.high)}]; chosen − random ${q4(v.random.difference)} [${q4(v.random.interval.low)}, ${q4(v.random.interval.high)}]`,
    ...decileAndSegmentLines(e),
    '',
    e.significant
      ? 'Significant: targeting by this model beats random targeting beyond noise.'
      : 'NOT significant: this test shows no uplift the model can rank beyond noise; do not rank users by it.',
  );
  return `${lines.join('\n')}\n`;
};

/** Returns the exit code: 0 when evaluated or when the data is not enough (said so), 2 on unusable input. */
export const runUpliftEvaluate = async (
  opts: UpliftCliOptions,
  io: UpliftCliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> => {
  const fail = (message: string): number => {
    io.stderr.write(`rekindle uplift evaluate: ${message}\n`);
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
  const table = await readUpliftTable(o.input, o.columns);
  if (!table.ok) return fail(table.error);
  const r = evaluateUplift(table.value.rows, {
    seed: o.seed,
    resamples: o.resamples,
    stopwatch: () => performance.now(),
  });
  io.stdout.write(
    o.json
      ? `${JSON.stringify(upliftJson(o.input, table.value, r))}\n`
      : formatUpliftSummary(o.input, table.value, r),
  );
  return 0;
};

export const registerUpliftCommands = (program: Command): Command => {
  const uplift = program
    .command('uplift')
    .description('uplift models: who does a message move? (docs/uplift.md)');
  uplift
    .command('evaluate')
    .description(
      'split a randomised test (stratified by treatment × outcome, seeded), fit uplift learners on one half and ' +
        'report the Qini coefficient of the chosen model, a response model and random targeting on the other, ' +
        'with bootstrap intervals and whether ours beats random beyond noise. Reads only the CSV; exits 2 on bad input.',
    )
    .option('--input <csv>', 'CSV with a header: one row per user')
    .option('--treatment-column <col>', 'column saying which arm a user was in')
    .option('--treatment <value>', 'value of that column for treated users')
    .option(
      '--control <value>',
      'value for control (holdout) users; rows with other values are ignored and counted',
    )
    .option('--outcome <col>', 'column of the outcome, 0 or 1')
    .option('--features <col,…>', 'feature columns, comma separated; text columns are one-hot encoded')
    .option('--seed <n>', 'seed of the splits, the trees and the bootstrap', '1')
    .option('--resamples <n>', 'bootstrap resamples (at least 100)', '1000')
    .option('--json', 'print one JSON object on stdout')
    .exitOverride((e) => {
      // Commander has printed its message; bad command-line input is exit code 2 like bad files.
      process.exit(e.exitCode === 0 ? 0 : 2);
    })
    .action(async (opts: UpliftCliOptions) => {
      process.exitCode = await runUpliftEvaluate(opts);
    });
  return uplift;
};
