import { Type, type Static } from '@sinclair/typebox';
import { VALUE_WARNING_CODES } from '../../core/models/btyd/value-model.ts';

/** `GET /v1/scores/value-model`: the latest run of the customer-value model (features.md B7). */

const Num = Type.Number();
const Fit = {
  logLikelihood: Num,
  converged: Type.Boolean(),
  evaluations: Type.Integer(),
};

export const ValueWarningView = Type.Object({
  code: Type.Union(VALUE_WARNING_CODES.map((c) => Type.Literal(c))),
  model: Type.Union([Type.Literal('bgnbd'), Type.Literal('gamma_gamma')]),
  message: Type.String({ description: 'the precise reason, in English' }),
  values: Type.Record(Type.String(), Num, { description: 'the numbers the message cites' }),
});

export const ValueModelRunView = Type.Object({
  runId: Type.String({ description: 'the scoring run it belongs to' }),
  asOf: Type.String({ format: 'date-time' }),
  settings: Type.Object({
    enabled: Type.Boolean(),
    purchaseEvent: Type.String(),
    amount: Type.String(),
    refundEvent: Type.String(),
    horizonDays: Type.Integer(),
    ltvHorizonDays: Type.Integer(),
    annualDiscountRate: Num,
    margin: Num,
  }),
  customers: Type.Integer({ description: 'buyers with at least one purchase up to asOf' }),
  repeatCustomers: Type.Integer(),
  converged: Type.Boolean({ description: 'both searches converged' }),
  logLikelihood: Type.Union([Num, Type.Null()], { description: "the BG/NBD's; null when it was not fitted" }),
  bgnbd: Type.Union([
    Type.Object({
      params: Type.Object({ r: Num, alpha: Num, a: Num, b: Num }, { description: 'time in days' }),
      ...Fit,
    }),
    Type.Null(),
  ]),
  gammaGamma: Type.Union([
    Type.Object({
      params: Type.Object({ p: Num, q: Num, v: Num }),
      ...Fit,
      customers: Type.Integer({ description: 'repeat buyers with a positive spend it was fitted on' }),
      populationMeanSpend: Type.Union([Num, Type.Null()], { description: 'null: infinite (q ≤ 1)' }),
    }),
    Type.Null(),
  ]),
  warnings: Type.Array(ValueWarningView, {
    description: 'why the per-user values of this run were not written; empty when they were',
  }),
  written: Type.Boolean({ description: 'the per-user values in user_scores come from this run' }),
  users: Type.Integer({ description: 'users whose values were written' }),
  summary: Type.Union([
    Type.Object({
      meanPAlive: Num,
      likelyGone: Type.Integer({ description: 'users with P(alive) < 0.5' }),
      expectedPurchases: Type.Number({ description: 'all users, over horizonDays' }),
      meanLtv: Num,
      totalLtv: Num,
    }),
    Type.Null(),
  ]),
});

export const ValueModelView = Type.Object({
  latest: Type.Union([ValueModelRunView, Type.Null()], { description: 'null before the first run' }),
  valuesAsOf: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description:
      'the instant of the run whose per-user values user_scores holds (an earlier one when the latest was not trusted)',
  }),
});
export type ValueModelView = Static<typeof ValueModelView>;
