import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { countAudience } from '../src/audience/run-audience.ts';
import { compileAudience } from '../src/core/audience/compiler.ts';
import { formatAudienceError } from '../src/core/audience/schema.ts';
import { countQuery } from '../src/core/audience/sql.ts';
import { clickhouseDialect, namedParams } from '../src/core/sql/dialect.ts';
import { ClickHouseDb } from '../src/storage/clickhouse/client.ts';
import {
  copyDuckDbToClickHouse,
  formatCopyRefusal,
  type TableCopyReport,
} from '../src/storage/clickhouse/copy-from-duckdb.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { audienceCases, type AudienceCase } from './audience-cases.ts';
import { median } from './audiences.ts';
import { machineDescription } from './machine.ts';

/**
 * The ten audiences of `audience-cases.ts` on the ClickHouse engine beside DuckDB, on the same
 * data: the DuckDB warehouse is copied into chDB (`copyDuckDbToClickHouse`, the code behind
 * `rekindle warehouse copy`, timed as its own row), then each audience is compiled once per
 * dialect and counted on both engines. The counts must agree before any time is reported; a
 * case whose counts differ is reported with both counts and its ClickHouse SQL (a compiler bug),
 * never timed.
 */

export interface ClickHouseAudienceBenchOptions {
  warehousePath: string;
  /** chDB's data directory for this run (emptied before and after). */
  chdbPath: string;
  /** The evaluation instant: the `now` the data set was generated with. */
  now: number;
  /** Timed runs per audience and engine after the warm-up (default 5). */
  runs?: number;
  log?: (line: string) => void;
}

export interface ClickHouseAudienceRow {
  name: string;
  members: number;
  /** Medians, milliseconds. */
  duckdbMs: number;
  clickhouseMs: number;
  /** clickhouseMs / duckdbMs. */
  ratio: number;
}

export interface ClickHouseDisagreement {
  name: string;
  duckdb: number;
  /** The ClickHouse count, or the error the query raised. */
  clickhouse: number | string;
  sql: string;
}

export interface ClickHouseAudienceBenchResult {
  engine: string;
  runs: number;
  machine: string;
  /** The 1-minute load average when the timed runs began and ended (the machine may be shared). */
  load: [number, number];
  users: number;
  events: number;
  copy: {
    rows: number;
    seconds: number;
    rowsPerSecond: number;
    mergeSeconds: number;
    tables: TableCopyReport[];
  };
  rows: ClickHouseAudienceRow[];
  disagreements: ClickHouseDisagreement[];
  medianRatio: number;
  maxRatio: number;
}

const timed = async <T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const t = performance.now();
  const value = await run();
  return { ms: performance.now() - t, value };
};

/** Background merges of the freshly inserted parts, waited for (up to a limit) so they do not share the timed runs. */
const settle = async (db: ClickHouseDb, limitMs: number): Promise<number> => {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    const [m] = await db.query<{ n: number }>(
      'SELECT count() AS n FROM system.merges WHERE database = currentDatabase()',
    );
    if (Number(m?.n) === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return (performance.now() - started) / 1000;
};

export const benchClickHouseAudiences = async (
  options: ClickHouseAudienceBenchOptions,
): Promise<ClickHouseAudienceBenchResult> => {
  const log = options.log ?? (() => undefined);
  const runs = options.runs ?? 5;
  const cases = audienceCases(options.now);
  rmSync(options.chdbPath, { recursive: true, force: true });
  const wh = await Warehouse.open(options.warehousePath);
  const db = await ClickHouseDb.open({ kind: 'chdb', path: options.chdbPath, database: 'bench' });
  try {
    const users = Number(await wh.scalar('SELECT count(*) FROM profiles'));
    const events = Number(await wh.scalar('SELECT count(*) FROM events'));
    const engine = `chDB ${String((await db.query<{ v: string }>('SELECT version() AS v'))[0]?.v)}`;

    log(`    copying the warehouse into ${engine}…`);
    const copied = await timed(() => copyDuckDbToClickHouse(wh, db, { log: (l) => log(`      ${l}`) }));
    if (!copied.value.ok) throw new Error(copied.value.error.map(formatCopyRefusal).join('; '));
    const copyRows = copied.value.value.copiedRows;
    const mergeSeconds = await settle(db, 180_000);
    log(
      `    ${copyRows} rows in ${(copied.ms / 1000).toFixed(1)} s; merges settled after ${mergeSeconds.toFixed(0)} s`,
    );

    const onDuckDb = async (c: AudienceCase): Promise<number> => {
      const r = await countAudience(wh, c.tree, { now: options.now });
      if (!r.ok) throw new Error(`${c.name}: ${r.error.map(formatAudienceError).join('; ')}`);
      return r.value;
    };
    const compiled = (c: AudienceCase) => {
      const q = compileAudience(c.tree, { now: options.now, dialect: clickhouseDialect });
      if (!q.ok) throw new Error(`${c.name}: ${q.error.map(formatAudienceError).join('; ')}`);
      return countQuery(q.value);
    };
    const onClickHouse = async (c: AudienceCase): Promise<number> => {
      const q = compiled(c);
      return Number((await db.query<{ n: number }>(q.sql, namedParams(q)))[0]?.n);
    };

    const rows: ClickHouseAudienceRow[] = [];
    const disagreements: ClickHouseDisagreement[] = [];
    const loadBefore = loadavg()[0] ?? 0;
    for (const c of cases) {
      // Warm-up runs, which also give the counts: both must agree before anything is timed.
      const duck = await onDuckDb(c);
      let ch: number | string;
      try {
        ch = await onClickHouse(c);
      } catch (e) {
        ch = e instanceof Error ? e.message : String(e);
      }
      if (ch !== duck) {
        disagreements.push({ name: c.name, duckdb: duck, clickhouse: ch, sql: compiled(c).sql });
        log(`    ${c.name}: COUNTS DIFFER — DuckDB ${duck}, ClickHouse ${String(ch).slice(0, 300)}`);
        continue;
      }
      const duckMs: number[] = [];
      const chMs: number[] = [];
      for (let i = 0; i < runs; i++) {
        // Alternate which goes first, so neither always runs right after the other.
        const order = i % 2 === 0 ? (['duck', 'ch'] as const) : (['ch', 'duck'] as const);
        for (const which of order) {
          const t = await timed(() => (which === 'duck' ? onDuckDb(c) : onClickHouse(c)));
          if (t.value !== duck)
            throw new Error(`audience "${c.name}": ${which} counted ${t.value}, then ${duck}`);
          (which === 'duck' ? duckMs : chMs).push(t.ms);
        }
      }
      const row: ClickHouseAudienceRow = {
        name: c.name,
        members: duck,
        duckdbMs: median(duckMs),
        clickhouseMs: median(chMs),
        ratio: median(chMs) / median(duckMs),
      };
      log(
        `    ${c.name}: ${duck} members, DuckDB ${row.duckdbMs.toFixed(0)} ms, ClickHouse ${row.clickhouseMs.toFixed(0)} ms (${row.ratio.toFixed(2)}×)`,
      );
      rows.push(row);
    }
    return {
      engine,
      runs,
      machine: machineDescription(),
      load: [loadBefore, loadavg()[0] ?? 0],
      users,
      events,
      copy: {
        rows: copyRows,
        seconds: copied.ms / 1000,
        rowsPerSecond: copyRows / (copied.ms / 1000),
        mergeSeconds,
        tables: copied.value.value.tables,
      },
      rows,
      disagreements,
      medianRatio: rows.length === 0 ? Number.NaN : median(rows.map((r) => r.ratio)),
      maxRatio: rows.length === 0 ? Number.NaN : Math.max(...rows.map((r) => r.ratio)),
    };
  } finally {
    await db.close();
    wh.close();
    rmSync(options.chdbPath, { recursive: true, force: true });
  }
};

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n < 10 ? n.toFixed(1) : fmt(n));

/** Rows of the main table: the copy, and the audiences' summary. */
export const clickhouseBenchRows = (r: ClickHouseAudienceBenchResult, size: string): string[] => {
  const events = r.copy.tables.find((t) => t.table === 'events');
  const differ =
    r.disagreements.length === 0
      ? ''
      : `; **${r.disagreements.length} of ${r.rows.length + r.disagreements.length} counts differ** (not timed: ${r.disagreements.map((d) => d.name).join(', ')})`;
  const slowest = r.rows.length === 0 ? 0 : Math.max(...r.rows.map((a) => a.clickhouseMs));
  return [
    `| ClickHouse warehouse: copy from DuckDB, \`rekindle warehouse copy --to chdb://…\` (8 tables, typed Parquet per table, counts verified) | \`${size}\`: ${fmt(r.copy.rows)} rows (${fmt(events?.sourceRows ?? 0)} events) | **${fmt(r.copy.rowsPerSecond)} rows/s** (${r.copy.seconds.toFixed(1)} s; events: export ${((events?.exportMs ?? 0) / 1000).toFixed(1)} s, insert ${((events?.insertMs ?? 0) / 1000).toFixed(1)} s) | — | — | — |`,
    `| ClickHouse warehouse: audience counts on ${r.engine} (in-process), the ${r.rows.length + r.disagreements.length} win-back audiences compiled with the ClickHouse dialect | \`${size}\`: ${fmt(r.users)} users, ${fmt(r.events)} events | **slowest ${fmt(slowest)} ms** (median ratio ${r.medianRatio.toFixed(2)}×, worst ${r.maxRatio.toFixed(2)}×${differ}) | the same audiences compiled for DuckDB, same data, same run | ${r.medianRatio.toFixed(2)}× (median) | ≤ 2× (median) |`,
  ];
};

/** The "Audiences on ClickHouse" section: one row per audience, and any count that differed. */
export const clickhouseAudiencesMarkdown = (
  r: ClickHouseAudienceBenchResult,
  size: string,
  /** How the DuckDB file was made (it decides DuckDB's times: see the Audiences section). */
  dataNote: string,
): string => {
  const rows = r.rows.map(
    (a, i) =>
      `| ${i + 1} | ${a.name} | ${fmt(a.members)} | ${ms(a.duckdbMs)} | **${ms(a.clickhouseMs)}** | ${a.ratio.toFixed(2)}× |`,
  );
  const differ = r.disagreements.map(
    (d) =>
      `- **${d.name}**: DuckDB ${fmt(d.duckdb)}, ClickHouse ${typeof d.clickhouse === 'number' ? fmt(d.clickhouse) : `error: ${d.clickhouse.split('\n')[0]?.slice(0, 300)}`}; ClickHouse SQL:\n\n  \`\`\`sql\n  ${d.sql}\n  \`\`\``,
  );
  const copyTables = r.copy.tables.map(
    (t) => `${t.table} ${fmt(t.sourceRows)} (${((t.exportMs + t.insertMs) / 1000).toFixed(1)} s)`,
  );
  return `## Audiences on ClickHouse

The ten audiences of \`bench/audience-cases.ts\` on the \`${size}\` data (${fmt(r.users)} users,
${fmt(r.events)} events), compiled once per dialect (\`compileAudience(…, { dialect })\`) and counted on
DuckDB and on the ClickHouse engine (${r.engine}, in this process) holding the same rows, copied by
\`copyDuckDbToClickHouse\` (the code behind \`rekindle warehouse copy\`): ${copyTables.join(', ')};
${fmt(r.copy.rowsPerSecond)} rows/s in all, then ${r.copy.mergeSeconds.toFixed(0)} s waiting for ClickHouse's background merges
before timing. Counts agree before any time is taken; times are medians of ${r.runs} runs after a warm-up,
the two engines interleaved, in ms. The DuckDB file: ${dataNote}. Machine: ${r.machine}; 1-minute load
average ${r.load[0].toFixed(1)} when the timed runs began, ${r.load[1].toFixed(1)} when they ended.

| # | audience | members | DuckDB (ms) | ClickHouse (ms) | ratio |
|---|---|---|---|---|---|
${rows.join('\n')}

Median ratio ClickHouse / DuckDB: **${r.medianRatio.toFixed(2)}×** (target ≤ 2×: ${r.medianRatio <= 2 ? 'met' : '**not met**'}); worst ${r.maxRatio.toFixed(2)}×.
${differ.length === 0 ? 'Every count agreed.' : `\nCounts that differed (compiler bugs, not timed):\n\n${differ.join('\n')}`}
`;
};

/** `doc` with its `## title` section replaced by `section` (or `section` appended). */
export const withSection = (doc: string, title: string, section: string): string => {
  const at = doc.indexOf(`\n## ${title}\n`);
  if (at < 0) return `${doc.trimEnd()}\n\n${section}`;
  const next = doc.indexOf('\n## ', at + 1);
  return `${doc.slice(0, at + 1)}${section}${next < 0 ? '' : `\n${doc.slice(next + 1)}`}`;
};
