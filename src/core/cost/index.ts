export * from './schema.ts';
export { estimateCost, validateCostPlan, type CostEstimate, type CostPlanProblem } from './calculator.ts';
export { averageValueCents, offerPlan } from './offer-plan.ts';
