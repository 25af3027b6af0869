import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runChurnEvaluate } from '../src/cli/commands/churn.ts';
import { checkCutoff } from '../src/models/churn/evaluate.ts';
import { tempDir } from './support/tmp.ts';

const tmp = tempDir('rekindle-churn-orders-');
afterAll(() => tmp.cleanup());

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
  };
};

/** 40 users buying every 10 days from 2024-01-01; half stop in April. Data ends 2024-06-30. */
const cadenceFile = (): string => {
  const lines = ['user_id,timestamp,amount'];
  for (let u = 0; u < 40; u++) {
    const stop = u % 2 === 0 ? Date.UTC(2024, 3, 1 + u) : Date.UTC(2024, 5, 30);
    for (let t = Date.UTC(2024, 0, 1 + (u % 10)); t <= stop; t += 10 * 86_400_000)
      lines.push(`u${u},${new Date(t).toISOString().slice(0, 10)},${10 + u}`);
  }
  lines.push('u1,2024-06-30,5');
  const path = join(tmp.dir, 'cadence.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
};

describe('churn evaluate: the cutoff must be labelled by the data', () => {
  const data = { firstTs: Date.UTC(2024, 0, 1), lastTs: Date.UTC(2024, 5, 30, 14) };

  it('accepts exactly the cutoffs whose horizon lies inside the data and whose training snapshot has history', () => {
    expect(() => checkCutoff(Date.UTC(2024, 5, 1), 30, data)).not.toThrow();
    expect(() => checkCutoff(Date.UTC(2024, 5, 2), 30, data)).toThrow(
      'the 30-day horizon after the cutoff 2024-06-02 ends on 2024-07-02, after the last transaction (2024-06-30): ' +
        'its churn labels are unknown. The latest valid cutoff is 2024-06-01.',
    );
    expect(() => checkCutoff(Date.UTC(2024, 1, 1), 30, data)).not.toThrow();
    expect(() => checkCutoff(Date.UTC(2024, 0, 31), 30, data)).toThrow(
      'the training cutoff (cutoff − 30 days = 2024-01-01) is not after the first transaction (2024-01-01): ' +
        'there is no history to train on. The earliest valid cutoff is 2024-02-01.',
    );
    expect(() => checkCutoff(Date.UTC(2024, 2, 1), 200, data)).toThrow('too short for a 200-day horizon');
  });

  it('the CLI refuses a cutoff past the data with exit code 2 and scores none', async () => {
    const path = cadenceFile();
    const c = capture();
    const code = await runChurnEvaluate(
      { transactions: path, cutoff: '2024-06-15', horizonDays: '30' },
      c.io,
    );
    expect(code).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err.join('')).toContain('after the last transaction (2024-06-30)');
    expect(c.err.join('')).toContain('The latest valid cutoff is 2024-06-01.');
    const early = capture();
    expect(
      await runChurnEvaluate({ transactions: path, cutoff: '2024-01-20', horizonDays: '30' }, early.io),
    ).toBe(2);
    expect(early.err.join('')).toContain('The earliest valid cutoff is 2024-02-01.');
  });
});
