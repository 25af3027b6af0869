/**
 * `npm run reliability`: tries Rekindle the way an attacker, a flaky network and a careless
 * operator would, and writes what happened to docs/reliability.md (issue 13).
 *
 * - Malformed ingestion requests and import files, mixed with valid sibling records, against a
 *   fresh server: 5xx answers, imprecise refusals, and valid siblings lost or stored twice.
 * - Malformed management-API requests against a fresh server with saved objects.
 * - Delivery at the default settings (2 000 SMS through a provider at 10/s) and delivery killed
 *   with SIGKILL five times mid-send, through a real SMTP server and a plain webhook: copies per
 *   recipient counted at receivers that do not de-duplicate.
 *
 * `RELIABILITY_SEED` (default 13) and `RELIABILITY_COUNT` (default 1 000 requests per suite) vary
 * the inputs; `RELIABILITY_ONLY=inputs` skips the slower delivery runs (about 10 minutes).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineDescription } from '../bench/machine.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { runIngestBadInputsOnFreshServer } from '../test/support/bad-input-ingest.ts';
import { createManagementFixtures, runManagementBadInputs } from '../test/support/bad-input-management.ts';
import {
  runDefaultSettingsScenario,
  runKillScenario,
  type ScenarioFigures,
} from '../test/support/exactly-once.ts';
import { postJson, startTestServer } from '../test/support/runtime.ts';

const seed = Number(process.env['RELIABILITY_SEED'] ?? 13);
const count = Number(process.env['RELIABILITY_COUNT'] ?? 1000);
const only = process.env['RELIABILITY_ONLY'];
const started = new Date();
const log = (s: string) => process.stdout.write(`${s}\n`);

interface Row {
  tried: string;
  inputs: string;
  fiveXX: number | string;
  imprecise: number | string;
  lost: number | string;
  duplicated: number | string;
  kills: number | string;
  notes: string;
  ok: boolean;
}
const rows: Row[] = [];
const examples: string[] = [];

/** A fresh server with an admin, a few users, an audience, a campaign, a provider and a rule. */
const managementRun = async () => {
  const server = await startTestServer();
  try {
    const admin = await createUser(server.rt.control, { name: 'root', role: 'admin' });
    if (!admin.ok) throw new Error('admin exists');
    const token = await issueApiToken(server.rt.control, admin.value.id);
    await createManagementFixtures(server.url, token, async (batch) => {
      await postJson(`${server.url}/v1/batch`, { batch });
    });
    return await runManagementBadInputs({ baseUrl: server.url, token, seed, count });
  } finally {
    await server.stop();
    server.cleanup();
  }
};

const deliveryRow = (tried: string, f: ScenarioFigures): Row => {
  const lost = f.other + f.sentNotReceivedOnce;
  return {
    tried,
    inputs: `${f.messages.toLocaleString('en')} messages`,
    fiveXX: '–',
    imprecise: '–',
    lost,
    duplicated: f.duplicates,
    kills: f.kills,
    notes:
      `${f.received.toLocaleString('en')} received, ${f.sent.toLocaleString('en')} sent, ` +
      `${f.unknown} reported unknown (sent once at most, never re-sent), campaign ${f.campaign ?? '?'}`,
    ok:
      f.duplicates === 0 &&
      lost === 0 &&
      f.logSentKeys === f.sent &&
      f.logSentEntries === f.sent &&
      f.logUnknownKeys === f.unknown &&
      f.campaign === 'finished',
  };
};

const withDir = async <T>(work: (dir: string) => Promise<T>): Promise<T> => {
  const dir = mkdtempSync(join(tmpdir(), 'rekindle-reliability-'));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

log(`ingestion and import: ${count} malformed requests (seed ${seed})`);
const ingest = await runIngestBadInputsOnFreshServer({ seed, count });
rows.push({
  tried:
    'Ingestion (`/v1/track`, `/v1/identify`, `/v1/batch`, gzip bodies) and import files: malformed records mixed with valid siblings',
  inputs: `${ingest.requests.toLocaleString('en')} requests, ${ingest.malformed.toLocaleString('en')} malformed records, ${ingest.validSent.toLocaleString('en')} valid siblings`,
  fiveXX: ingest.fiveXX,
  imprecise: ingest.imprecise,
  lost: ingest.lost,
  duplicated: ingest.duplicated,
  kills: '–',
  notes: `${ingest.validStored.toLocaleString('en')} of ${ingest.validSent.toLocaleString('en')} valid siblings stored`,
  ok: ingest.fiveXX === 0 && ingest.imprecise === 0 && ingest.lost === 0 && ingest.duplicated === 0,
});
examples.push(...ingest.examples.map((e) => `ingestion: ${e}`));

log(`management API: ${count} malformed requests (seed ${seed})`);
const management = await managementRun();
rows.push({
  tried:
    'Management API (audiences, campaigns, providers, rules, …): malformed bodies, odd Unicode, extreme numbers and dates, deep nesting, huge trees',
  inputs: `${management.requests.toLocaleString('en')} requests`,
  fiveXX: management.fiveXX,
  imprecise: management.imprecise,
  lost: '–',
  duplicated: '–',
  kills: '–',
  notes: `answers by status: ${Object.entries(management.byStatus)
    .map(([s, n]) => `${s} × ${n}`)
    .join(', ')}`,
  ok: management.fiveXX === 0 && management.imprecise === 0,
});
examples.push(...management.examples.map((e) => `management: ${e}`));

if (only !== 'inputs') {
  log('delivery at the default settings: 2 000 SMS, provider at 10/s (about 4 minutes)');
  rows.push(
    deliveryRow(
      'Delivery at the defaults (60 s lease, 1 000-row claims, two loops): 2 000 SMS through a gateway at 10/s',
      await withDir((d) => runDefaultSettingsScenario(d)),
    ),
  );
  for (const kind of ['smtp', 'webhook'] as const) {
    log(`delivery killed with SIGKILL five times: ${kind}`);
    rows.push(
      deliveryRow(
        kind === 'smtp'
          ? 'Delivery of e-mail through a real SMTP server (`smtp-server`), `rekindle serve` killed with SIGKILL 5 times mid-send'
          : 'Delivery through a plain webhook that does not de-duplicate, `rekindle serve` killed with SIGKILL 5 times mid-send',
        await withDir((d) => runKillScenario(d, kind)),
      ),
    );
  }
}

const cell = (v: number | string) => (typeof v === 'number' ? v.toLocaleString('en') : v);
const md = `# Reliability

What Rekindle was put through, and what came out. Produced by \`npm run reliability\`
(\`scripts/reliability.ts\`; seed ${seed}, ${count.toLocaleString('en')} requests per input suite) on
${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machineDescription()}. The same runs are
tests in \`npm test\` (\`test/bad-input-ingest.test.ts\`, \`test/bad-input-management.test.ts\`,
\`test/delivery-exactly-once.test.ts\`), which fail on any 5xx, imprecise refusal, lost or duplicated
record or message.

- **5xx**: answers with a status of 500 or more (a malformed request must get a 4xx).
- **imprecise**: a refusal that does not name the record (index), the field and the reason.
- **lost**: a valid record not stored (ingestion), or a message with no outcome or marked sent
  without reaching its recipient exactly once (delivery).
- **duplicated**: a valid record stored twice, or a copy of a message a recipient got a second
  time (receivers count copies and never de-duplicate).
- A message whose send a crash interrupted, at a provider that does not de-duplicate by key, is
  reported \`unknown\` and never re-sent (docs/delivery.md); it counts neither as lost nor
  duplicated, and reports show it.

Before issue 13 (code of 2026-12-02, commit 923be56), the same kinds of runs gave: ingestion
with 800 generated malformed requests (seed 7), 302 answers ≥ 500, 471 imprecise refusals and 903
of 958 valid siblings lost; delivery at the defaults, 4,200 SMS requests for 2,000 phones (3,000
duplicate copies) while the outbox said 1,200 sent and the campaign never finished.

| What was tried | Inputs | 5xx | Imprecise | Lost | Duplicated | kill -9 | Result | Notes |
|---|---|---|---|---|---|---|---|---|
${rows
  .map(
    (r) =>
      `| ${r.tried} | ${r.inputs} | ${cell(r.fiveXX)} | ${cell(r.imprecise)} | ${cell(r.lost)} | ${cell(r.duplicated)} | ${cell(r.kills)} | ${r.ok ? 'pass' : '**FAIL**'} | ${r.notes} |`,
  )
  .join('\n')}
${
  examples.length > 0
    ? `\nProblems found (first ${Math.min(examples.length, 30)}):\n\n${examples
        .slice(0, 30)
        .map((e) => `- ${e.replaceAll('|', '\\|')}`)
        .join('\n')}\n`
    : ''
}`;
writeFileSync(new URL('../docs/reliability.md', import.meta.url), md);
log(md);
process.exit(rows.every((r) => r.ok) ? 0 : 1);
