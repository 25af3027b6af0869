/**
 * Ranking metrics of scores against binary labels (1 = positive, e.g. churned). Both return
 * NaN when one class is absent, where they are undefined.
 */

const checkInput = (scores: Float64Array, labels: Uint8Array): void => {
  if (scores.length !== labels.length) throw new Error(`${scores.length} scores for ${labels.length} labels`);
};

/** Row indices ordered by ascending score (ties by index, so the order is deterministic). */
export const ascendingOrder = (scores: Float64Array): Uint32Array => {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b);
};

/**
 * Area under the ROC curve, as the Mann–Whitney U statistic over average ranks: tied scores
 * share the mean of their ranks, so a tie between a positive and a negative counts one half.
 */
export const rocAuc = (scores: Float64Array, labels: Uint8Array): number => {
  checkInput(scores, labels);
  const n = scores.length;
  const order = ascendingOrder(scores);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n;) {
    const s = scores[order[i] as number] as number;
    let j = i + 1;
    while (j < n && scores[order[j] as number] === s) j++;
    const meanRank = (i + 1 + j) / 2; // ranks i+1 … j
    for (let k = i; k < j; k++) {
      if (labels[order[k] as number] === 1) {
        positives++;
        rankSum += meanRank;
      }
    }
    i = j;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
};

/**
 * Area under the precision–recall curve as average precision: Σ (R_k − R_{k−1}) · P_k over
 * the distinct score thresholds from the highest down (tied scores enter together), as
 * scikit-learn's `average_precision_score`.
 */
export const averagePrecision = (scores: Float64Array, labels: Uint8Array): number => {
  checkInput(scores, labels);
  const n = scores.length;
  const order = ascendingOrder(scores);
  let total = 0;
  for (let i = 0; i < n; i++) total += labels[i] === 1 ? 1 : 0;
  if (total === 0 || total === n) return NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let i = n - 1; i >= 0;) {
    const s = scores[order[i] as number] as number;
    let j = i;
    while (j >= 0 && scores[order[j] as number] === s) {
      if (labels[order[j] as number] === 1) tp++;
      seen++;
      j--;
    }
    const recall = tp / total;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
    i = j;
  }
  return ap;
};
