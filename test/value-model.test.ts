import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countAudience } from '../src/audience/run-audience.ts';
import type { EventRow } from '../src/core/events/rows.ts';
import { analyseCohort } from '../src/core/models/btyd/analysis.ts';
import { ratePerUnit } from '../src/core/models/btyd/ltv.ts';
import { summariseTransactions, type Transaction } from '../src/core/models/btyd/summary.ts';
import { parseCdnowText, parseIsoDate } from '../src/core/models/btyd/transactions.ts';
import { fitValueModel, pAliveWarning, valueModelCustomers } from '../src/core/models/btyd/value-model.ts';
import type { ScoreConfig } from '../src/core/scores/config.ts';
import { runScoring } from '../src/scores/run-scoring.ts';
import { putScoreConfig } from '../src/scores/score-config.ts';
import { readLatestValueModelRun, readPurchaseLines } from '../src/storage/warehouse/value-model.ts';
import { valueModelSettings } from '../src/core/scores/config.ts';
import { cdnowDir } from './support/shared-data.ts';
import { TEST_CONFIG, openScenario, profile, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * The value model on the scoring schedule: purchase events in the warehouse → runScoring →
 * P(alive), expected purchases, expected spend and LTV in user_scores, fitted exactly as
 * `rekindle btyd` fits the same transactions; and a fit that degenerates writes nothing.
 */

const DAY = 86_400_000;
const SAMPLE = join(cdnowDir(), 'CDNOW_sample.txt');
/** The published calibration end; the run's instant is noon that day. */
const CAL_END = parseIsoDate('1997-09-30')!;
const AS_OF = CAL_END * DAY + 12 * 3_600_000;

let store: ScenarioStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const open = async (config: ScoreConfig) => {
  const s = await openScenario();
  store = s;
  expect((await putScoreConfig(s, null, { version: 0, config })).ok).toBe(true);
  return s;
};

let seq = 0;
const row = (
  userId: string,
  name: string,
  ts: number,
  amount: number | null,
  orderId: string | null = null,
): EventRow => ({
  messageId: `vm-${seq++}`,
  userId,
  anonymousId: null,
  event: name,
  ts,
  receivedAt: ts,
  amount,
  currency: amount === null ? null : 'USD',
  productId: null,
  category: null,
  orderId,
  platform: null,
  properties: '{}',
  source: 'import',
});

let transactions: Transaction[];
beforeAll(() => {
  expect(existsSync(SAMPLE), `${SAMPLE} (shared/ beside the repository)`).toBe(true);
  const r = parseCdnowText('cdnow-sample', readFileSync(SAMPLE, 'utf8'));
  if (!r.ok) throw new Error(r.error.reason);
  transactions = r.value;
});

type ValueRow = {
  user_id: string;
  p_alive: number | null;
  expected_purchases: number | null;
  expected_spend: number | null;
  ltv: number | null;
  lifecycle_stage: string | null;
};
const values = async (s: ScenarioStore) =>
  new Map(
    (
      await s.warehouse.query<ValueRow>(
        'SELECT user_id, p_alive, expected_purchases, expected_spend, ltv, lifecycle_stage FROM user_scores',
      )
    ).map((r) => [r.user_id, r]),
  );

describe('value model on CDNOW purchases in the warehouse', () => {
  it('writes the same fit and per-user figures as the btyd CLI on the same transactions', async () => {
    const s = await open(TEST_CONFIG);
    // Each CDNOW line as an `order` event at 10:00 on its day; a few users get a profile so the
    // lifecycle scores and the value figures share rows.
    const events = transactions.map((t) =>
      row(t.customerId, 'order', t.day * DAY + 10 * 3_600_000, t.amount),
    );
    await seed(s.warehouse, [profile('1', AS_OF - 400 * DAY), profile('4', AS_OF - 400 * DAY)], events);
    const run = await runScoring(s, 'default', { now: AS_OF });
    expect(run.valueModel.warnings).toEqual([]);

    // The CLI's path: the same transactions summarised per day, in days, calibration end = the run's day.
    // The warehouse hands buyers over by user id; the Nelder–Mead search sums the likelihood in
    // that order, so the CLI gets the same transactions in the same order (in the file's order
    // the fit differs by rounding only: relative 1e-5, checked below).
    const byId = [...transactions].sort((p, q) =>
      p.customerId < q.customerId ? -1 : p.customerId > q.customerId ? 1 : 0,
    );
    const ltvOpts = { horizon: 365, steps: 13, discountRate: ratePerUnit(0.1, 'day'), margin: 1 };
    const cohort = summariseTransactions(byId, { calibrationEnd: CAL_END, timeUnit: 'day' });
    const cli = analyseCohort(cohort, { ltv: ltvOpts });
    if (!cli.ok) throw new Error(cli.error.reason);
    const fileOrder = analyseCohort(
      summariseTransactions(transactions, { calibrationEnd: CAL_END, timeUnit: 'day' }),
      {
        ltv: ltvOpts,
      },
    );
    if (!fileOrder.ok) throw new Error(fileOrder.error.reason);
    const latest = await readLatestValueModelRun(s.warehouse);
    const bg = latest!.bgnbd!;
    const gg = latest!.gammaGamma!;
    for (const k of ['r', 'alpha', 'a', 'b'] as const)
      expect(Math.abs(bg.params[k] - cli.value.bgnbd[k])).toBeLessThan(1e-6);
    for (const k of ['p', 'q', 'v'] as const)
      expect(Math.abs(gg.params[k] - cli.value.gammaGamma[k])).toBeLessThan(1e-6);
    for (const k of ['r', 'alpha', 'a', 'b'] as const)
      expect(Math.abs(bg.params[k] / fileOrder.value.bgnbd[k] - 1)).toBeLessThan(1e-5);
    expect(bg.converged).toBe(true);
    expect(latest?.logLikelihood).toBeCloseTo(cli.value.bgnbd.logLikelihood, 6);
    // The published CDNOW fit is in weeks (α 4.414 weeks); in days α is seven times that, r a b alike.
    expect(bg.params.alpha / 7).toBeCloseTo(4.41, 1);
    expect(bg.params.r).toBeCloseTo(0.243, 2);
    expect(latest).toMatchObject({ written: true, customers: 2357, converged: true });

    const v = await values(s);
    expect(v.size).toBe(2357);
    expect(run.valueModel.users).toBe(2357);
    const cliBy = new Map(cli.value.scores.map((c) => [c.id, c]));
    let compared = 0;
    for (const [id, got] of v) {
      const want = cliBy.get(id)!;
      expect(got.p_alive!).toBeCloseTo(want.pAliveBgNbd, 9);
      expect(got.expected_spend!).toBeCloseTo(want.expectedSpend, 6);
      expect(got.ltv!).toBeCloseTo(want.ltv, 6);
      compared++;
    }
    expect(compared).toBe(2357);
    // Expected purchases over the configured 90 days (the CLI's horizon was the LTV's 365).
    const c1 = cohort.find((c) => c.id === '1')!;
    const horizon90 = fitValueModel([c1, ...cohort.filter((c) => c.id !== '1')], {
      horizonDays: 90,
      ltvHorizonDays: 365,
      annualDiscountRate: 0.1,
      margin: 1,
    }).scores!.find((x) => x.userId === '1')!;
    expect(v.get('1')!.expected_purchases!).toBeCloseTo(horizon90.expectedPurchases, 9);
    // Lifecycle scores and value figures live side by side; a second scoring run keeps both.
    expect(v.get('1')!.lifecycle_stage).not.toBeNull();
    await runScoring(s, 'default', { now: AS_OF + DAY });
    const after = await values(s);
    expect(after.get('1')!.lifecycle_stage).not.toBeNull();
    expect(after.get('1')!.ltv).not.toBeNull();

    // Audiences read the new scores.
    const likelyGone = await countAudience(
      s.warehouse,
      { kind: 'score', score: 'p_alive', op: 'lt', value: 0.5 },
      { now: AS_OF + DAY },
    );
    const want = [...after.values()].filter((r) => r.p_alive! < 0.5).length;
    expect(want).toBeGreaterThan(100);
    expect(likelyGone).toEqual({ ok: true, value: want });
  }, 120_000);
});

describe('purchases as transactions', () => {
  it('are orders (by order id, else user and day) with refunds booked against them, as rekindle btyd counts them', async () => {
    const s = await open(TEST_CONFIG);
    const d = (day: number, h = 10) => AS_OF - day * DAY + (h - 12) * 3_600_000;
    await seed(
      s.warehouse,
      [],
      [
        // u1: order A in two line items and order B the same day (one purchase day, 125); a later
        // day without order ids (two rows, 25); order C refunded in full by a refund event; order D
        // partly refunded by a negative amount of the purchase event.
        row('u1', 'order', d(30), 40, 'A'),
        row('u1', 'order', d(30, 11), 60, 'A'),
        row('u1', 'order', d(30, 15), 25, 'B'),
        row('u1', 'order', d(20), 10),
        row('u1', 'order', d(20, 16), 15),
        row('u1', 'order', d(10), 80, 'C'),
        row('u1', 'refund', d(8), 80, 'C'),
        row('u1', 'order', d(5), 50, 'D'),
        row('u1', 'order', d(4), -20, 'D'),
        // u2: a refund without order id, booked against the latest earlier order; an order after
        // the run's instant is not seen.
        row('u2', 'order', d(40), 70),
        row('u2', 'refund', d(3), 30),
        row('u2', 'order', d(-2), 30),
      ],
    );
    const lines = await readPurchaseLines(s.warehouse, valueModelSettings(TEST_CONFIG), AS_OF);
    expect(lines).toHaveLength(11);
    expect(lines.filter((l) => l.refund).map((l) => l.amount)).toEqual([-80, -20, -30]);
    const customers = valueModelCustomers(lines, AS_OF);
    expect(customers).toHaveLength(2);
    // u1: purchase days −30 (125), −20 (25), −10 (C: 0), −5 (D: 30): x 3, t_x 25, T 30.
    expect(customers[0]).toMatchObject({ id: 'u1', x: 3, tx: 25, T: 30 });
    expect(customers[0]!.monetary).toBeCloseTo((25 + 0 + 30) / 3, 9);
    expect(customers[1]).toMatchObject({ id: 'u2', x: 0, tx: 0, T: 40, monetary: 0 });
  });
});

/**
 * A cohort built to degenerate: 60 buyers who buy every 7 days without fail up to now. Nobody
 * has ever dropped out, so the BG/NBD's drop-out probability a/(a+b) runs to 0, and everyone
 * spends the same each time, so Gamma-Gamma's q runs to infinity.
 */
const regularBuyers = (): EventRow[] => {
  const out: EventRow[] = [];
  for (let u = 0; u < 60; u++)
    for (let day = 200 + (u % 10); day >= 0; day -= 7)
      out.push(row(`r${u}`, 'order', AS_OF - day * DAY, 20 + (u % 5)));
  return out;
};

const OPTS = { horizonDays: 90, ltvHorizonDays: 365, annualDiscountRate: 0.1, margin: 1 };
const summary = (id: string, x: number, tx: number, T: number, monetary = 10) => ({
  id,
  x,
  tx,
  T,
  monetary,
  holdoutPurchases: 0,
  holdoutAmount: 0,
});

describe('a fit that cannot be trusted', () => {
  it('records the warnings with their reasons and writes no per-user values', async () => {
    const s = await open(TEST_CONFIG);
    await seed(s.warehouse, [], regularBuyers());
    // Figures from an earlier trusted run stay as they were.
    await s.warehouse.transaction((tx) =>
      tx.run(`INSERT INTO user_scores (user_id, ltv, p_alive) VALUES ('r1', 123.5, 0.42)`),
    );
    const run = await runScoring(s, 'default', { now: AS_OF });
    const w = run.valueModel.warnings;
    expect(w.map((x) => `${x.model}:${x.code}`)).toEqual([
      'bgnbd:not_converged',
      'bgnbd:parameter_at_bound',
      'gamma_gamma:not_converged',
      'gamma_gamma:parameter_at_bound',
    ]);
    expect(w[0]!.message).toMatch(
      /^BG\/NBD did not converge: the search stopped at the edge of its range after \d+ evaluations$/,
    );
    expect(w[1]!.message).toMatch(
      /^BG\/NBD parameter a = [\d.]+e-[45] ran towards 0 \(to the edge of e\^±10 around its start 1\.000\): the data do not pin it down$/,
    );
    expect(w[3]!.message).toMatch(/^Gamma-Gamma parameter q = [\d.]+e\+4 ran towards infinity/);
    expect(run.valueModel.users).toBe(0);
    const latest = await readLatestValueModelRun(s.warehouse);
    expect(latest).toMatchObject({
      written: false,
      converged: false,
      customers: 60,
      repeatCustomers: 60,
      users: 0,
    });
    expect(latest?.warnings).toEqual(w);
    const v = await values(s);
    expect(v.get('r1')).toMatchObject({ ltv: 123.5, p_alive: 0.42 });
    // Users scored by the lifecycle rules but never by a trusted value fit have no figures.
    expect(v.get('r2')?.ltv ?? null).toBeNull();
    expect(v.get('r2')?.p_alive ?? null).toBeNull();
  });

  it('flags P(alive) ≈ 1 for nearly every repeat buyer when some have plainly lapsed', () => {
    // 40 weekly buyers up to now and 2 silent for 300 days after 3 weekly purchases.
    const cohort = [
      ...Array.from({ length: 40 }, (_, i) => summary(`w${i}`, 50, 350, 352)),
      summary('l1', 3, 21, 321),
      summary('l2', 3, 21, 321),
    ];
    // A fit whose drop-out probability has run to 0 (a → 0).
    const degenerate = pAliveWarning({ r: 1, alpha: 7, a: 1e-9, b: 1 }, cohort);
    expect(degenerate?.code).toBe('p_alive_degenerate');
    expect(degenerate?.values).toMatchObject({ certain: 42, repeat: 42, lapsed: 2 });
    expect(degenerate?.message).toMatch(
      /^P\(alive\) ≥ 0\.99 for 42 of 42 repeat buyers \(100\.0 %\), 2 of them silent for more than 3 of their own purchase intervals/,
    );
    // A sound fit puts the lapsed two near 0, and nothing is flagged.
    expect(pAliveWarning({ r: 1, alpha: 7, a: 0.5, b: 2 }, cohort)).toBeUndefined();
  });

  it('says so when too few buyers bought again, and when spend has no finite mean', () => {
    const few = fitValueModel(
      [summary('u0', 0, 0, 50, 0), summary('u1', 1, 10, 50), summary('u2', 2, 20, 50)],
      OPTS,
    );
    expect(few.scores).toBeNull();
    expect(few.warnings[0]).toMatchObject({
      code: 'too_few_repeat_buyers',
      values: { repeat: 2, customers: 3 },
    });
    expect(few.warnings[0]!.message).toBe(
      'only 2 of 3 buyers bought more than once; the model needs at least 20',
    );
    // Spend per purchase from 1 to 10^8: a Pareto-like tail whose mean does not exist.
    const heavy = fitValueModel(
      Array.from({ length: 200 }, (_, u) =>
        summary(`h${u}`, 1 + (u % 3), 30 + (u % 50), 150, u % 10 === 0 ? 1e6 * (u + 1) : 1 + (u % 7)),
      ),
      OPTS,
    );
    expect(heavy.scores).toBeNull();
    const infinite = heavy.warnings.find((x) => x.code === 'infinite_mean_spend');
    expect(infinite?.message).toMatch(/^Gamma-Gamma q = 0\.\d+ ≤ 1: the mean spend per purchase is infinite/);
  });
});
