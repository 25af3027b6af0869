export * from './schema.ts';
export { validateOffer, type OfferProblem } from './validate.ts';
export {
  decideAmount,
  valueCents,
  type AmountDecision,
  type AmountRefusal,
  type UserHistory,
} from './amount.ts';
export { CODE_ALPHABET, CODE_LENGTH, normaliseOfferCode, offerCode } from './code.ts';
export { conditionText, formatNumber, formatYuan, type ConditionText } from './condition-text.ts';
export { issueOffer, type IssueContext, type IssuedOffer } from './issue.ts';
export {
  dependsOnHistory,
  expectedOfferCost,
  offerCost,
  reservedOfferCents,
  type OfferCost,
} from './cost.ts';
