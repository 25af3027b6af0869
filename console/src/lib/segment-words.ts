/**
 * The strategy matrix's dimensions in words (value tier, churn risk, churn reason, lifecycle
 * stage), the same words as the planner's skip details: src/core/strategies/segment-words.ts
 * imports nothing, so the bundle takes no server code with it.
 */
export { segmentLabel, type SegmentDimension } from '../../../src/core/strategies/segment-words.ts';
