import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseTimestamp } from '../../core/events/timestamp.ts';
import type { Runtime } from '../../runtime.ts';
import { churnStructure, type ChurnStructure, type MetricSide } from '../../scores/churn-structure.ts';
import { COHORT_BYS, COHORT_GRAINS } from '../../core/scores/churn-structure.ts';
import { importReasonsCsv, ReasonImportError, type ReasonImportReport } from '../../scores/churn-reasons.ts';
import { runScoring, type ScoringRun } from '../../scores/run-scoring.ts';
import { loadScoreConfig, putScoreConfig } from '../../scores/score-config.ts';

/**
 * `rekindle scores compute|config`, `rekindle analyse churn-structure`, `rekindle import-reasons`.
 * They open the stores themselves, so run them while the server is stopped (DuckDB lets one
 * process hold the warehouse) or use the API.
 */

export interface ScoresCliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const count = (n: number): string => n.toLocaleString('en-US');
const pct = (r: number | null): string => (r === null ? '–' : `${(r * 100).toFixed(1)} %`);
const num = (v: number | null): string =>
  v === null ? '–' : Number.isInteger(v) ? count(v) : v.toLocaleString('en-US', { maximumFractionDigits: 2 });
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);
const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, v]) => `${k} ${count(v)}`)
    .join(' · ');

const STAGE_ORDER = ['new', 'growing', 'mature', 'silent', 'churned'];
const ordered = (counts: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(counts).sort(([a], [b]) => STAGE_ORDER.indexOf(a) - STAGE_ORDER.indexOf(b)),
  );

export const formatScoringRun = (r: ScoringRun): string => {
  const lines = [
    `Scored ${count(r.scores.users)} users as of ${new Date(r.asOf).toISOString()} in ${(r.ms.total / 1000).toFixed(2)} s (${r.runId})`,
    `  stages   ${list(ordered(r.scores.stages))}`,
    `  tiers    ${list(r.scores.tiers)}`,
    `  events   tier_changed ${count(r.scores.tierChanged)} · lifecycle_changed ${count(r.scores.lifecycleChanged)} · warning_raised ${count(r.warnings.raised)}`,
  ];
  const v = r.valueModel;
  if (v.ran)
    lines.push(
      v.warnings.length === 0
        ? `  value    BG/NBD + Gamma-Gamma on ${count(v.customers)} buyers (${count(v.repeatCustomers)} bought again): P(alive), expected purchases and spend, LTV for ${count(v.users)} users`
        : `  value    NOT used (${count(v.customers)} buyers, ${count(v.repeatCustomers)} bought again): ${v.warnings.map((w) => w.message).join('; ')}`,
    );
  for (const w of r.warnings.rules)
    lines.push(
      `  rule     '${w.name}' (${w.level}): ${count(w.matching)} warned, ${count(w.raised)} new, ${count(w.cleared)} cleared`,
    );
  for (const f of r.warnings.failed)
    lines.push(
      `  rule     '${f.name}' NOT evaluated: ${f.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
  return `${lines.join('\n')}\n`;
};

const sideText = (s: MetricSide) =>
  `${s.quantiles.map((q) => `p${Math.round(q.p * 100)} ${num(q.value)}`).join(' · ')} · mean ${num(
    s.mean === null ? null : Math.round(s.mean * 100) / 100,
  )}`;

export const formatChurnStructure = (s: ChurnStructure): string => {
  const out: string[] = [];
  out.push(
    `Churn structure as of ${new Date(s.asOf).toISOString()} (churned: none of ${s.definition.events.join(', ')} for ${s.definition.days} days)`,
    `Users ${count(s.users)} · eligible ${count(s.eligible)} (${count(s.tooNew)} registered less than ${s.definition.days} days ago) · churned ${count(s.churned)} (${pct(s.churnRate)})`,
    '',
    `Stages now: ${s.currentStages.map((c) => `${c.stage} ${count(c.users)} (${pct(c.share)})`).join(' · ')}`,
    '',
    `${pad('Churned from stage', 22)}${lpad('reached', 10)}${lpad('churned', 10)}${lpad('rate', 9)}${lpad('of churned', 12)}`,
  );
  for (const r of s.byStage)
    out.push(
      `  ${pad(r.stage, 20)}${lpad(count(r.reached), 10)}${lpad(count(r.churned), 10)}${lpad(pct(r.churnRate), 9)}${lpad(pct(r.shareOfChurned), 12)}`,
    );
  out.push(
    '',
    `${pad('By acquisition channel', 22)}${lpad('users', 10)}${lpad('churned', 10)}${lpad('rate', 9)}   churn rate in new / growing / mature`,
  );
  for (const c of s.byChannel)
    out.push(
      `  ${pad(c.key, 20)}${lpad(count(c.users), 10)}${lpad(count(c.churned), 10)}${lpad(pct(c.churnRate), 9)}   ${c.stages
        .map((x) => pct(x.churnRate))
        .join(' / ')}`,
    );
  out.push(
    '',
    `${pad('By registration month', 22)}${lpad('users', 10)}${lpad('churned', 10)}${lpad('rate', 9)}`,
  );
  for (const c of s.byCohort)
    out.push(
      `  ${pad(c.key, 20)}${lpad(count(c.users), 10)}${lpad(count(c.churned), 10)}${lpad(pct(c.churnRate), 9)}`,
    );
  if (s.cohorts.by !== 'registration' || s.cohorts.grain !== 'month') {
    const title =
      s.cohorts.by === 'registration'
        ? `By registration ${s.cohorts.grain}`
        : s.cohorts.by === 'campaign'
          ? 'By acquisition campaign'
          : 'By acquisition channel';
    out.push(
      '',
      `${pad(title, 22)}${lpad('users', 10)}${lpad('churned', 10)}${lpad('rate', 9)}${lpad('of churned', 12)}`,
    );
    for (const c of s.cohorts.rows)
      out.push(
        `  ${pad(c.key, 20)}${lpad(count(c.users), 10)}${lpad(count(c.churned), 10)}${lpad(pct(c.churnRate), 9)}${lpad(pct(c.shareOfChurned), 12)}`,
      );
  }
  out.push('', 'Churned vs retained');
  for (const m of s.profile) {
    out.push(`  ${m.name}`, `    churned   ${sideText(m.churned)}`, `    retained  ${sideText(m.retained)}`);
    if (m.churned.histogram.length > 0) {
      const bins = m.churned.histogram.map((b, i) => {
        const label =
          b.from === null
            ? `< ${num(b.to)}`
            : b.to === null
              ? `≥ ${num(b.from)}`
              : `${num(b.from)}–<${num(b.to)}`;
        return `${label}: ${pct(b.share)} vs ${pct(m.retained.histogram[i]?.share ?? null)}`;
      });
      out.push(`    bins (churned vs retained)  ${bins.join(' · ')}`);
    }
  }
  if (s.reasons.length > 0) {
    out.push('', 'Churn reasons (latest answer per user)');
    for (const r of s.reasons)
      out.push(`  ${pad(r.reason, 20)}${lpad(count(r.users), 10)} users, ${count(r.churned)} churned`);
  }
  return `${out.join('\n')}\n`;
};

export const formatReasonImport = (file: string, r: ReasonImportReport): string => {
  const lines = [
    `Imported churn reasons from ${file} in ${(r.ms / 1000).toFixed(1)} s`,
    `  lines     ${count(r.records)}`,
    `  accepted  ${count(r.accepted)}`,
    `  rejected  ${count(r.rejected)}`,
  ];
  if (r.errors.length > 0) {
    lines.push('Errors:');
    for (const e of r.errors.slice(0, 50)) lines.push(`  line ${e.index}, field ${e.field}: ${e.reason}`);
    if (r.errors.length > 50) lines.push(`  … and ${r.errors.length - 50} more (--json lists all)`);
  }
  return `${lines.join('\n')}\n`;
};

const asOfOption = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const t = parseTimestamp(text);
  if (Number.isNaN(t)) throw new Error(`--as-of: expected an ISO-8601 date or date-time, got '${text}'`);
  return t;
};

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

export const registerScoresCommands = (
  program: Command,
  open: () => Promise<Runtime>,
  io: ScoresCliIo = process,
): void => {
  const scores = program.command('scores').description('lifecycle stages, RFM tiers and early warnings');
  scores
    .command('compute')
    .description('compute stages and RFM tiers into user_scores and evaluate the warning rules now')
    .option('--as-of <time>', 'evaluate as of this instant (ISO-8601)')
    .option('--json', 'print the run as JSON')
    .action(async (opts: { asOf?: string; json?: boolean }) => {
      const now = asOfOption(opts.asOf);
      const rt = await open();
      try {
        const run = await runScoring(rt, 'default', { now });
        io.stdout.write(opts.json ? json(run) : formatScoringRun(run));
      } finally {
        await rt.close();
      }
    });
  scores
    .command('config')
    .description('print the scoring configuration as JSON, or replace it with --set')
    .option('--set <file>', 'a JSON file with the whole configuration (validated; errors name the path)')
    .action(async (opts: { set?: string }) => {
      const rt = await open();
      try {
        const current = await loadScoreConfig(rt.control, 'default');
        if (opts.set === undefined) {
          io.stdout.write(
            json({ version: current.version, isDefault: current.isDefault, config: current.config }),
          );
          return;
        }
        let config: unknown;
        try {
          config = JSON.parse(readFileSync(opts.set, 'utf8'));
        } catch (e) {
          throw new Error(`${opts.set}: ${e instanceof Error ? e.message : String(e)}`);
        }
        const r = await putScoreConfig(rt, null, { version: current.version, config });
        if (r.ok) {
          io.stdout.write(`Scoring configuration is now version ${r.value.version}.\n`);
          return;
        }
        const f = r.error;
        io.stderr.write(
          f.type === 'invalid'
            ? `rekindle: ${f.message}:\n${f.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}\n`
            : `rekindle: ${f.type === 'not_found' ? f.what : f.reason}\n`,
        );
        process.exitCode = 1;
      } finally {
        await rt.close();
      }
    });

  for (const name of ['analyse', 'analyze']) {
    const analyse = program
      .command(name)
      .description(name === 'analyse' ? 'analyses of the warehouse' : 'same as analyse');
    analyse
      .command('churn-structure')
      .description(
        'churn share by lifecycle stage, acquisition channel, registration month; churned vs retained',
      )
      .option('--as-of <time>', 'analyse as of this instant (ISO-8601)')
      .option('--by <cohort>', 'cohorts by registration | campaign | channel', 'registration')
      .option('--grain <grain>', 'registration cohorts by day | week | month', 'month')
      .option('--json', 'print the analysis as JSON')
      .action(async (opts: { asOf?: string; by: string; grain: string; json?: boolean }) => {
        const by = COHORT_BYS.find((b) => b === opts.by);
        const grain = COHORT_GRAINS.find((g) => g === opts.grain);
        if (by === undefined || grain === undefined) {
          io.stderr.write(
            `rekindle analyse churn-structure: --by must be ${COHORT_BYS.join(' | ')} and --grain ${COHORT_GRAINS.join(' | ')}\n`,
          );
          process.exitCode = 2;
          return;
        }
        const rt = await open();
        try {
          const asOf = asOfOption(opts.asOf) ?? rt.clock();
          const { config } = await loadScoreConfig(rt.control, 'default');
          const s = await churnStructure(rt.warehouse, config, asOf, { by, grain });
          io.stdout.write(opts.json ? json(s) : formatChurnStructure(s));
        } finally {
          await rt.close();
        }
      });
  }

  program
    .command('import-reasons <csv>')
    .description(
      'import call-back survey answers (CSV with a header: user_id, reason, note?, answered_at?); ' +
        'exits 1 when lines were rejected, 2 when the file cannot be used',
    )
    .option('--by <name>', 'who recorded them (kept with each answer)', 'import')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { by: string; json?: boolean }) => {
      const rt = await open();
      try {
        const report = await importReasonsCsv(rt, file, { recordedBy: opts.by });
        io.stdout.write(opts.json ? json(report) : formatReasonImport(file, report));
        if (report.rejected > 0) process.exitCode = 1;
      } catch (e) {
        if (!(e instanceof ReasonImportError)) throw e;
        io.stderr.write(`rekindle: ${e.message}\n`);
        process.exitCode = 2;
      } finally {
        await rt.close();
      }
    });
};
