import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultChurnDefinition } from '../src/core/models/churn/churn-definition.ts';
import type { FeatureMatrix } from '../src/core/models/churn/matrix.ts';
import { rocAuc } from '../src/core/models/churn/metrics/ranking.ts';
import { brierScore } from '../src/core/models/churn/metrics/scoring-rules.ts';
import { evaluateChurnModel, selectColumns, type ChurnEvaluation } from '../src/models/churn/evaluate.ts';
import { loadTransactions } from '../src/models/churn/transactions.ts';
import { ORDINARY_FEATURE_NAMES } from '../src/storage/warehouse/churn-features.ts';

/**
 * The churn model against its peers on a real purchase log (issue 16): CDNOW (23,570 customers,
 * 1997-01 to 1998-06), a 90-day horizon, one evaluation per cutoff. Ours is the stored model
 * (chosen by a later temporal fold, Platt-calibrated) on all features; the peers are trained on
 * the same training rows with the ordinary RFM / tenure / inter-purchase features and scored on
 * the same users: an L2 logistic regression, our GBDT with default settings, and scikit-learn's
 * HistGradientBoostingClassifier with default settings when a Python with scikit-learn is there.
 */
export const CDNOW_MASTER = '/work/shared/data/cdnow/CDNOW_master.txt';
export const CDNOW_CUTOFFS = [
  '1997-10-01',
  '1997-11-01',
  '1997-12-01',
  '1998-01-01',
  '1998-02-01',
  '1998-03-01',
  '1998-04-01',
];

export interface PeerRow {
  cutoff: string;
  users: number;
  churnRate: number;
  ours: { auc: number; brier: number; meanPredicted: number; kind: string };
  logistic: { auc: number; brier: number };
  gbdt: { auc: number; brier: number };
  /** null: scikit-learn not available here (not measured). */
  sklearn: { auc: number; brier: number } | null;
  report: ChurnEvaluation;
}

export interface ChurnPeersBench {
  source: string;
  customers: number;
  orders: number;
  horizonDays: number;
  trainSnapshots: number;
  sklearnVersion: string | null;
  rows: PeerRow[];
}

/** CDNOW's whitespace-separated master file as a transactions CSV (user_id, timestamp, amount). */
const cdnowCsv = (source: string, work: string): string => {
  const out = join(work, 'cdnow.csv');
  if (existsSync(out)) return out;
  const lines = readFileSync(source, 'utf8').split('\n').slice(1);
  const csv = ['user_id,timestamp,amount'];
  for (const l of lines) {
    const f = l.trim().split(/\s+/);
    if (f.length < 4) continue;
    const d = f[1] as string;
    csv.push(`${f[0]},${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)},${f[3]}`);
  }
  writeFileSync(out, `${csv.join('\n')}\n`);
  return out;
};

const matrixCsv = (x: FeatureMatrix, y: Uint8Array): string => {
  const lines = [`y,${Array.from({ length: x.cols }, (_, j) => `f${j}`).join(',')}`];
  for (let i = 0; i < x.rows; i++) {
    const row = [String(y[i])];
    for (let j = 0; j < x.cols; j++) {
      const v = x.values[i * x.cols + j] as number;
      row.push(Number.isFinite(v) ? String(v) : '');
    }
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
};

/** The Python with scikit-learn, if any: `python3` on the path, else the system one. */
const findSklearn = (): { python: string; version: string } | null => {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return null;
};

export const benchChurnPeers = async (options: {
  work: string;
  source?: string;
  cutoffs?: readonly string[];
  trainSnapshots?: number;
  refit?: boolean;
  blendWeights?: readonly number[];
  log?: (s: string) => void;
}): Promise<ChurnPeersBench> => {
  const log = options.log ?? (() => undefined);
  mkdirSync(options.work, { recursive: true });
  const source = options.source ?? CDNOW_MASTER;
  const csv = cdnowCsv(source, options.work);
  const loaded = await loadTransactions(csv);
  const sk = findSklearn();
  log(
    `    CDNOW: ${loaded.users} customers, ${loaded.orders} orders; scikit-learn ${sk ? sk.version : 'not available'}`,
  );
  const horizonDays = 90;
  const trainSnapshots = options.trainSnapshots ?? 5;
  const rows: PeerRow[] = [];
  try {
    for (const c of options.cutoffs ?? CDNOW_CUTOFFS) {
      const { report, data } = await evaluateChurnModel(loaded.warehouse, {
        cutoff: Date.parse(`${c}T00:00:00Z`),
        definition: { ...defaultChurnDefinition(horizonDays), activeDays: 90 },
        seed: 1,
        trainSnapshots,
        peers: true,
        ...(options.refit === undefined ? {} : { refit: options.refit }),
        ...(options.blendWeights ? { blendWeights: options.blendWeights } : {}),
        data: { firstTs: loaded.firstTs, lastTs: loaded.lastTs },
      });
      const peers = report.peers;
      if (!peers) throw new Error('the evaluation returned no peers');
      let sklearn: PeerRow['sklearn'] = null;
      if (sk) {
        const cols = ORDINARY_FEATURE_NAMES.map((n) => data.test.names.indexOf(n)).filter((j) => j >= 0);
        const dir = join(options.work, 'sklearn-peer');
        mkdirSync(dir, { recursive: true });
        writeFileSync(
          join(dir, 'train.csv'),
          matrixCsv(selectColumns(data.train.x, cols), data.train.y as Uint8Array),
        );
        writeFileSync(
          join(dir, 'test.csv'),
          matrixCsv(selectColumns(data.test.x, cols), data.test.y as Uint8Array),
        );
        const r = spawnSync(sk.python, [join('bench', 'churn-peers.py'), dir], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`scikit-learn peer failed: ${r.stderr}`);
        const p = Float64Array.from(
          readFileSync(join(dir, 'out.txt'), 'utf8').trim().split('\n').map(Number),
        );
        const y = data.test.y as Uint8Array;
        sklearn = { auc: rocAuc(p, y), brier: brierScore(p, y) };
      }
      const row: PeerRow = {
        cutoff: c,
        users: report.n,
        churnRate: report.churnRate,
        ours: {
          auc: report.auc,
          brier: report.brier,
          meanPredicted: report.calibrationReport.evaluation?.after.meanPredicted ?? NaN,
          kind: report.selection.chosen,
        },
        logistic: { auc: peers.logistic.auc, brier: peers.logistic.brier },
        gbdt: { auc: peers.gbdt.auc, brier: peers.gbdt.brier },
        sklearn,
        report,
      };
      rows.push(row);
      log(
        `    ${c}: ours ${row.ours.auc.toFixed(4)} (${row.ours.kind}; trees ${report.gbdtAuc.toFixed(4)}, logistic ${report.logisticAuc.toFixed(4)}) | ` +
          `peers: logistic ${row.logistic.auc.toFixed(4)}, GBDT ${row.gbdt.auc.toFixed(4)}, sklearn ${sklearn ? sklearn.auc.toFixed(4) : 'n/a'} | ` +
          `Brier ${row.ours.brier.toFixed(4)} vs ${row.logistic.brier.toFixed(4)} / ${row.gbdt.brier.toFixed(4)}; ` +
          `mean predicted ${row.ours.meanPredicted.toFixed(3)} (before calibration ${(report.calibrationReport.evaluation?.before.meanPredicted ?? NaN).toFixed(3)}) vs observed ${row.churnRate.toFixed(3)}`,
      );
    }
  } finally {
    loaded.warehouse.close();
  }
  return {
    source,
    customers: loaded.users,
    orders: loaded.orders,
    horizonDays,
    trainSnapshots,
    sklearnVersion: sk?.version ?? null,
    rows,
  };
};

const f3 = (x: number) => x.toFixed(3);
const f4 = (x: number) => x.toFixed(4);

/** One row per cutoff for the main table of docs/benchmarks.md (rows start with '| Churn vs peers'). */
export const churnPeerRows = (b: ChurnPeersBench): string[] =>
  b.rows.map((r) => {
    const peers = [r.logistic.auc, r.gbdt.auc, ...(r.sklearn ? [r.sklearn.auc] : [])];
    const best = Math.max(...peers);
    const margin = r.ours.auc - best;
    return (
      `| Churn vs peers on CDNOW, ${b.horizonDays}-day horizon, cutoff ${r.cutoff} (same training rows and evaluation users) | ${r.users.toLocaleString('en-US')} users, ${(100 * r.churnRate).toFixed(1)} % churned | ` +
      `**AUC ${f4(r.ours.auc)}, Brier ${f4(r.ours.brier)}** (${r.ours.kind}, mean predicted ${f3(r.ours.meanPredicted)} vs observed ${f3(r.churnRate)}) | ` +
      `logistic regression on ${r.report.peers?.features.length ?? 0} ordinary features: AUC ${f4(r.logistic.auc)}, Brier ${f4(r.logistic.brier)}; ` +
      `our GBDT, defaults, ordinary features: AUC ${f4(r.gbdt.auc)}, Brier ${f4(r.gbdt.brier)}; ` +
      `scikit-learn HistGradientBoosting: ${r.sklearn ? `AUC ${f4(r.sklearn.auc)}, Brier ${f4(r.sklearn.brier)}` : 'not measured (no scikit-learn)'} | ` +
      `${margin >= 0 ? '+' : ''}${f4(margin)} AUC over the best peer | ≥ every peer |`
    );
  });

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchChurnPeers({
    work: join(process.cwd(), 'data', 'bench'),
    trainSnapshots: Number(process.env['BENCH_SNAPSHOTS'] ?? 5),
    ...(process.env['BENCH_CUTOFFS'] ? { cutoffs: process.env['BENCH_CUTOFFS'].split(',') } : {}),
    ...(process.env['BENCH_REFIT'] ? { refit: process.env['BENCH_REFIT'] === '1' } : {}),
    ...(process.env['BENCH_BLENDS']
      ? { blendWeights: process.env['BENCH_BLENDS'].split(',').map(Number) }
      : {}),
    log: (s) => process.stderr.write(`${s}\n`),
  });
  process.stdout.write(
    `${JSON.stringify(
      r.rows.map(({ report: _r, ...rest }) => rest),
      null,
      1,
    )}\n`,
  );
}

/** The section of docs/benchmarks.md: every cutoff, ours against each peer, and the reliability of the latest one. */
export const churnPeersMarkdown = (b: ChurnPeersBench): string => {
  const na = 'not measured';
  const wins = b.rows.filter(
    (r) => r.ours.auc >= Math.max(r.logistic.auc, r.gbdt.auc, r.sklearn?.auc ?? -1),
  ).length;
  const lines = [
    '## Churn model vs peers (CDNOW, 90-day horizon)',
    '',
    `Written by \`BENCH_ONLY=churn-peers npm run bench\` (also part of \`BENCH_ONLY=churn\` and the full run) on ${new Date().toISOString().slice(0, 10)}.`,
    `Data: CDNOW master (${b.customers.toLocaleString('en-US')} customers, ${b.orders.toLocaleString('en-US')} orders, 1997-01 to 1998-06), the real purchase log in \`/work/shared/data/cdnow\`.`,
    `At each cutoff: users with an order in the 90 days before it; churned = no order in the ${b.horizonDays} days after it.`,
    `Training rows: ${b.trainSnapshots} snapshots 30 days apart, the latest at cutoff − ${b.horizonDays} days (labels end at the cutoff). Every model is trained on these rows and scored on the same users at the cutoff.`,
    '',
    '- **ours**: `rekindle churn evaluate` as shipped: all features (ordinary + cadence), model chosen among trees, logistic regression and blends by mean AUC on two later temporal folds (fitted on snapshots whose labels end before the fold), refitted on all rows, Platt-calibrated on the latest labelled window;',
    '- **logistic**: L2 logistic regression (λ = 1, standardised) on the ordinary features only (activity, recency, frequency, monetary in 90/365 days, tenure, mean inter-order interval);',
    '- **GBDT**: our gradient-boosted trees with default settings on the ordinary features;',
    `- **sklearn**: scikit-learn ${b.sklearnVersion ?? '(absent)'} \`HistGradientBoostingClassifier()\` with default settings on the ordinary features${b.sklearnVersion ? '' : ' — not measured: no Python with scikit-learn on this machine'}.`,
    '',
    '| cutoff | users | churned | ours AUC (kind) | logistic AUC | GBDT AUC | sklearn AUC | ours Brier | logistic Brier | GBDT Brier | sklearn Brier | mean predicted: before → after calibration (observed) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...b.rows.map((r) => {
      const ev = r.report.calibrationReport.evaluation;
      return `| ${r.cutoff} | ${r.users.toLocaleString('en-US')} | ${(100 * r.churnRate).toFixed(1)} % | **${f4(r.ours.auc)}** (${r.ours.kind}) | ${f4(r.logistic.auc)} | ${f4(r.gbdt.auc)} | ${r.sklearn ? f4(r.sklearn.auc) : na} | **${f4(r.ours.brier)}** | ${f4(r.logistic.brier)} | ${f4(r.gbdt.brier)} | ${r.sklearn ? f4(r.sklearn.brier) : na} | ${ev ? `${f3(ev.before.meanPredicted)} → ${f3(ev.after.meanPredicted)}` : na} (${f3(r.churnRate)}) |`;
    }),
    '',
    `Ours has the highest AUC of all models at ${wins} of ${b.rows.length} cutoffs.`,
  ];
  const last = b.rows[b.rows.length - 1];
  const ev = last?.report.calibrationReport.evaluation;
  if (last && ev) {
    const sel = last.report.selection;
    lines.push(
      '',
      `Model choice at ${last.cutoff} (mean AUC on the folds at ${sel.selectCutoffs.map((c) => c.slice(0, 10)).join(', ')}): ` +
        sel.candidates
          .map((c) => `${c.kind === 'blend' ? `blend ${c.blendWeight.toFixed(2)}` : c.kind} ${f4(c.auc)}`)
          .join(', ') +
        `; chosen: ${sel.chosen}${sel.chosen === 'blend' ? ` ${sel.blendWeight.toFixed(2)}` : ''} (blend weights: the trees' share of the raw log-odds).`,
      '',
      `Reliability at ${last.cutoff} (deciles of the prediction on the evaluation users; Platt a = ${f3(last.report.calibrationReport.a)}, b = ${f3(last.report.calibrationReport.b)}, fitted at ${last.report.calibrationReport.fittedOn.slice(0, 10)}):`,
      '',
      '| decile | users | mean predicted before | mean predicted after | observed |',
      '|---|---|---|---|---|',
      ...ev.after.table.map(
        (t, i) =>
          `| ${i + 1} | ${t.count} | ${f3(ev.before.table[i]?.meanPredicted ?? NaN)} | ${f3(t.meanPredicted)} | ${f3(t.observedRate)} |`,
      ),
      '',
      `Brier ${f4(ev.before.brier)} before calibration, ${f4(ev.after.brier)} after.`,
    );
  }
  return `${lines.join('\n')}\n`;
};
