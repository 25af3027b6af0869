import type { ChurnEvaluation } from '../../models/churn/evaluate.ts';

/**
 * What `churn evaluate` (churn.ts) and `churn train` (churn-model.ts) both print; a module of its
 * own so that the two commands do not import each other.
 */

/** Where the command writes; the process streams in real use, buffers in tests. */
export interface ChurnCliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const fmt = (x: number, digits = 4): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** The human summary of an evaluation. */
export const formatChurnEvaluation = (r: Omit<ChurnEvaluation, 'seconds'>): string => {
  const t = r.threshold;
  const lines = [
    `Churn model evaluated at ${r.cutoff} (horizon ${r.horizonDays} days; users active in the ${r.activeDays} days before)`,
    `  trained at ${r.trainCutoff} on ${r.trainN} users (${r.trainChurned} churned), ${r.trees} trees`,
    `  evaluated on ${r.n} users, ${r.churned} churned (${(100 * r.churnRate).toFixed(1)} %)`,
    `  ROC AUC        ${fmt(r.auc)}   (recency alone ${fmt(r.baselineRecencyAuc)}, logistic regression ${fmt(r.logisticAuc)})`,
    `  PR AUC         ${fmt(r.prAuc)}   (logistic regression ${fmt(r.logisticPrAuc)})`,
    `  threshold      ${fmt(t.threshold)}: precision ${fmt(t.precision, 3)}, recall ${fmt(t.recall, 3)}, F1 ${fmt(t.f1, 3)}`,
    `  log-loss       ${fmt(r.logLoss)}, Brier ${fmt(r.brier)}`,
    '  calibration (deciles): mean predicted → observed',
    ...r.calibration.map(
      (b, i) =>
        `    ${String(i + 1).padStart(2)}  ${fmt(b.meanPredicted, 3)} → ${fmt(b.observedRate, 3)}  (${b.count} users)`,
    ),
    '  top features (share of split gain, mean |SHAP| in log-odds):',
    ...r.featureImportance
      .slice(0, 8)
      .map((f) => `    ${f.feature.padEnd(24)} ${fmt(f.gainShare, 3)}  ${fmt(f.meanAbsShap, 3)}`),
  ];
  return `${lines.join('\n')}\n`;
};
