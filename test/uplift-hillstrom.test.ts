/**
 * Uplift on a real randomised test (features.md B9, issue 21): Hillstrom's e-mail challenge
 * (shared/data/hillstrom/README.md), women's e-mail vs no e-mail, outcome `visit`, the eight
 * pre-treatment attributes as features. The reference: a plain two-model logistic
 * regression reaches a Qini coefficient of about 0.0073 (mean of 5 seeded half splits
 * stratified by treatment and outcome), a response model about 0.0041, random about 0.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { readUpliftTable, runUpliftEvaluate } from '../src/cli/commands/uplift.ts';
import type { UpliftColumns, UpliftEvaluation, UpliftTable } from '../src/core/uplift/index.ts';
import { evaluateUplift } from '../src/core/uplift/index.ts';
import { sharedDataDir } from './support/shared-data.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/rekindle.js', import.meta.url));
const CSV = join(sharedDataDir(), 'hillstrom', 'hillstrom.csv');
const FEATURES = 'recency,history_segment,history,mens,womens,zip_code,newbie,channel';
const COLUMNS: UpliftColumns = {
  treatmentColumn: 'segment',
  treatmentValue: 'Womens E-Mail',
  controlValue: 'No E-Mail',
  outcomeColumn: 'visit',
  features: FEATURES.split(','),
};
const SEEDS = [1, 2, 3, 4, 5];

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

describe('uplift on Hillstrom (women’s e-mail vs no e-mail, outcome visit)', () => {
  let table: UpliftTable;
  const runs: UpliftEvaluation[] = [];
  const qini = (id: string): number[] =>
    runs.map((r) => (r.learners.find((l) => l.id === id) as { qini: number }).qini);

  beforeAll(async () => {
    const t = await readUpliftTable(CSV, COLUMNS);
    if (!t.ok) throw new Error(t.error);
    table = t.value;
    for (const seed of SEEDS) {
      const r = evaluateUplift(table.rows, { seed });
      if (!r.ok) throw new Error(r.error.missing.join('; '));
      runs.push(r.value);
    }
    const line = (id: string) =>
      `${id} ${mean(qini(id)).toFixed(5)} (${qini(id)
        .map((q) => q.toFixed(4))
        .join(', ')})`;
    console.log(
      `Hillstrom Qini, mean of 5 splits: ${['two-model-logistic', 'two-model-gbdt', 'transformed-outcome', 'response-model', 'random'].map(line).join('; ')}; chosen: ${runs.map((r) => r.chosen).join(', ')}`,
    );
  }, 120_000);

  it('reads the arms the README counts, the men’s e-mail rows ignored, three text features one-hot', () => {
    expect(table.counts).toEqual({ read: 64_000, treated: 21_387, control: 21_306, ignored: 21_307 });
    expect(table.rows.featureNames).toHaveLength(18); // 5 numbers + 7 + 3 + 3 levels
    expect(table.encoding.filter((e) => e.kind === 'categorical').map((e) => e.column)).toEqual([
      'history_segment',
      'zip_code',
      'channel',
    ]);
    // The README's visit rates: 15.1400 % and 10.6167 %.
    expect((runs[0] as UpliftEvaluation).averageUplift.treatedRate).toBeCloseTo(0.1514, 4);
    expect((runs[0] as UpliftEvaluation).averageUplift.controlRate).toBeCloseTo(0.106167, 5);
  });

  it('the two-model logistic regression is near the issue’s 0.0073, the response model near 0.0041, random near 0', () => {
    // Tolerance 0.0015: across our 5 splits the two-model figure varies with a standard
    // deviation of about 0.001, so a mean of 5 has a standard error of about 0.00047; the
    // reference's splits are other splits (another generator), so the two means differ by
    // noise of about √2 × 0.00047 ≈ 0.00067, plus small differences between logistic
    // regressions (ours: L2 λ = 1 on standardised features). 0.0015 is over 2 of those
    // standard errors, yet far below the gap between the uplift model and the response model.
    expect(Math.abs(mean(qini('two-model-logistic')) - 0.0073)).toBeLessThan(0.0015);
    expect(Math.abs(mean(qini('response-model')) - 0.0041)).toBeLessThan(0.0015);
    expect(Math.abs(mean(qini('random')))).toBeLessThan(0.0015);
  });

  it('our chosen model beats the response model and random, and says so beyond noise', () => {
    const chosen = runs.map((r) => (r.learners.find((l) => l.id === r.chosen) as { qini: number }).qini);
    expect(mean(chosen)).toBeGreaterThan(mean(qini('response-model')));
    expect(mean(chosen)).toBeGreaterThan(mean(qini('random')) + 0.004);
    for (const r of runs) {
      expect(r.significant).toBe(true);
      expect(
        (r.learners.find((l) => l.id === r.chosen) as { interval: { low: number } }).interval.low,
      ).toBeGreaterThan(0);
      expect(['two-model-logistic', 'two-model-gbdt', 'transformed-outcome']).toContain(r.chosen);
    }
  });

  it('uplift by decile: the top decile is moved more than the bottom one, with intervals as wide as the counts allow', () => {
    for (const r of runs) {
      const g = r.deciles.groups;
      expect(r.deciles.learner).toBe(r.chosen);
      expect(g.map((d) => d.decile)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(g.reduce((s, d) => s + d.treated, 0)).toBe(r.split.test.treated);
      expect(g.reduce((s, d) => s + d.control, 0)).toBe(r.split.test.control);
      // Scores are nearly all distinct: equal-count tenths of the 21,347 test users.
      for (const d of g) expect(Math.abs(d.users - 2135)).toBeLessThanOrEqual(5);
      const observed = g.map((d) => d.observed as number);
      expect(observed[0]).toBeGreaterThan(observed[9] as number);
      // The top three deciles against the bottom three, a steadier view of the same ranking.
      expect(mean(observed.slice(0, 3))).toBeGreaterThan(mean(observed.slice(7)) + 0.02);
      for (const d of g) {
        // About 1,070 users per arm at rates of 10–20 %: ±1.96 · √(0.15·0.85/1070 + 0.1·0.9/1070)
        // ≈ ±0.028, a width near 0.056; Newcombe's score interval is within 1 % of that normal one.
        const i = d.interval as { low: number; high: number };
        const width = i.high - i.low;
        expect(width).toBeGreaterThan(0.04);
        expect(width).toBeLessThan(0.075);
        const pT = d.treatedRate as number;
        const pC = d.controlRate as number;
        const wald = 2 * 1.959964 * Math.sqrt((pT * (1 - pT)) / d.treated + (pC * (1 - pC)) / d.control);
        expect(Math.abs(width / wald - 1)).toBeLessThan(0.01);
        expect(i.low).toBeLessThan(d.observed as number);
        expect(i.high).toBeGreaterThan(d.observed as number);
      }
    }
  });

  it('segments: ranked on every split (each is significant), mostly persuadable at a 4.5-point average uplift', () => {
    for (const r of runs) {
      const s = r.segments;
      expect(s.ranked).toBe(true);
      expect(
        s.model === r.chosen || (r.chosen === 'transformed-outcome' && s.model === 'two-model-logistic'),
      ).toBe(true);
      // τ = ½ · 4.5 points (well above the standard error, 0.46 points); high = (15.1 % + 10.6 %) / 2.
      expect(s.thresholds.tau).toBeCloseTo(0.0226, 3);
      expect(s.thresholds.high).toBeCloseTo(0.1288, 3);
      const users = r.split.test.treated + r.split.test.control;
      expect(Object.values(s.counts).reduce((a, b) => a + b, 0)).toBe(users);
      expect(s.counts['not-ranked']).toBe(0);
      expect(s.counts.persuadable).toBeGreaterThan(users / 2);
      for (const k of ['sure-thing', 'lost-cause', 'do-not-disturb'] as const)
        expect(s.counts[k]).toBeGreaterThan(0);
    }
  });

  it('`rekindle uplift evaluate --json` as a child process gives the same figures as the core, and opens no data directory', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'rekindle-uplift-'));
    const dataDir = join(tmp, 'data');
    const { stdout } = await run(
      process.execPath,
      [
        BIN,
        'uplift',
        'evaluate',
        '--input',
        CSV,
        '--treatment-column',
        'segment',
        '--treatment',
        'Womens E-Mail',
        '--control',
        'No E-Mail',
        '--outcome',
        'visit',
        '--features',
        FEATURES,
        '--seed',
        '1',
        '--json',
      ],
      { maxBuffer: 1 << 24, env: { ...process.env, REKINDLE_DATA_DIR: dataDir } },
    );
    // Pure CSV in, JSON out: the data directory (and so the warehouse in it) is never created.
    expect(existsSync(dataDir)).toBe(false);
    rmSync(tmp, { recursive: true, force: true });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0] as string) as {
      status: string;
      rows: unknown;
      chosen: { learner: string; qini: number; interval: { low: number; high: number } };
      responseModel: { qini: number };
      random: { qini: number };
      significant: boolean;
      learners: { id: string; qini: number }[];
      deciles: { learner: string; groups: { decile: number; observed: number; predicted: number }[] };
      qiniCurves: { learners: { id: string; points: { x: number; q: number }[] }[] };
      segments: { ranked: boolean; counts: Record<string, number> };
    };
    const core = runs[0] as UpliftEvaluation;
    expect(out.status).toBe('evaluated');
    expect(out.rows).toEqual({ read: 64_000, treated: 21_387, control: 21_306, ignored: 21_307 });
    expect(out.chosen.learner).toBe(core.chosen);
    for (const l of core.learners)
      expect(out.learners.find((o) => o.id === l.id)?.qini).toBeCloseTo(l.qini, 6);
    expect(out.responseModel.qini).toBeCloseTo(qini('response-model')[0] as number, 6);
    expect(out.random.qini).toBeCloseTo(qini('random')[0] as number, 6);
    expect(out.significant).toBe(core.significant);
    expect(out.deciles.learner).toBe(core.chosen);
    expect(out.deciles.groups.map((g) => g.observed)).toEqual(
      core.deciles.groups.map((g) => Number((g.observed as number).toFixed(6))),
    );
    expect(out.qiniCurves.learners.map((c) => [c.id, c.points.length])).toEqual(
      core.learners.map((l) => [l.id, 101]),
    );
    expect(out.segments.counts).toEqual(core.segments.counts);
  }, 60_000);

  it('refuses a missing column or a non-binary outcome with the line and field, exit code 2', async () => {
    const err: string[] = [];
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) } };
    const base = {
      input: CSV,
      treatmentColumn: 'segment',
      treatment: 'Womens E-Mail',
      control: 'No E-Mail',
      outcome: 'visit',
      features: FEATURES,
    };
    expect(await runUpliftEvaluate({ ...base, features: 'recency,income' }, io)).toBe(2);
    expect(err.pop()).toContain('line 1: the feature column "income" is not in the header');
    expect(await runUpliftEvaluate({ ...base, outcome: 'spend' }, io)).toBe(2);
    expect(err.pop()).toMatch(/line \d+, field spend: [\d.]+ is not 0 or 1/);
    expect(await runUpliftEvaluate({ ...base, seed: '-3' }, io)).toBe(2);
    expect(err.pop()).toContain('--seed: "-3" is not a whole number ≥ 0');
    // The real process, commander's own errors included, exits 2 too.
    const proc = await run(process.execPath, [
      BIN,
      'uplift',
      'evaluate',
      '--input',
      CSV,
      '--outcome',
      'visit',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((proc as { code: number }).code).toBe(2);
    expect((proc as { stderr: string }).stderr).toContain('--treatment-column <col> is required');
  }, 60_000);
});
