import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchAppender } from './appender.ts';
import { audienceServiceRows, benchAudienceService } from './audience-service.ts';
import { benchChurnOnWarehouse, churnBenchRows } from './churn-warehouse.ts';
import { benchChurnPeers, churnPeerRows, churnPeersMarkdown } from './churn-peers.ts';
import { benchHillstromLift, hillstromLiftRows } from './hillstrom-lift.ts';
import { benchUplift, upliftBenchRows, upliftMarkdown } from './uplift.ts';
import { benchPlannerSlotMedian, plannerBenchRows } from './planner-slot.ts';
import { benchTriggerLatency, triggerBenchRows } from './trigger-latency.ts';
import { benchClicks, clickBenchRows } from './clicks.ts';
import { benchCliStartup, cliStartupRows } from './cli-startup.ts';
import { benchCompaction } from './compaction.ts';
import { benchDelivery, deliveryBenchRows } from './delivery.ts';
import { benchHttpIngest } from './ingest-http.ts';
import { benchClickHouseIngest, chdbMissing, clickhouseIngestRows } from './clickhouse-ingest.ts';
import { benchIdentityStitch, identityStitchRows } from './identity-stitch.ts';
import { audiencesMarkdown, benchAudiences, DEFAULT_POSTGRES_URL } from './audiences.ts';
import { benchImportMedian, benchLargeImport, importRow, removeWarehouse } from './import-large.ts';
import { machineDescription } from './machine.ts';
import {
  benchClickHouseAudiences,
  clickhouseAudiencesMarkdown,
  clickhouseBenchRows,
  withSection,
  type ClickHouseAudienceBenchResult,
} from './clickhouse-audiences.ts';
import { ChdbMissingError, loadChdb } from '../src/storage/clickhouse/engine-loader.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';

/**
 * `npm run bench`: every figure is measured beside its baseline in the same run, on this
 * machine, and written to docs/benchmarks.md. BENCH_QUICK=1 shrinks the data for a smoke run.
 */
const quick = process.env['BENCH_QUICK'] === '1';
const work = join(process.cwd(), 'data', 'bench');
mkdirSync(work, { recursive: true });

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const rows: string[] = [];
const log = (s: string) => process.stderr.write(`${s}\n`);

/** Replaces the rows starting with `prefix` (or inserts them before `beforePrefix`) and notes when. */
const patchReport = (prefix: string, beforePrefix: string, newRows: string[], what: string) => {
  const old = readFileSync('docs/benchmarks.md', 'utf8').split('\n');
  const kept = old.filter((l) => !l.startsWith(prefix));
  let at = old.findIndex((l) => l.startsWith(prefix));
  if (at < 0) at = kept.findIndex((l) => l.startsWith(beforePrefix));
  if (at < 0) throw new Error(`docs/benchmarks.md has no row starting with '${beforePrefix}'`);
  kept.splice(at, 0, ...newRows);
  const note = `The ${what} rows were re-measured on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (\`BENCH_ONLY\`), baselines in that same run.`;
  const noteAt = kept.findIndex((l) => l.startsWith(`The ${what} rows were re-measured`));
  if (noteAt >= 0) kept[noteAt] = note;
  else {
    const tableEnd = kept.findIndex((l, i) => i > at && !l.startsWith('|'));
    kept.splice(tableEnd < 0 ? kept.length : tableEnd, 0, '', note);
  }
  writeFileSync('docs/benchmarks.md', kept.join('\n'));
};

/** The `large` data loaded by the generator, kept in data/bench between BENCH_ONLY runs. */
const generatedLarge = async (now: number): Promise<string> => {
  const path = join(work, quick ? 'churn-small.duckdb' : 'churn-large.duckdb');
  if (!existsSync(path)) {
    log('generating and loading the large data set (about 10 minutes)…');
    const wh = await Warehouse.open(path);
    await loadDemo(wh, { size: quick ? 'small' : 'large', seed: 7, now });
    wh.close();
  }
  return path;
};

const pgUrl = process.env['BENCH_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL;

if (process.env['BENCH_ONLY'] === 'import') {
  // BENCH_IMPORT_SIZE=demo for a shorter run (3 M records instead of 31 M); medians of BENCH_IMPORT_RUNS.
  const size = (process.env['BENCH_IMPORT_SIZE'] ?? (quick ? 'small' : 'large')) as
    'small' | 'demo' | 'large';
  const runs = Number(process.env['BENCH_IMPORT_RUNS'] ?? 3);
  log(`bulk import of the ${size} data set, ${runs} runs…`);
  const imp = await benchImportMedian(work, size, runs, log);
  patchReport('| Bulk import', '| Compaction', [importRow(imp)], 'bulk import');
  log(`updated the bulk import row of docs/benchmarks.md: ${fmt(imp.recordsPerSecond)} records/s`);
  process.exit(0);
}

if (process.env['BENCH_ONLY'] === 'delivery') {
  const dir = join(work, 'delivery');
  rmSync(dir, { recursive: true, force: true });
  log('delivery: 100 000 messages through the workers…');
  const n = quick ? 10_000 : 100_000;
  const lite = await benchDelivery(dir, n, log);
  rmSync(dir, { recursive: true, force: true });
  const pg = await benchDelivery(dir, n, log, { postgresUrl: pgUrl });
  patchReport('| Delivery', '| Churn', [...deliveryBenchRows(lite), ...deliveryBenchRows(pg)], 'delivery');
  log('updated the delivery row of docs/benchmarks.md');
  process.exit(0);
}

if (process.env['BENCH_ONLY'] === 'campaigns') {
  const now = Date.UTC(2026, 10, 1);
  const path = await generatedLarge(now);
  log('planning a slot of three campaigns…');
  const slot = await benchPlannerSlotMedian(path, now + 2 * 3_600_000, { postgresUrl: pgUrl, log });
  log(`    ${(slot.ms.total / 1000).toFixed(1)} s`);
  log('triggered campaign latency…');
  const trig = await benchTriggerLatency(join(work, 'trigger'), quick ? 200 : 1000);
  log(`    p99 ${Math.round(trig.p99ms)} ms`);
  patchReport('| Planning one slot', '| Churn', plannerBenchRows(slot, quick ? 'small' : 'large'), 'planner');
  patchReport('| Triggered campaign', '| Churn', triggerBenchRows(trig), 'trigger');
  log('updated the planner and trigger rows of docs/benchmarks.md');
  process.exit(0);
}

if (process.env['BENCH_ONLY'] === 'clicks') {
  log('short-link click latency (and a bare Fastify 302 beside it)…');
  const r = await benchClicks(join(work, 'clicks'), { messages: quick ? 1000 : 10_000 });
  log(
    `    p50 ${r.p50ms.toFixed(1)} ms, p99 ${r.p99ms.toFixed(1)} ms (bare: p50 ${r.bareP50ms.toFixed(1)} ms)`,
  );
  patchReport('| Short-link click', '| Churn', clickBenchRows(r), 'click');
  log('updated the click rows of docs/benchmarks.md');
  process.exit(0);
}

if (process.env['BENCH_ONLY'] === 'cli-startup') {
  log('CLI start-up: rekindle --help, compiled, beside node -e 0 and tsx…');
  const r = benchCliStartup(quick ? 5 : 21);
  log(
    `    ${Math.round(r.helpMs)} ms (node -e 0: ${Math.round(r.nodeMs)} ms, tsx: ${Math.round(r.tsxMs)} ms)`,
  );
  patchReport('| CLI start-up', '| Churn', cliStartupRows(r), 'CLI start-up');
  log('updated the CLI start-up row of docs/benchmarks.md');
  process.exit(0);
}

if (process.env['BENCH_ONLY'] === 'audiences') {
  // The audience rows and section alone (issue 20): the generated `large` data (seed 7, as the
  // import writes it) compacted as the full run compacts the imported file, kept in
  // data/bench/audiences-large.duckdb between runs; PostgreSQL is skipped (minutes of loading,
  // and no ratio's baseline). BENCH_AUDIENCE_RUNS sets the DuckDB runs per audience (default 5).
  const now = Date.UTC(2026, 10, 1);
  const size = quick ? 'small' : 'large';
  const path = join(work, `audiences-${size}.duckdb`);
  if (!existsSync(path)) {
    log(`generating, loading and compacting the ${size} data set…`);
    const wh = await Warehouse.open(path);
    await loadDemo(wh, { size, seed: 7, now });
    await wh.compactEvents();
    await wh.checkpoint();
    wh.close();
  }
  log('audiences: compiled vs hand-written DuckDB SQL (PostgreSQL skipped)…');
  const aud = await benchAudiences({
    warehousePath: path,
    postgresUrl: undefined,
    now,
    duckdbRuns: Number(process.env['BENCH_AUDIENCE_RUNS'] ?? 5),
    log,
  });
  log(`    median ratio ${aud.medianRatio.toFixed(2)}×, slowest ${fmt(aud.maxOursMs)} ms`);
  log('saved-audience preview and snapshot…');
  const service = await benchAudienceService(path, now);
  for (const r of service.rows)
    log(`    ${r.name}: preview ${fmt(r.previewMs)} ms, hand count ${fmt(r.handCountMs)} ms`);
  patchReport(
    '| Audience counts',
    '| Churn',
    [
      `| Audience counts: ${aud.rows.length} win-back audiences (see below), compiled and run on the warehouse | \`${size}\`: ${fmt(aud.users)} users, ${fmt(aud.events)} events | **slowest ${fmt(aud.maxOursMs)} ms** | hand-written DuckDB SQL for the same questions, same file | ${aud.medianRatio.toFixed(2)}× (median), ${Math.max(...aud.rows.map((r) => r.ratio)).toFixed(2)}× (highest) | ≤ 1.1× (median), ≤ 1.5× each, < 1 s each |`,
    ],
    'audience counts',
  );
  patchReport(
    '| Saved-audience preview',
    '| Churn',
    audienceServiceRows(service, size).slice(0, -1),
    'preview',
  );
  patchReport('| Snapshot (member list', '| Churn', audienceServiceRows(service, size).slice(-1), 'snapshot');
  const doc = readFileSync('docs/benchmarks.md', 'utf8');
  writeFileSync(
    'docs/benchmarks.md',
    withSection(doc, 'Audiences', audiencesMarkdown(aud, size, 'generated and compacted')),
  );
  log('updated the audience rows and section of docs/benchmarks.md');
  process.exit(0);
}

/** The churn model against its peers on CDNOW (bench/churn-peers.ts): rows and a section of their own. */
const churnPeers = async () => {
  log('churn model vs peers on CDNOW (90-day horizon, 7 cutoffs)…');
  const r = await benchChurnPeers({ work, log });
  patchReport('| Churn vs peers', '| Audience counts', churnPeerRows(r), 'churn-vs-peers');
  const old = readFileSync('docs/benchmarks.md', 'utf8');
  const at = old.indexOf('## Churn model vs peers');
  const rest = at < 0 ? '' : old.slice(at);
  const next = rest.indexOf('\n## ', 3);
  const kept = at < 0 ? old.trimEnd() : (old.slice(0, at) + (next < 0 ? '' : rest.slice(next + 1))).trimEnd();
  writeFileSync('docs/benchmarks.md', `${kept}\n\n${churnPeersMarkdown(r)}`);
  log('updated the churn-vs-peers rows and section of docs/benchmarks.md');
};

/** The holdout-lift report on the Hillstrom e-mail test against the README's figures (issue 21). */
const hillstromLift = async () => {
  log('holdout lift on the Hillstrom e-mail test (64,000 customers as 4 campaigns)…');
  patchReport(
    '| Holdout lift on the Hillstrom',
    '| Audience counts',
    hillstromLiftRows(await benchHillstromLift(log)),
    'Hillstrom lift',
  );
  log('updated the Hillstrom lift rows of docs/benchmarks.md');
};

if (process.env['BENCH_ONLY'] === 'hillstrom-lift') {
  await hillstromLift();
  process.exit(0);
}

/** Uplift learners on the Hillstrom e-mail test (bench/uplift.ts, issue 21): rows and a section of their own. */
const uplift = async () => {
  log('uplift learners on the Hillstrom e-mail test (5 stratified half splits)…');
  const r = await benchUplift(log);
  patchReport('| Uplift,', '| Audience counts', upliftBenchRows(r), 'uplift');
  const old = readFileSync('docs/benchmarks.md', 'utf8');
  const at = old.indexOf('## Uplift on Hillstrom');
  const rest = at < 0 ? '' : old.slice(at);
  const next = rest.indexOf('\n## ', 3);
  const kept = at < 0 ? old.trimEnd() : (old.slice(0, at) + (next < 0 ? '' : rest.slice(next + 1))).trimEnd();
  writeFileSync('docs/benchmarks.md', `${kept}\n\n${upliftMarkdown(r)}`);
  log('updated the uplift rows and section of docs/benchmarks.md');
};

if (process.env['BENCH_ONLY'] === 'uplift') {
  await uplift();
  process.exit(0);
}

if (process.env['BENCH_ONLY'] === 'churn-peers') {
  await churnPeers();
  process.exit(0);
}

if (process.env['BENCH_ONLY'] === 'churn') {
  // The churn model on the `large` data loaded by the generator (kept in data/bench between runs).
  const now = Date.UTC(2026, 10, 1);
  const path = await generatedLarge(now);
  log('churn model: train, score…');
  const r = await benchChurnOnWarehouse(path, now, log);
  patchReport('| Churn', '| Audience counts', churnBenchRows(r, quick ? 'small' : 'large'), 'churn');
  log('updated the churn rows of docs/benchmarks.md');
  await churnPeers();
  process.exit(0);
}

/** The ten audiences on ClickHouse (chDB) beside DuckDB, and the copy between them; undefined without chDB. */
const clickhouseAudiences = async (warehousePath: string, now: number) => {
  try {
    loadChdb();
  } catch (e) {
    if (!(e instanceof ChdbMissingError)) throw e;
    log(`    skipped: ${e.message}`);
    return undefined;
  }
  return benchClickHouseAudiences({ warehousePath, chdbPath: join(work, 'chdb'), now, log });
};

if (process.env['BENCH_ONLY'] === 'clickhouse') {
  const now = Date.UTC(2026, 10, 1);
  const path = await generatedLarge(now);
  log('audiences on ClickHouse (chDB) beside DuckDB, after copying the warehouse…');
  const r = await clickhouseAudiences(path, now);
  if (r === undefined) process.exit(1);
  const size = quick ? 'small' : 'large';
  patchReport(
    '| ClickHouse warehouse:',
    '| Saved-audience preview',
    clickhouseBenchRows(r, size),
    'ClickHouse warehouse',
  );
  const doc = readFileSync('docs/benchmarks.md', 'utf8');
  writeFileSync(
    'docs/benchmarks.md',
    withSection(
      doc,
      'Audiences on ClickHouse',
      clickhouseAudiencesMarkdown(
        r,
        size,
        'loaded by the demo generator (`data/bench`, events in generation order, not compacted), so DuckDB is slower here than in the Audiences section, which reads the imported and compacted file',
      ),
    ),
  );
  log('updated the ClickHouse rows and section of docs/benchmarks.md');
  process.exit(0);
}

/** HTTP ingestion into ClickHouse, one and two processes (bench/clickhouse-ingest.ts); undefined without chDB. */
const clickhouseIngest = async () => {
  const missing = chdbMissing();
  if (missing !== undefined) {
    log(`    skipped: ${missing}`);
    return undefined;
  }
  return benchClickHouseIngest({
    work,
    maxEvents: Number(process.env['BENCH_CH_INGEST_EVENTS'] ?? (quick ? 50_000 : 1_000_000)),
    seconds: Number(process.env['BENCH_CH_INGEST_SECONDS'] ?? (quick ? 10 : 60)),
    connections: Number(process.env['BENCH_HTTP_CONNECTIONS'] ?? 32),
    postgresUrl: pgUrl,
    log,
  });
};

/** Identity stitching: the ClickHouse pass beside DuckDB's in-commit linking (bench/identity-stitch.ts). */
const identityStitch = async () => {
  const missing = chdbMissing();
  if (missing !== undefined) {
    log(`    skipped: ${missing}`);
    return undefined;
  }
  return benchIdentityStitch({
    work,
    users: Number(process.env['BENCH_STITCH_USERS'] ?? (quick ? 1_000 : 5_000)),
    eventsPerVisitor: 5,
    log,
  });
};

if (process.env['BENCH_ONLY'] === 'identity-stitch') {
  log('identity stitching: the ClickHouse pass beside DuckDB…');
  const r = await identityStitch();
  if (r === undefined) process.exit(1);
  patchReport(
    '| Identity stitching on ClickHouse',
    '| Bulk import',
    identityStitchRows(r),
    'identity stitching',
  );
  log('updated the identity stitching row of docs/benchmarks.md');
  process.exit(0);
}

if (process.env['BENCH_ONLY'] === 'clickhouse-ingest') {
  log('HTTP ingestion into ClickHouse (chDB behind the dev front), one and two processes…');
  const r = await clickhouseIngest();
  if (r === undefined) process.exit(1);
  patchReport('| ClickHouse ingestion', '| Bulk import', clickhouseIngestRows(r), 'ClickHouse ingestion');
  log('updated the ClickHouse ingestion rows of docs/benchmarks.md');
  process.exit(0);
}

log('1/9 DuckDB appender (baseline)…');
const rawEvents = quick ? 100_000 : 1_000_000;
const raw = await benchAppender(join(work, 'appender.duckdb'), rawEvents);
log(`    ${fmt(raw.eventsPerSecond)} events/s`);

log('2/9 HTTP ingestion…');
// Concurrent senders (app servers, SDK flushes); BENCH_HTTP_CONNECTIONS changes it.
const connections = Number(process.env['BENCH_HTTP_CONNECTIONS'] ?? 32);
const http = await benchHttpIngest(join(work, 'http'), quick ? 1000 : 10_000, connections);
log(`    ${fmt(http.eventsPerSecond)} events/s`);
if (http.storedEvents !== http.events)
  throw new Error(`stored ${http.storedEvents} of ${http.events} events`);
rows.push(
  `| Ingestion over HTTP, \`POST /v1/batch\` (batches of 100, ${connections} keep-alive connections, 200 only after commit) | ${fmt(http.events)} events | **${fmt(http.eventsPerSecond)} events/s** (p50 ${http.p50ms.toFixed(1)} ms, p99 ${http.p99ms.toFixed(1)} ms per batch) | DuckDB appender, same rows, groups of ${raw.groupSize}, in-process: ${fmt(raw.eventsPerSecond)} events/s (${fmt(raw.events)} events) | ${(http.eventsPerSecond / raw.eventsPerSecond).toFixed(2)}× | ≥ 50 000 events/s |`,
);

if (process.env['BENCH_ONLY'] === 'ingest') {
  // Re-measures the ingestion pair (appender baseline and HTTP, same run) into an existing
  // report, e.g. when the full run shared the cores with other work; says so in the report.
  const old = readFileSync('docs/benchmarks.md', 'utf8').split('\n');
  const at = old.findIndex((l) => l.startsWith('| Ingestion over HTTP'));
  if (at < 0) throw new Error('docs/benchmarks.md has no ingestion row to replace');
  old[at] = rows[0] ?? '';
  const note = `The ingestion row was re-measured on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (\`BENCH_ONLY=ingest\`), appender baseline and HTTP in that same run.`;
  const noteAt = old.findIndex((l) => l.startsWith('The ingestion row was re-measured'));
  if (noteAt >= 0) old[noteAt] = note;
  else {
    const tableEnd = old.findIndex((l, i) => i > at && !l.startsWith('|'));
    old.splice(tableEnd < 0 ? old.length : tableEnd, 0, '', note);
  }
  writeFileSync('docs/benchmarks.md', old.join('\n'));
  log('updated the ingestion row of docs/benchmarks.md');
  process.exit(0);
}

log('2/9 … HTTP ingestion into ClickHouse, one and two processes…');
const chIngest = await clickhouseIngest();
if (chIngest !== undefined) rows.push(...clickhouseIngestRows(chIngest));
const stitch = await identityStitch();
if (stitch !== undefined) rows.push(...identityStitchRows(stitch));

log('3/9 bulk import of the large data set…');
const imp = await benchLargeImport(work, quick ? 'small' : 'large');
log(`    ${fmt(imp.recordsPerSecond)} records/s`);
rows.push(importRow(imp));

const { aud, compaction, service, churn, slot, ch } = await (async () => {
  try {
    log('4/9 compaction (events sorted by event, time)…');
    const compaction = await benchCompaction(imp.warehousePath);
    log(`    ${compaction.seconds.toFixed(1)} s`);
    log('5/9 audiences: compiled vs hand-written DuckDB SQL vs PostgreSQL…');
    const aud = await benchAudiences({
      warehousePath: imp.warehousePath,
      postgresUrl: pgUrl,
      now: imp.now,
      log,
    });
    log('6/9 saved-audience preview and snapshot…');
    const service = await benchAudienceService(imp.warehousePath, imp.now);
    log('7/9 churn model: train, score…');
    const churn = await benchChurnOnWarehouse(imp.warehousePath, imp.now, log);
    log('8/9 planning a slot of three campaigns…');
    const slot = await benchPlannerSlotMedian(imp.warehousePath, imp.now + 2 * 3_600_000, {
      postgresUrl: pgUrl,
      log,
    });
    log('5/9 … the same audiences on ClickHouse (chDB), after copying the warehouse…');
    const ch: ClickHouseAudienceBenchResult | undefined = await clickhouseAudiences(
      imp.warehousePath,
      imp.now,
    );
    return { aud, compaction, service, churn, slot, ch };
  } finally {
    removeWarehouse(imp.warehousePath);
  }
})();
rows.push(
  `| Compaction, \`rekindle compact\` (rewrite \`events\` sorted by event, time; done after the import, before the audiences) | ${fmt(compaction.rows)} events | **${compaction.seconds.toFixed(1)} s** | unsorted copy of the same table: ${compaction.copySeconds.toFixed(1)} s | ${(compaction.seconds / compaction.copySeconds).toFixed(2)}× | — |`,
);
log(`    median ratio ${aud.medianRatio.toFixed(2)}×, slowest ${fmt(aud.maxOursMs)} ms`);
rows.push(
  `| Audience counts: ${aud.rows.length} win-back audiences (see below), compiled and run on the warehouse | \`${imp.size}\`: ${fmt(aud.users)} users, ${fmt(aud.events)} events | **slowest ${fmt(aud.maxOursMs)} ms** | hand-written DuckDB SQL for the same questions, same file (PostgreSQL below) | ${aud.medianRatio.toFixed(2)}× (median) | ≤ 1.3× (median), < 1 s each |`,
);

for (const r of service.rows) {
  rows.push(
    `| Saved-audience preview (count + 20 masked sample rows, via the API's service): "${r.name}" | \`${imp.size}\`: ${fmt(service.users)} users, ${fmt(r.members)} members | **${fmt(r.previewMs)} ms** | hand-written DuckDB count of the same question: ${fmt(r.handCountMs)} ms | ${(r.previewMs / r.handCountMs).toFixed(2)}× | well under 1 s |`,
  );
}
rows.push(
  `| Snapshot (member list frozen in the warehouse + control-plane record): "${service.snapshot.name}" | ${fmt(service.snapshot.members)} members | **${fmt(service.snapshot.ms)} ms** | hand-written \`CREATE TABLE … AS SELECT\` of the same members: ${fmt(service.snapshot.handMs)} ms | ${(service.snapshot.ms / service.snapshot.handMs).toFixed(2)}× | — |`,
);

if (ch !== undefined) rows.push(...clickhouseBenchRows(ch, imp.size));
rows.push(...churnBenchRows(churn, imp.size));
rows.push(...plannerBenchRows(slot, imp.size));
log('9/9 triggered campaign latency…');
rows.push(...triggerBenchRows(await benchTriggerLatency(join(work, 'trigger'), quick ? 200 : 1000)));
log('… CLI start-up (rekindle --help)…');
rows.push(...cliStartupRows(benchCliStartup(quick ? 5 : 21)));

const doc = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}${quick ? ' (BENCH_QUICK: reduced sizes)' : ''}.
Machine: ${machineDescription()}.
Each figure stands beside a baseline measured in the same run on the same data.

| what | data | Rekindle | baseline (same run) | ratio | target |
|---|---|---|---|---|---|
${rows.join('\n')}

How each is measured: \`bench/\` (one file per benchmark). The HTTP server runs as its own
process, as deployed; the load generator (undici, this process) shares the same 2 cores.

${audiencesMarkdown(aud, imp.size)}${ch === undefined ? '' : `\n${clickhouseAudiencesMarkdown(ch, imp.size, 'the imported and compacted file of the Audiences section')}`}`;
mkdirSync('docs', { recursive: true });
writeFileSync('docs/benchmarks.md', doc);
log('wrote docs/benchmarks.md');
await churnPeers();
await hillstromLift();
await uplift();
