import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readUpliftTable } from '../src/cli/commands/uplift.ts';
import type { LearnerId, UpliftColumns, UpliftEvaluation } from '../src/core/uplift/index.ts';
import { evaluateUplift } from '../src/core/uplift/index.ts';

/**
 * Uplift learners on a real randomised test (issue 21): Hillstrom's e-mail challenge, women's
 * e-mail vs no e-mail, outcome visit, eight pre-treatment features. Each of 5 seeds splits the
 * users in halves stratified by treatment × outcome; every learner and baseline is fitted on
 * one half and its Qini coefficient measured on the other, with a 95 % bootstrap interval.
 * The issue's reference figures (another implementation, other splits) stand beside ours.
 */
export const HILLSTROM_COLUMNS: UpliftColumns = {
  treatmentColumn: 'segment',
  treatmentValue: 'Womens E-Mail',
  controlValue: 'No E-Mail',
  outcomeColumn: 'visit',
  features: ['recency', 'history_segment', 'history', 'mens', 'womens', 'zip_code', 'newbie', 'channel'],
};

export const hillstromCsv = (): string => {
  const candidates = [
    process.env['REKINDLE_SHARED_DIR'],
    join(process.cwd(), '..', 'shared'),
    '/work/shared',
  ].filter((c): c is string => c !== undefined && c !== '');
  const found = candidates.find((c) => existsSync(join(c, 'data', 'hillstrom', 'hillstrom.csv')));
  return join(found ?? candidates[0] ?? '../shared', 'data', 'hillstrom', 'hillstrom.csv');
};

/** The issue's reference figures (mean of 5 seeded half splits). */
const REFERENCE: Partial<Record<LearnerId, number>> = {
  'two-model-logistic': 0.0073,
  'response-model': 0.0041,
  random: 0,
};

export interface UpliftLearnerBench {
  id: LearnerId;
  label: string;
  baseline: boolean;
  qini: number[];
  low: number[];
  high: number[];
  fitMs: number[];
  chosen: number;
}

export interface UpliftBench {
  source: string;
  treated: number;
  control: number;
  seeds: number[];
  readMs: number;
  learners: UpliftLearnerBench[];
  /** The chosen model's Qini per seed (the model chosen may differ between seeds). */
  chosen: { qini: number[]; low: number[]; high: number[]; ids: LearnerId[] };
  significant: boolean[];
  /** The first seed's uplift by decile of its chosen model (docs/uplift.md). */
  deciles: UpliftEvaluation['deciles'];
  /** Each seed's segment counts on its test half. */
  segments: UpliftEvaluation['segments'][];
}

export const benchUplift = async (
  log: (s: string) => void,
  seeds = [1, 2, 3, 4, 5],
): Promise<UpliftBench> => {
  const source = hillstromCsv();
  const t0 = performance.now();
  const table = await readUpliftTable(source, HILLSTROM_COLUMNS);
  if (!table.ok) throw new Error(table.error);
  const readMs = performance.now() - t0;
  const runs: UpliftEvaluation[] = [];
  for (const seed of seeds) {
    const r = evaluateUplift(table.value.rows, { seed, stopwatch: () => performance.now() });
    if (!r.ok) throw new Error(r.error.missing.join('; '));
    runs.push(r.value);
    log(`    seed ${seed}: chosen ${r.value.chosen}`);
  }
  const first = runs[0] as UpliftEvaluation;
  const learners = first.learners.map((l0) => {
    const per = runs.map(
      (r) => r.learners.find((l) => l.id === l0.id) as UpliftEvaluation['learners'][number],
    );
    return {
      id: l0.id,
      label: l0.label,
      baseline: l0.baseline,
      qini: per.map((l) => l.qini),
      low: per.map((l) => l.interval.low),
      high: per.map((l) => l.interval.high),
      fitMs: per.map((l) => l.fitMs),
      chosen: runs.filter((r) => r.chosen === l0.id).length,
    };
  });
  const chosenOf = (r: UpliftEvaluation) =>
    r.learners.find((l) => l.id === r.chosen) as UpliftEvaluation['learners'][number];
  return {
    source,
    treated: first.treated.rows,
    control: first.control.rows,
    seeds,
    readMs,
    learners,
    chosen: {
      qini: runs.map((r) => chosenOf(r).qini),
      low: runs.map((r) => chosenOf(r).interval.low),
      high: runs.map((r) => chosenOf(r).interval.high),
      ids: runs.map((r) => r.chosen),
    },
    significant: runs.map((r) => r.significant),
    deciles: first.deciles,
    segments: runs.map((r) => r.segments),
  };
};

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const f4 = (v: number): string => v.toFixed(4);
const f5 = (v: number): string => v.toFixed(5);
const pp = (v: number | null): string => (v === null ? '—' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}`);
const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(2)} %`);
const users = (b: UpliftBench): string =>
  `Hillstrom: ${b.treated.toLocaleString('en-US')} women's e-mail + ${b.control.toLocaleString('en-US')} no e-mail, outcome visit`;

export const upliftBenchRows = (b: UpliftBench): string[] => {
  const response = b.learners.find((l) => l.id === 'response-model') as UpliftLearnerBench;
  const random = b.learners.find((l) => l.id === 'random') as UpliftLearnerBench;
  const base = `response model ${f5(mean(response.qini))}, random ${f5(mean(random.qini))} (same splits; issue's reference: 0.0041, 0)`;
  const rows = b.learners
    .filter((l) => !l.baseline)
    .map(
      (l) =>
        `| Uplift, ${l.label}: Qini coefficient on the test half (mean of ${b.seeds.length} stratified half splits) | ${users(b)} | **${f5(mean(l.qini))}** (mean 95 % interval [${f4(mean(l.low))}, ${f4(mean(l.high))}]; fit + score ${Math.round(mean(l.fitMs))} ms)${REFERENCE[l.id] !== undefined ? `; issue's reference ${REFERENCE[l.id]}` : ''} | ${base} | ${(mean(l.qini) / mean(response.qini)).toFixed(2)}× the response model | > response model, > random |`,
    );
  rows.push(
    `| Uplift, the model \`rekindle uplift evaluate\` chooses (on a held-out third of the training half) | ${users(b)} | **${f5(mean(b.chosen.qini))}** (chosen: ${b.chosen.ids.join(', ')}; significant on ${b.significant.filter((s) => s).length} of ${b.seeds.length} splits) | ${base} | ${(mean(b.chosen.qini) / mean(response.qini)).toFixed(2)}× the response model | > response model, > random |`,
  );
  return rows;
};

export const upliftMarkdown = (b: UpliftBench): string => {
  const lines = [
    '## Uplift on Hillstrom (women’s e-mail vs no e-mail, outcome visit)',
    '',
    `Written by \`BENCH_ONLY=uplift npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Data: \`${b.source}\` (MineThatData 2008, a real randomised test), read and encoded in ${Math.round(b.readMs)} ms.`,
    `Features: recency, history_segment, history, mens, womens, zip_code, newbie, channel (text ones one-hot). Each seed (${b.seeds.join(', ')}) splits the ${(b.treated + b.control).toLocaleString('en-US')} users in halves stratified by treatment × outcome; learners are fitted on one half and measured on the other (docs/uplift.md). Interval: 95 % percentile bootstrap of the test half (1000 resamples, arms kept at their size). Fit: fitting on the training half and scoring the test half, one core.`,
    '',
    '| learner | Qini per split | mean | mean 95 % interval | chosen on | fit + score (mean) |',
    '|---|---|---|---|---|---|',
    ...b.learners.map(
      (l) =>
        `| ${l.label}${l.baseline ? ' (baseline)' : ''} | ${l.qini.map(f4).join(', ')} | **${f5(mean(l.qini))}** | [${f4(mean(l.low))}, ${f4(mean(l.high))}] | ${l.baseline ? '—' : `${l.chosen} of ${b.seeds.length}`} | ${Math.round(mean(l.fitMs))} ms |`,
    ),
    `| chosen model (per split) | ${b.chosen.qini.map(f4).join(', ')} | **${f5(mean(b.chosen.qini))}** | [${f4(mean(b.chosen.low))}, ${f4(mean(b.chosen.high))}] | — | — |`,
    '',
    "The issue's reference (another implementation on other splits): two-model logistic regression about 0.0073, response model about 0.0041, random about 0.",
    '',
    `Uplift by decile of the chosen model's score (seed ${b.seeds[0]}, ${b.deciles.learner}), test half; uplifts in percentage points, 95 % Newcombe interval:`,
    '',
    '| decile | treated | control | visit rate, treated | visit rate, control | observed uplift | 95 % interval | mean predicted uplift |',
    '|---|---|---|---|---|---|---|---|',
    ...b.deciles.groups.map(
      (g) =>
        `| ${g.decile} | ${g.treated.toLocaleString('en-US')} | ${g.control.toLocaleString('en-US')} | ${pct(g.treatedRate)} | ${pct(g.controlRate)} | ${pp(g.observed)} | ${g.interval ? `[${pp(g.interval.low)}, ${pp(g.interval.high)}]` : '—'} | ${pp(g.predicted)} |`,
    ),
    '',
    `Segments of each test half (τ = ${((b.segments[0]?.thresholds.tau ?? 0) * 100).toFixed(2)} points, high = ${pct(b.segments[0]?.thresholds.high ?? null)}; persuadable / sure thing / lost cause / do-not-disturb / not ranked): ${b.segments
      .map(
        (s, k) =>
          `seed ${b.seeds[k]} (${s.model ?? 'none'}) ${[s.counts.persuadable, s.counts['sure-thing'], s.counts['lost-cause'], s.counts['do-not-disturb'], s.counts['not-ranked']].map((c) => c.toLocaleString('en-US')).join(' / ')}`,
      )
      .join('; ')}.`,
  ];
  return `${lines.join('\n')}\n`;
};
