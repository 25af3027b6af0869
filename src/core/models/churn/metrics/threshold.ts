import { ascendingOrder } from './ranking.ts';

/** Counts and rates when rows scoring at or above `threshold` are called positive. */
export interface ThresholdReport {
  threshold: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** tp / (tp + fp); 0 when nothing is called positive. */
  precision: number;
  /** tp / (tp + fn); 0 when there are no positives. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
}

const report = (threshold: number, tp: number, fp: number, positives: number, n: number): ThresholdReport => {
  const fn = positives - tp;
  const tn = n - positives - fp;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = positives > 0 ? tp / positives : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { threshold, tp, fp, fn, tn, precision, recall, f1 };
};

export const atThreshold = (scores: Float64Array, labels: Uint8Array, threshold: number): ThresholdReport => {
  if (scores.length !== labels.length) throw new Error(`${scores.length} scores for ${labels.length} labels`);
  let tp = 0;
  let fp = 0;
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    const y = labels[i] === 1;
    if (y) positives++;
    if ((scores[i] as number) >= threshold) {
      if (y) tp++;
      else fp++;
    }
  }
  return report(threshold, tp, fp, positives, scores.length);
};

/** How to choose the threshold: the one of best F1, or the highest that still reaches a recall. */
export type ThresholdRule = { kind: 'max-f1' } | { kind: 'target-recall'; recall: number };

/**
 * Chooses a threshold among the distinct scores (a threshold t calls rows with score >= t
 * positive). `max-f1` keeps the highest threshold among equally good ones; `target-recall`
 * the highest threshold whose recall reaches the target. Returns the report at that threshold.
 */
export const chooseThreshold = (
  scores: Float64Array,
  labels: Uint8Array,
  rule: ThresholdRule,
): ThresholdReport => {
  if (scores.length !== labels.length) throw new Error(`${scores.length} scores for ${labels.length} labels`);
  const n = scores.length;
  if (n === 0) throw new Error('no scores to choose a threshold from');
  const order = ascendingOrder(scores);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] === 1 ? 1 : 0;
  let tp = 0;
  let fp = 0;
  let best: ThresholdReport | undefined;
  for (let i = n - 1; i >= 0;) {
    const s = scores[order[i] as number] as number;
    let j = i;
    while (j >= 0 && scores[order[j] as number] === s) {
      if (labels[order[j] as number] === 1) tp++;
      else fp++;
      j--;
    }
    const r = report(s, tp, fp, positives, n);
    if (rule.kind === 'max-f1') {
      if (!best || r.f1 > best.f1) best = r;
    } else if (r.recall >= rule.recall) return r;
    i = j;
  }
  return best ?? report(scores[order[0] as number] as number, tp, fp, positives, n);
};
