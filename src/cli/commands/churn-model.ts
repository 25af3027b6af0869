import type { Command } from 'commander';
import { parseInstant } from '../../core/models/churn/transactions.ts';
import type { Runtime } from '../../runtime.ts';
import {
  activateChurnModel,
  ChurnDataError,
  ChurnModelMissing,
  listChurnModels,
  scoreChurnRisk,
  trainChurnModel,
  userChurnRiskAs,
  type ChurnModelRecord,
  type ChurnScoringRun,
} from '../../scores/churn-model.ts';
import type { ReasonLocale } from '../../core/models/churn/reason-words.ts';
import { formatChurnEvaluation, type ChurnCliIo } from './churn-format.ts';

/**
 * `rekindle churn train` and `rekindle churn score`: the churn model on the warehouse, stored
 * in the control plane. They open the stores themselves, so run them with the server stopped
 * (DuckDB lets one process hold the warehouse) or use the API.
 */

export const formatChurnModel = (m: ChurnModelRecord): string =>
  `Stored churn model version ${m.version} (${m.id}), now active; trained in ${m.metrics.trainingSeconds.toFixed(1)} s\n` +
  formatChurnEvaluation(m.metrics);

export const formatChurnScoring = (r: ChurnScoringRun): string =>
  [
    `Scored churn risk of ${r.users.toLocaleString('en-US')} users as of ${new Date(r.asOf).toISOString()} ` +
      `with model version ${r.modelVersion} (${r.modelId}) in ${(r.ms.total / 1000).toFixed(2)} s`,
    `  levels   high ${r.levels.high} · medium ${r.levels.medium} · low ${r.levels.low} ` +
      `(score ≥ ${r.thresholds.high} high, ≥ ${r.thresholds.medium} medium)`,
    `  reasons  ${r.reasons} rows in churn_risk_reasons (top 3 per user, ${r.reasonMethod} contributions)`,
    ...(r.cleared > 0 ? [`  cleared  ${r.cleared} users no longer eligible`] : []),
    '',
  ].join('\n');

export const formatChurnModelList = (models: readonly ChurnModelRecord[]): string =>
  models.length === 0
    ? 'No churn model has been trained yet (rekindle churn train).\n'
    : [
        'version  id                   active  trained (UTC)     cutoff      AUC    logistic  recency',
        ...models.map(
          (m) =>
            `${String(m.version).padEnd(9)}${m.id.padEnd(21)}${(m.active ? 'yes' : '').padEnd(8)}` +
            `${new Date(m.createdAt).toISOString().slice(0, 16).replace('T', ' ').padEnd(18)}` +
            `${m.params.cutoff.slice(0, 10).padEnd(12)}${m.metrics.auc.toFixed(3).padEnd(7)}` +
            `${m.metrics.logisticAuc.toFixed(3).padEnd(10)}${m.metrics.baselineRecencyAuc.toFixed(3)}`,
        ),
        '',
      ].join('\n');

const json = (v: unknown) => `${JSON.stringify(v)}\n`;

/** One user's risk and reasons as sentences (`rekindle churn risk`). */
export const formatUserChurnRisk = (
  r: {
    userId: string;
    score: number | null;
    level: string | null;
    reasons: { rank: number; contribution: number; text: Record<ReasonLocale, string> }[];
  },
  locale: ReasonLocale,
): string => {
  const en = locale === 'en';
  if (r.score === null) return en ? `${r.userId}: not scored\n` : `${r.userId}：尚未评分\n`;
  return [
    en
      ? `${r.userId}: churn risk ${r.score} (${r.level ?? '—'})`
      : `${r.userId}：流失风险 ${r.score}（${r.level === 'high' ? '高' : r.level === 'medium' ? '中' : '低'}）`,
    ...r.reasons.map((x) => `  ${x.rank}. ${x.text[locale]}  (+${x.contribution.toFixed(2)})`),
    '',
  ].join('\n');
};

export const registerChurnModelCommands = (
  churn: Command,
  open: () => Promise<Runtime>,
  io: ChurnCliIo = process,
): void => {
  const fail = (command: string, message: string): void => {
    io.stderr.write(`rekindle churn ${command}: ${message}\n`);
    process.exitCode = 2;
  };
  churn
    .command('train')
    .description(
      'train a churn model on the warehouse with the workspace churn definition (temporal split: ' +
        'features at cutoff − horizon, evaluated at the cutoff); stores it as the next version and makes it active',
    )
    .option('--cutoff <date>', 'evaluation instant, ISO-8601 (default: now − horizon)')
    .option(
      '--horizon-days <n>',
      'days after a cutoff a user must stay active in (default: the churn definition days)',
    )
    .option('--json', 'print the stored model record as JSON')
    .action(async (opts: { cutoff?: string; horizonDays?: string; json?: boolean }) => {
      let cutoff: number | undefined;
      if (opts.cutoff !== undefined) {
        const c = parseInstant(opts.cutoff.trim());
        if (!c.ok) return fail('train', `--cutoff: ${c.error}`);
        cutoff = c.value;
      }
      let horizonDays: number | undefined;
      if (opts.horizonDays !== undefined) {
        if (!/^\d+$/.test(opts.horizonDays.trim()) || Number(opts.horizonDays) < 1)
          return fail('train', `--horizon-days must be a whole number >= 1, got '${opts.horizonDays}'`);
        horizonDays = Number(opts.horizonDays);
      }
      const rt = await open();
      try {
        const { record: m } = await trainChurnModel(rt, {
          ...(cutoff === undefined ? {} : { cutoff }),
          ...(horizonDays === undefined ? {} : { horizonDays }),
        });
        io.stdout.write(opts.json ? json(m) : formatChurnModel(m));
      } catch (e) {
        if (e instanceof ChurnDataError) return fail('train', e.message);
        throw e;
      } finally {
        await rt.close();
      }
    });
  churn
    .command('score')
    .description(
      'score the churn risk of every eligible user with the active model into user_scores ' +
        '(churn_risk_score, churn_risk_level) and churn_risk_reasons',
    )
    .option('--model <id>', 'score with this stored model instead of the active one')
    .option('--json', 'print the run as JSON')
    .action(async (opts: { model?: string; json?: boolean }) => {
      const rt = await open();
      try {
        const r = await scoreChurnRisk(rt, opts.model === undefined ? {} : { modelId: opts.model });
        io.stdout.write(opts.json ? json(r) : formatChurnScoring(r));
      } catch (e) {
        if (e instanceof ChurnModelMissing || e instanceof ChurnDataError) return fail('score', e.message);
        throw e;
      } finally {
        await rt.close();
      }
    });
  churn
    .command('risk <user-id>')
    .description('a user’s churn risk and its top reasons, in words (from the latest scoring run)')
    .option('--lang <locale>', 'zh-CN or en', 'en')
    .option('--json', 'print the answer as JSON (the sentences in both languages)')
    .action(async (userId: string, opts: { lang: string; json?: boolean }) => {
      if (opts.lang !== 'en' && opts.lang !== 'zh-CN')
        return fail('risk', `--lang must be zh-CN or en, got '${opts.lang}'`);
      const rt = await open();
      try {
        // The operator at the console of this installation reads as the default workspace's admin.
        const actor = { userId: 0, workspaceId: 'default', name: 'cli', role: 'admin' } as const;
        const r = await userChurnRiskAs(rt, actor, userId);
        if (!r.ok) return fail('risk', r.error.type === 'not_found' ? `no user '${userId}'` : r.error.type);
        io.stdout.write(opts.json ? json(r.value) : formatUserChurnRisk(r.value, opts.lang));
      } finally {
        await rt.close();
      }
    });
  churn
    .command('models')
    .description('list the stored churn model versions, newest first, with their evaluation')
    .option('--json', 'print the records as JSON')
    .action(async (opts: { json?: boolean }) => {
      const rt = await open();
      try {
        const models = await listChurnModels(rt);
        io.stdout.write(opts.json ? json(models) : formatChurnModelList(models));
      } finally {
        await rt.close();
      }
    });
  churn
    .command('activate <id>')
    .description('make a stored churn model version the active one (the one scoring uses)')
    .option('--json', 'print the record as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const rt = await open();
      try {
        const m = await activateChurnModel(rt, id.trim());
        io.stdout.write(opts.json ? json(m) : `Churn model version ${m.version} (${m.id}) is now active.\n`);
      } catch (e) {
        if (e instanceof ChurnModelMissing) return fail('activate', e.message);
        throw e;
      } finally {
        await rt.close();
      }
    });
};
