import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { countAudience } from '../src/audience/run-audience.ts';
import { formatAudienceError } from '../src/core/audience/schema.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { audienceCases, type AudienceCase } from './audience-cases.ts';

/**
 * The audience benchmark: ten win-back audiences (`audience-cases.ts`) counted on the warehouse
 * through the compiler (`countAudience`, the code behind the preview), beside the hand-written
 * DuckDB SQL for the same question on the same file, and beside the same question on PostgreSQL
 * holding the same rows. Every count must agree on all three before any time is reported.
 */

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface AudienceBenchOptions {
  warehousePath: string;
  /**
   * A server this process may create and drop a database on (the server runs on this machine);
   * undefined skips PostgreSQL (`BENCH_ONLY=audiences`: its load takes minutes, and it is no
   * baseline of the ratios).
   */
  postgresUrl: string | undefined;
  /** The evaluation instant: the `now` the data set was generated with. */
  now: number;
  /** DuckDB runs per audience after the warm-up (default 5); PostgreSQL runs (default 3). */
  duckdbRuns?: number;
  postgresRuns?: number;
  log?: (line: string) => void;
}

export interface AudienceRow {
  name: string;
  description: string;
  members: number;
  /** Medians, milliseconds. */
  oursMs: number;
  handMs: number;
  /** oursMs / handMs. */
  ratio: number;
  /** Undefined when PostgreSQL was skipped. */
  postgresMs: number | undefined;
}

export interface AudienceBenchResult {
  users: number;
  events: number;
  rows: AudienceRow[];
  medianRatio: number;
  maxOursMs: number;
  /** DuckDB runs per audience after the warm-up. */
  runs: number;
  postgres: PostgresLoad | undefined;
}

export interface PostgresLoad {
  server: string;
  /** Export from DuckDB to CSV, COPY into PostgreSQL, then indexes and VACUUM ANALYZE. */
  exportSeconds: number;
  copySeconds: number;
  indexSeconds: number;
  totalSeconds: number;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const timed = async <T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const t = performance.now();
  const value = await run();
  return { ms: performance.now() - t, value };
};

/**
 * The PostgreSQL copy: the columns the audiences read, every row of `events`, `profiles` and
 * `profile_history`. Unlogged tables (a benchmark copy needs no WAL), C collation (byte order,
 * as DuckDB compares), indexes added after the load, then VACUUM ANALYZE so the planner has
 * statistics and index-only scans see an all-visible map.
 */
const PG_TABLES: readonly { name: string; ddl: string; select: string }[] = [
  {
    name: 'events',
    ddl: `CREATE UNLOGGED TABLE events (user_id text NOT NULL, event text NOT NULL, ts timestamp NOT NULL,
            amount double precision, category text, properties jsonb)`,
    select: 'SELECT user_id, event, ts, amount, category, properties FROM events',
  },
  {
    name: 'profiles',
    ddl: `CREATE UNLOGGED TABLE profiles (user_id text NOT NULL, register_time timestamp,
            acquisition_channel text, city text, balance double precision, membership text,
            consent_sms boolean, consent_push boolean)`,
    select:
      'SELECT user_id, register_time, acquisition_channel, city, balance, membership, consent_sms, consent_push FROM profiles',
  },
  {
    name: 'profile_history',
    ddl: `CREATE UNLOGGED TABLE profile_history (user_id text NOT NULL, attribute text NOT NULL, value jsonb,
            valid_from timestamp NOT NULL, received_at timestamp NOT NULL, message_id text NOT NULL)`,
    select: 'SELECT user_id, attribute, value, valid_from, received_at, message_id FROM profile_history',
  },
];

const PG_INDEXES: readonly string[] = [
  'ALTER TABLE profiles ADD PRIMARY KEY (user_id)',
  'CREATE INDEX events_user_event_ts ON events (user_id, event, ts)',
  'CREATE INDEX events_event_ts ON events (event, ts) INCLUDE (user_id, amount)',
  'CREATE INDEX profile_history_attribute_user ON profile_history (attribute, user_id, valid_from)',
];

/** Session settings of the benchmark connection, as a DBA would give an analytics session. */
const PG_SESSION = [
  "SET work_mem = '256MB'",
  "SET maintenance_work_mem = '1GB'",
  // A query that hangs must fail the run, not stall it.
  "SET statement_timeout = '15min'",
];

const databaseUrl = (serverUrl: string, database: string): string => {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
};

/** Loads the warehouse's tables into a fresh database; `drop` removes it (safe to call twice). */
export const loadPostgres = async (
  wh: Warehouse,
  serverUrl: string,
  log: (line: string) => void,
): Promise<{ client: pg.Client; load: PostgresLoad; drop: () => Promise<void> }> => {
  const database = `rekindle_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  let client: pg.Client | undefined;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await client?.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  };
  const dir = mkdtempSync(join(tmpdir(), 'rekindle-bench-pg-'));
  try {
    const server = String(
      (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version,
    );
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(
      `CREATE DATABASE ${database} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`,
    );
    const db = new pg.Client({ connectionString: databaseUrl(serverUrl, database) });
    client = db;
    await db.connect();
    for (const s of PG_SESSION) await db.query(s);
    // The server reads the files itself (COPY … FROM 'path'), as the postgres user.
    chmodSync(dir, 0o755);
    const started = performance.now();
    let exportMs = 0;
    let copyMs = 0;
    for (const table of PG_TABLES) {
      const file = join(dir, `${table.name}.csv`);
      const ex = await timed(() =>
        wh.query(`COPY (${table.select}) TO '${file.replaceAll("'", "''")}' (FORMAT csv, HEADER false)`),
      );
      chmodSync(file, 0o644);
      await db.query(table.ddl);
      const cp = await timed(() =>
        db.query(`COPY ${table.name} FROM '${file.replaceAll("'", "''")}' (FORMAT csv)`),
      );
      rmSync(file, { force: true });
      exportMs += ex.ms;
      copyMs += cp.ms;
      log(
        `    ${table.name}: ${cp.value.rowCount ?? 0} rows (export ${(ex.ms / 1000).toFixed(1)} s, COPY ${(cp.ms / 1000).toFixed(1)} s)`,
      );
    }
    const ix = await timed(async () => {
      for (const s of PG_INDEXES) await db.query(s);
      await db.query('VACUUM ANALYZE');
    });
    log(`    indexes + VACUUM ANALYZE ${(ix.ms / 1000).toFixed(1)} s`);
    return {
      client: db,
      drop,
      load: {
        server: `PostgreSQL ${server}`,
        exportSeconds: exportMs / 1000,
        copySeconds: copyMs / 1000,
        indexSeconds: ix.ms / 1000,
        totalSeconds: (performance.now() - started) / 1000,
      },
    };
  } catch (e) {
    await drop().catch(() => undefined);
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const count = (rows: readonly Record<string, unknown>[]): number => Number(rows[0]?.['n']);

export const benchAudiences = async (options: AudienceBenchOptions): Promise<AudienceBenchResult> => {
  const log = options.log ?? (() => undefined);
  const duckdbRuns = options.duckdbRuns ?? 5;
  const postgresRuns = options.postgresRuns ?? 3;
  const cases = audienceCases(options.now);
  const wh = await Warehouse.open(options.warehousePath);
  try {
    const users = Number(await wh.scalar('SELECT count(*) FROM profiles'));
    const events = Number(await wh.scalar('SELECT count(*) FROM events'));

    const ours = async (c: AudienceCase): Promise<number> => {
      const r = await countAudience(wh, c.tree, { now: options.now });
      if (!r.ok) throw new Error(`${c.name}: ${r.error.map(formatAudienceError).join('; ')}`);
      return r.value;
    };
    const hand = async (c: AudienceCase): Promise<number> => count(await wh.query(c.duckdb));

    if (options.postgresUrl !== undefined)
      log(
        `    loading PostgreSQL (${users.toLocaleString('en-US')} users, ${events.toLocaleString('en-US')} events)…`,
      );
    const pgUrl = options.postgresUrl;
    const { client, load, drop } =
      pgUrl === undefined
        ? { client: undefined, load: undefined, drop: async () => undefined }
        : await loadPostgres(wh, pgUrl, log);
    try {
      const onPostgres = async (c: AudienceCase): Promise<number | undefined> =>
        client === undefined
          ? undefined
          : count((await client.query<Record<string, unknown>>(c.postgres)).rows);
      const rows: AudienceRow[] = [];
      for (const c of cases) {
        // Warm-up runs, which also give the counts: all three must agree and be non-trivial.
        const pgCount = await onPostgres(c);
        const counts = [await ours(c), await hand(c), ...(pgCount === undefined ? [] : [pgCount])];
        if (new Set(counts).size !== 1) {
          throw new Error(
            `audience "${c.name}": counts differ — compiled ${counts[0]}, hand-written DuckDB ${counts[1]}, PostgreSQL ${counts[2]}`,
          );
        }
        const members = counts[0]!;
        if (!(members > 0 && members < users))
          throw new Error(`audience "${c.name}" matches ${members} of ${users} users: not a meaningful test`);
        const oursMs: number[] = [];
        const handMs: number[] = [];
        for (let i = 0; i < duckdbRuns; i++) {
          // Alternate which goes first, so neither always finds the other's leftovers in cache.
          const order = i % 2 === 0 ? (['ours', 'hand'] as const) : (['hand', 'ours'] as const);
          for (const which of order) {
            const t = await timed(() => (which === 'ours' ? ours(c) : hand(c)));
            if (t.value !== members)
              throw new Error(`audience "${c.name}": ${which} counted ${t.value}, then ${members}`);
            (which === 'ours' ? oursMs : handMs).push(t.ms);
          }
        }
        const pgMs: number[] = [];
        for (let i = 0; client !== undefined && i < postgresRuns; i++)
          pgMs.push((await timed(() => onPostgres(c))).ms);
        const row: AudienceRow = {
          name: c.name,
          description: c.description,
          members,
          oursMs: median(oursMs),
          handMs: median(handMs),
          ratio: median(oursMs) / median(handMs),
          postgresMs: pgMs.length === 0 ? undefined : median(pgMs),
        };
        log(
          `    ${c.name}: ${members} members, ours ${row.oursMs.toFixed(0)} ms, hand ${row.handMs.toFixed(0)} ms ` +
            `(${row.ratio.toFixed(2)}×), PostgreSQL ${row.postgresMs?.toFixed(0) ?? '—'} ms`,
        );
        rows.push(row);
      }
      return {
        users,
        events,
        rows,
        medianRatio: median(rows.map((r) => r.ratio)),
        maxOursMs: Math.max(...rows.map((r) => r.oursMs)),
        runs: duckdbRuns,
        postgres: load,
      };
    } finally {
      await drop();
    }
  } finally {
    wh.close();
  }
};

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n < 10 ? n.toFixed(1) : fmt(n));
const verdict = (met: boolean) => (met ? 'met' : '**not met**');

/** The "Audiences" section of docs/benchmarks.md. */
export const audiencesMarkdown = (r: AudienceBenchResult, size: string, dataNote?: string): string => {
  const rows = r.rows.map(
    (a, i) =>
      `| ${i + 1} | **${a.name}**: ${a.description} | ${fmt(a.members)} | **${ms(a.oursMs)}** | ${ms(a.handMs)} | ${a.ratio.toFixed(2)}× | ${a.postgresMs === undefined ? '—' : ms(a.postgresMs)} |`,
  );
  const pg = r.postgres;
  const maxRatio = Math.max(...r.rows.map((a) => a.ratio));
  return `## Audiences

Ten win-back audiences (\`bench/audience-cases.ts\`) on the ${dataNote ?? 'imported'} \`${size}\` data set
(${fmt(r.users)} users, ${fmt(r.events)} events), each counted three ways in the same run:
**Rekindle** compiles the audience tree and runs it on the warehouse (\`countAudience\`, as the
preview does); **hand-written DuckDB** is the best SQL we could write by hand for the same question on
the same file; **PostgreSQL** answers the same question on a copy of the same rows (${pg?.server ?? 'not run in this re-measure: `BENCH_ONLY=audiences` skips it'},
same machine). The counts agree for every audience (checked before timing). Times are medians
in ms: DuckDB ${r.runs} runs (compiled and hand-written interleaved), PostgreSQL 3 runs, each after a warm-up.

| # | audience | members | Rekindle (ms) | hand-written DuckDB (ms) | ratio | PostgreSQL (ms) |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Median ratio to hand-written DuckDB SQL: **${r.medianRatio.toFixed(2)}×** (target ≤ 1.1×: ${verdict(r.medianRatio <= 1.1)}); highest **${maxRatio.toFixed(2)}×** (target ≤ 1.5× each: ${verdict(maxRatio <= 1.5)}).
Slowest audience: **${fmt(r.maxOursMs)} ms** (target < 1 s each: ${verdict(r.maxOursMs < 1000)}).

${AUDIENCE_SQL_SHAPE}
${
  pg === undefined
    ? ''
    : `
The PostgreSQL copy holds the columns the audiences read, in unlogged tables with C collation.
Loading it took ${pg.totalSeconds.toFixed(0)} s: export from DuckDB to CSV ${pg.exportSeconds.toFixed(0)} s, server-side \`COPY\`
${pg.copySeconds.toFixed(0)} s, then indexes — events (user_id, event, ts), events (event, ts) INCLUDE (user_id, amount),
profile_history (attribute, user_id, valid_from), the profiles primary key — and \`VACUUM ANALYZE\`
${pg.indexSeconds.toFixed(0)} s. Session \`work_mem\` 256 MB; server settings as installed.
`
}`;
};

/** What the compiled SQL looks like, and what was changed to close the gap (issue 20). */
export const AUDIENCE_SQL_SHAPE = `The compiled SQL: \`SELECT p.user_id FROM profiles p WHERE <users who existed then> AND <predicate>\`,
each behaviour condition a semi-join (\`p.user_id IN (SELECT user_id FROM events … GROUP BY user_id HAVING …)\`)
or an anti-join (\`NOT IN\`). Siblings of an \`and\` on the same events (same name and filters; windows
last N days, between, or none) are answered in one pass, as the hand-written SQL does: one \`GROUP BY user_id\`
over the union of their windows, each condition an aggregate with \`FILTER (WHERE <its window>)\` in one
\`HAVING\` (e.g. "paid ≥ 3 times in 90 days and not in the last 14" reads the \`pay\` events once), on both
dialects. A group needs one condition that requires an event (a \`did\`, a metric that 0 fails, a first/last
time, a sequence not under a \`not\`), so that its users are all in the group. A two-step sequence (or its
\`not\`) whose first step reads the group's events joins it: each event is ASOF LEFT joined to the first
next-step event after it, and the sequence is a \`FILTER\`ed count of the starts that completed in time (the
cart abandoners' hand-written shape). What remains between the compiled and the hand-written SQL is the
universe: the compiled query reads \`profiles\` (1 M rows) for the users who existed then, and DuckDB
builds its semi-join's hash table on that side (\`RIGHT_SEMI\`), where the hand-written counts read events
only; this is most of the gap of "lapsed repeat payers", "new buyers" and "lapsed buyers minus a holdout"
(whose bucket's md5 also runs on every profile rather than on the lapsed buyers).`;
