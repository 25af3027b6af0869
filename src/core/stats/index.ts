export { erfc, normalCdf, normalQuantile, twoSidedP, zCritical } from './normal.ts';
export {
  newcombeDifference,
  relativeLift,
  twoProportionTest,
  wilson,
  type Interval,
  type TwoProportionTest,
} from './proportions.ts';
export {
  bootstrapMeanDifference,
  quantileSorted,
  type BootstrapResult,
  type RevenueGroup,
} from './bootstrap.ts';
export {
  abVerdict,
  DEFAULT_WINNER_RULE,
  type AbVerdict,
  type Arm,
  type ArmComparison,
  type WinnerRule,
} from './winner.ts';
export { seededRandom } from './rng.ts';
