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

/** Model choice, calibration and the reliability table before and after it (absent in reports stored before them). */
const selectionLines = (r: Omit<ChurnEvaluation, 'seconds'>): string[] => {
  const sel = r.selection as ChurnEvaluation['selection'] | undefined;
  const cal = r.calibrationReport as ChurnEvaluation['calibrationReport'] | undefined;
  if (!sel || !cal) return [];
  const name = (c: { kind: string; blendWeight: number }) =>
    c.kind === 'blend' ? `blend(${c.blendWeight.toFixed(2)})` : c.kind;
  const lines = [
    `  model choice   ${name({ kind: sel.chosen, blendWeight: sel.blendWeight })}, by validation AUC on the ${sel.fold} fold at ${sel.selectCutoff} (${sel.selectRows} users): ` +
      sel.candidates.map((c) => `${name(c)} ${fmt(c.auc)}`).join(', '),
    `  calibration    Platt, a ${fmt(cal.a, 3)}, b ${fmt(cal.b, 3)}, fitted on the window at ${cal.fittedOn} (${cal.rows} users)`,
  ];
  const ev = cal.evaluation;
  if (ev) {
    lines.push(
      `  mean predicted ${fmt(ev.before.meanPredicted, 3)} before calibration, ${fmt(ev.after.meanPredicted, 3)} after; observed ${fmt(ev.after.observedRate, 3)}`,
      `  Brier          ${fmt(ev.before.brier)} before calibration, ${fmt(ev.after.brier)} after`,
      '  reliability (deciles): mean predicted before / after calibration → observed (users)',
      ...ev.after.table.map((b, i) => {
        const before = ev.before.table[i];
        return `    ${String(i + 1).padStart(2)}  ${before ? fmt(before.meanPredicted, 3) : 'n/a'} / ${fmt(b.meanPredicted, 3)} → ${fmt(b.observedRate, 3)}  (${b.count})`;
      }),
    );
  }
  if (r.peers) {
    const p = r.peers;
    lines.push(
      `  peers (${p.features.length} ordinary features, same rows): logistic AUC ${fmt(p.logistic.auc)} Brier ${fmt(p.logistic.brier)}; ` +
        `GBDT AUC ${fmt(p.gbdt.auc)} Brier ${fmt(p.gbdt.brier)}`,
    );
  }
  return lines;
};

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
    ...selectionLines(r),
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
