import { ascendingOrder } from './ranking.ts';

/** One bin of a calibration table: rows of similar predicted probability and what happened to them. */
export interface CalibrationBin {
  count: number;
  minPredicted: number;
  maxPredicted: number;
  meanPredicted: number;
  /** Share of positives among the bin's rows. */
  observedRate: number;
}

/**
 * Calibration table by quantiles of the prediction (deciles by default): rows sorted by
 * predicted probability and cut into `bins` groups of equal size (the first groups take one
 * row more when the count does not divide). A calibrated model has meanPredicted ≈
 * observedRate in every bin.
 */
export const calibrationTable = (
  probabilities: Float64Array,
  labels: Uint8Array,
  bins = 10,
): CalibrationBin[] => {
  if (probabilities.length !== labels.length) {
    throw new Error(`${probabilities.length} predictions for ${labels.length} labels`);
  }
  const n = probabilities.length;
  const order = ascendingOrder(probabilities);
  const out: CalibrationBin[] = [];
  const groups = Math.min(bins, n);
  let start = 0;
  for (let b = 0; b < groups; b++) {
    const size = Math.floor(n / groups) + (b < n % groups ? 1 : 0);
    let sum = 0;
    let pos = 0;
    for (let k = start; k < start + size; k++) {
      const i = order[k] as number;
      sum += probabilities[i] as number;
      pos += labels[i] === 1 ? 1 : 0;
    }
    out.push({
      count: size,
      minPredicted: probabilities[order[start] as number] as number,
      maxPredicted: probabilities[order[start + size - 1] as number] as number,
      meanPredicted: sum / size,
      observedRate: pos / size,
    });
    start += size;
  }
  return out;
};
