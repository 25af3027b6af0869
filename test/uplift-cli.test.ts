/**
 * `rekindle uplift evaluate` on small files written here (features.md B9, issue 21): the
 * readable table, the "not enough data" answer, and precise errors for broken records. The
 * Hillstrom run and the child process are in uplift-hillstrom.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runUpliftEvaluate, type UpliftCliOptions } from '../src/cli/commands/uplift.ts';
import { seededRandom } from '../src/core/stats/rng.ts';

const dir = mkdtempSync(join(tmpdir(), 'rekindle-uplift-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A randomised test as CSV: `plan` (gold/basic) moves users in proportion to `score`; a third arm to ignore. */
const testCsv = (name: string, n: number, seed: number, effect: number): string => {
  const rand = seededRandom(seed);
  const lines = ['user,arm,score,plan,converted'];
  for (let i = 0; i < n; i++) {
    const score = rand();
    const gold = rand() < 0.5;
    const r = rand();
    const arm = r < 0.45 ? 'mail' : r < 0.9 ? 'holdout' : 'sms';
    const p = 0.1 + (gold ? 0.1 : 0) + (arm === 'mail' ? effect * score : 0);
    lines.push(`u${i},${arm},${score.toFixed(4)},${gold ? 'gold' : 'basic'},${rand() < p ? 1 : 0}`);
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
};

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
  };
};

const options = (input: string, extra: Partial<UpliftCliOptions> = {}): UpliftCliOptions => ({
  input,
  treatmentColumn: 'arm',
  treatment: 'mail',
  control: 'holdout',
  outcome: 'converted',
  features: 'score,plan',
  resamples: '200',
  ...extra,
});

describe('rekindle uplift evaluate', () => {
  it('prints a table with every learner, the choice and the verdict', async () => {
    const path = testCsv('moved.csv', 6000, 1, 0.4);
    const c = capture();
    expect(await runUpliftEvaluate(options(path), c.io)).toBe(0);
    const text = c.out.join('');
    expect(c.err).toEqual([]);
    expect(text).toMatch(/\d,\d{3} treated, \d,\d{3} control, \d{3} rows of other arms ignored/);
    expect(text).toContain('features  score, plan (2 levels)');
    for (const label of [
      'two-model, logistic regression',
      'two-model, gradient-boosted trees',
      'transformed outcome, ridge regression',
      'response model, P(outcome) if treated',
      'random targeting',
    ])
      expect(text).toContain(label);
    expect(text.match(/^ \*/gm)).toHaveLength(1); // exactly one chosen
    expect(text).toContain('Significant: targeting by this model beats random targeting beyond noise.');
  });

  it('answers "not enough data" with the numbers missing, exit 0, as JSON too', async () => {
    const path = testCsv('small.csv', 300, 2, 0.4);
    const c = capture();
    expect(await runUpliftEvaluate(options(path, { json: true }), c.io)).toBe(0);
    const out = JSON.parse(c.out.join('')) as {
      status: string;
      treated: { rows: number };
      missing: string[];
      minimum: { rowsPerArm: number };
    };
    expect(out.status).toBe('not-enough-data');
    expect(out.minimum.rowsPerArm).toBe(200);
    expect(out.missing).toContain(
      `treated: ${out.treated.rows} rows, 200 needed (${200 - out.treated.rows} more)`,
    );
    const t = capture();
    expect(await runUpliftEvaluate(options(path), t.io)).toBe(0);
    expect(t.out.join('')).toContain('Not enough data to evaluate uplift yet:');
  });

  it('evaluates at the minimum without failing (tiny arms, a one-hot column constant in a fold)', async () => {
    const lines = ['arm,score,plan,converted'];
    for (const arm of ['mail', 'holdout'])
      for (let i = 0; i < 200; i++)
        lines.push(`${arm},${i % 10},${i === 0 ? 'rare' : 'basic'},${i % 5 === 0 ? 1 : 0}`);
    const path = join(dir, 'minimum.csv');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const c = capture();
    expect(await runUpliftEvaluate(options(path, { json: true }), c.io)).toBe(0);
    const out = JSON.parse(c.out.join('')) as { status: string; learners: { qini: number }[] };
    expect(out.status).toBe('evaluated');
    expect(out.learners.every((l) => Number.isFinite(l.qini))).toBe(true);
  });

  it('names the line and field of a broken record, and bad options, exit 2', async () => {
    const path = join(dir, 'broken.csv');
    writeFileSync(path, 'arm,score,plan,converted\nmail,0.3,gold,1\nholdout,0.5,"basic,0\nmail,0.1,gold,x\n');
    const c = capture();
    expect(await runUpliftEvaluate(options(path), c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/^rekindle uplift evaluate: .*broken\.csv: line 3: /);
    const bad = join(dir, 'bad-outcome.csv');
    writeFileSync(bad, 'arm,score,plan,converted\nmail,0.3,gold,1\nholdout,0.5,basic,x\n');
    expect(await runUpliftEvaluate(options(bad), c.io)).toBe(2);
    expect(c.err.pop()).toContain('bad-outcome.csv: line 3, field converted: "x" is not a number');
    expect(await runUpliftEvaluate(options(join(dir, 'nowhere.csv')), c.io)).toBe(2);
    expect(c.err.pop()).toContain('no such file');
    expect(await runUpliftEvaluate(options(bad, { control: 'mail' }), c.io)).toBe(2);
    expect(c.err.pop()).toContain('the treatment and control values are both "mail"');
    expect(await runUpliftEvaluate(options(bad, { features: 'score,' }), c.io)).toBe(2);
    expect(c.err.pop()).toContain('--features: "score," has an empty column name');
    expect(await runUpliftEvaluate(options(bad, { resamples: '10' }), c.io)).toBe(2);
    expect(c.err.pop()).toContain('--resamples: "10" is not a whole number ≥ 100');
    expect(c.out).toEqual([]);
  });
});
