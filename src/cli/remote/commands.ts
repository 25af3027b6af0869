/**
 * The CLI commands as they run while a server holds the data directory: through its HTTP API
 * with the local admin credential, printing what the direct command prints. Commands that need
 * the stores to themselves say, in one line, how to run them.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import { checkPasswordPolicy } from '../../core/auth/password-policy.ts';
import type { Role } from '../../core/auth/roles.ts';
import { parseTimestamp } from '../../core/events/timestamp.ts';
import { parseExportColumns } from '../../core/export/columns.ts';
import type { ReasonLocale } from '../../core/models/churn/reason-words.ts';
import { parseInstant } from '../../core/models/churn/transactions.ts';
import { COHORT_BYS, COHORT_GRAINS } from '../../core/scores/churn-structure.ts';
import { formatChurnEvaluation } from '../commands/churn-format.ts';
import { formatChurnModelList, formatChurnScoring, formatUserChurnRisk } from '../commands/churn-model.ts';
import { formatImportSummary } from '../commands/import.ts';
import { formatSlotReport } from '../commands/plan.ts';
import { formatChurnStructure, formatScoringRun } from '../commands/scores.ts';
import { readSecretLine } from '../read-secret.ts';
import type { ImportReport } from '../../ingest/import/import-file.ts';
import type { ChurnModelRecord, ChurnScoringRun } from '../../scores/churn-model.ts';
import type { ChurnStructure } from '../../scores/churn-structure.ts';
import type { ScoringRun } from '../../scores/run-scoring.ts';
import type { SlotReport } from '../../planner/run-slot.ts';
import type { ApiClient, ApiRefusal } from './client.ts';

export interface RemoteIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: Readable;
}

export interface RemoteContext {
  api: ApiClient;
  /** The command's positional arguments, as commander parsed them. */
  args: string[];
  opts: Record<string, unknown>;
  io: RemoteIo;
}

/** Runs the command through the API; resolves to the exit code. */
export type RemoteRun = (c: RemoteContext) => Promise<number>;

export type RemotePlan =
  | { kind: 'api'; run: RemoteRun }
  /** Needs the stores to itself; `why` is said before what to do. */
  | { kind: 'stop'; why: string }
  /** `serve`, `demo`: a second server for the same directory. */
  | { kind: 'serving' };

const str = (o: Record<string, unknown>, k: string): string | undefined =>
  typeof o[k] === 'string' ? o[k] : undefined;
const iso = (ms: number) => new Date(ms).toISOString();
const json2 = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const json1 = (v: unknown) => `${JSON.stringify(v)}\n`;

/** `rekindle: <error>` and its field errors, as the direct commands print a refusal; exit 1. */
const refused = (io: RemoteIo, r: ApiRefusal, prefix = 'rekindle'): number => {
  io.stderr.write(
    `${prefix}: ${r.error}${r.errors.length > 0 ? `:\n${r.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}` : ''}\n`,
  );
  return 1;
};

const failWith = (io: RemoteIo, message: string, code = 1, prefix = 'rekindle'): number => {
  io.stderr.write(`${prefix}: ${message}\n`);
  return code;
};

interface Member {
  id: number;
  name: string;
  role: string;
  disabled: boolean;
}

const members = async (api: ApiClient): Promise<Member[] | ApiRefusal> => {
  const r = await api.call<{ users: Member[] }>('GET', '/v1/console/team');
  return r.ok ? [...r.value.users].sort((a, b) => a.id - b.id) : r.refusal;
};

/** The member named `name`, or the exit code after saying why not. */
const memberNamed = async (c: RemoteContext, name: string): Promise<Member | number> => {
  const all = await members(c.api);
  if (!Array.isArray(all)) return refused(c.io, all);
  return all.find((m) => m.name === name) ?? failWith(c.io, `no user named '${name}'`);
};

const issueToken = async (c: RemoteContext, name: string, revokeOthers: boolean): Promise<number> => {
  const t = await c.api.call<{ token: string }>('POST', `/v1/local/users/${encodeURIComponent(name)}/token`, {
    revokeOthers,
  });
  if (!t.ok) return refused(c.io, t.refusal);
  c.io.stdout.write(`${t.value.token}\n`);
  return 0;
};

const users: Record<string, RemoteRun> = {
  'users create': async (c) => {
    const name = c.args[0] ?? '';
    const role = str(c.opts, 'role') as Role;
    const password = c.opts['passwordStdin'] === true ? await readSecretLine(c.io.stdin) : null;
    if (password !== null) {
      const policy = checkPasswordPolicy(password, name);
      if (!policy.ok) return failWith(c.io, policy.error.reason);
    }
    const made = await c.api.call<Member>('POST', '/v1/team/members', {
      name,
      role,
      ...(password === null ? {} : { password }),
    });
    if (!made.ok) {
      if (made.refusal.status === 409) return failWith(c.io, `a user named '${name}' exists already`);
      return refused(c.io, made.refusal);
    }
    return issueToken(c, name, false);
  },
  'users password': async (c) => {
    const name = c.args[0] ?? '';
    const password = await readSecretLine(c.io.stdin);
    const m = await memberNamed(c, name);
    if (typeof m === 'number') return m;
    const r = await c.api.call<{ revokedSessions: number }>('PUT', `/v1/team/members/${m.id}/password`, {
      password,
    });
    if (!r.ok) return refused(c.io, r.refusal);
    c.io.stdout.write(`Password of '${name}' set; ${r.value.revokedSessions} session(s) ended.\n`);
    return 0;
  },
  'users role': async (c) => {
    const name = c.args[0] ?? '';
    const role = str(c.opts, 'role') ?? '';
    const m = await memberNamed(c, name);
    if (typeof m === 'number') return m;
    const r = await c.api.call<Member>('PUT', `/v1/team/members/${m.id}/role`, { role });
    if (!r.ok) return refused(c.io, r.refusal);
    c.io.stdout.write(`'${name}' is now ${role}.\n`);
    return 0;
  },
  'users disable': async (c) => {
    const name = c.args[0] ?? '';
    const m = await memberNamed(c, name);
    if (typeof m === 'number') return m;
    const r = await c.api.call<{ revokedSessions: number }>('POST', `/v1/team/members/${m.id}/disable`);
    if (!r.ok) return refused(c.io, r.refusal);
    c.io.stdout.write(`Disabled '${name}'; ${r.value.revokedSessions} session(s) ended.\n`);
    return 0;
  },
  'users token': async (c) => issueToken(c, c.args[0] ?? '', c.opts['revokeOthers'] === true),
  'users list': async (c) => {
    const all = await members(c.api);
    if (!Array.isArray(all)) return refused(c.io, all);
    for (const u of all)
      c.io.stdout.write(`${u.id}\t${u.name}\t${u.role}${u.disabled ? '\tdisabled' : ''}\n`);
    return 0;
  },
};

interface KeyView {
  id: number;
  prefix: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

const keys: Record<string, RemoteRun> = {
  'keys create': async (c) => {
    const r = await c.api.call<KeyView & { key: string }>('POST', '/v1/write-keys', {
      name: str(c.opts, 'name') ?? 'default',
    });
    if (!r.ok) return refused(c.io, r.refusal);
    c.io.stdout.write(`${r.value.key}\n`);
    return 0;
  },
  'keys list': async (c) => {
    const r = await c.api.call<{ keys: KeyView[] }>('GET', '/v1/write-keys');
    if (!r.ok) return refused(c.io, r.refusal);
    for (const k of r.value.keys) {
      const state = k.revokedAt ? `revoked ${k.revokedAt}` : 'active';
      c.io.stdout.write(`${k.id}\t${k.prefix}…\t${k.name}\t${state}\n`);
    }
    return 0;
  },
  'keys revoke': async (c) => {
    const id = c.args[0] ?? '';
    if (!/^\d+$/.test(id.trim()) || Number(id) < 1) {
      c.io.stdout.write(`no active key ${id}\n`);
      return 1;
    }
    const r = await c.api.call('POST', `/v1/write-keys/${Number(id)}/revoke`);
    if (!r.ok) {
      if (r.refusal.status !== 404 && r.refusal.status !== 409) return refused(c.io, r.refusal);
      c.io.stdout.write(`no active key ${id}\n`);
      return 1;
    }
    c.io.stdout.write(`revoked ${id}\n`);
    return 0;
  },
};

/** The content type the import API takes for a file, by `--format` or its extension (as the direct import guesses). */
export const importContentType = (
  file: string,
  format: string | undefined,
): { type: string; gzip: boolean } | null => {
  const lower = file.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  const f =
    format ??
    (base.endsWith('.csv')
      ? 'csv'
      : base.endsWith('.ndjson') || base.endsWith('.jsonl')
        ? 'ndjson'
        : base.endsWith('.parquet') || base.endsWith('.pq')
          ? 'parquet'
          : undefined);
  if (f === 'csv') return { type: 'text/csv', gzip };
  if (f === 'ndjson') return { type: 'application/x-ndjson', gzip };
  if (f === 'parquet' && !gzip) return { type: 'application/vnd.apache.parquet', gzip };
  return null;
};

interface JobView {
  id: string;
  status: 'running' | 'done' | 'failed';
  done: number;
  total: number;
  result: unknown;
  error: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `rekindle import <file>`: the file streamed to the server's import job, the same report and exit codes. */
const importRun: RemoteRun = async (c) => {
  const file = c.args[0] ?? '';
  const asJson = c.opts['json'] === true;
  const fail = (message: string): number => {
    if (asJson) c.io.stdout.write(json1({ error: message }));
    else c.io.stderr.write(`rekindle import: ${message}\n`);
    return 2;
  };
  try {
    if (!(await stat(file)).isFile()) return fail(`cannot read ${file}: not a regular file`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`);
  }
  const kind = importContentType(file, str(c.opts, 'format'));
  if (kind === null)
    return fail(
      `cannot tell the format of ${file} from its name: name it .csv, .ndjson, .jsonl or .parquet (text may end in .gz), or pass --format`,
    );
  const raw = createReadStream(file);
  // The server stores the upload under its own name, so a compressed text file is sent as text.
  const body = kind.gzip ? raw.pipe(createGunzip()) : raw;
  const started = await c.api.upload<JobView>(
    `/v1/jobs/import?name=${encodeURIComponent(file)}`,
    kind.type,
    body,
  );
  if (!started.ok) return fail(started.refusal.error);
  let job = started.value;
  while (job.status === 'running') {
    await sleep(200);
    const r = await c.api.call<JobView>('GET', `/v1/jobs/${encodeURIComponent(job.id)}`);
    if (!r.ok) return fail(r.refusal.error);
    job = r.value;
  }
  if (job.status === 'failed') return fail(job.error ?? 'the import failed');
  const report = job.result as ImportReport;
  c.io.stdout.write(asJson ? json1(report) : formatImportSummary(file, report));
  return report.rejected > 0 ? 1 : 0;
};

const asOfOption = (text: string | undefined): string | undefined => {
  if (text === undefined) return undefined;
  const t = parseTimestamp(text);
  if (Number.isNaN(t)) throw new Error(`--as-of: expected an ISO-8601 date or date-time, got '${text}'`);
  return iso(t);
};

interface ScoringRunDto {
  runId: string;
  asOf: string;
  configVersion: number;
  users: number;
  stages: Record<string, number>;
  tiers: Record<string, number>;
  tierChanged: number;
  lifecycleChanged: number;
  warnings: ScoringRun['warnings'];
  valueModel: ScoringRun['valueModel'];
  elapsedMs: ScoringRun['ms'];
}

/** The API's scoring run in the shape `formatScoringRun` and `--json` of the direct command print. */
const scoringRunOf = (d: ScoringRunDto): ScoringRun =>
  ({
    runId: d.runId,
    asOf: Date.parse(d.asOf),
    configVersion: d.configVersion,
    scores: {
      users: d.users,
      stages: d.stages,
      tiers: d.tiers,
      tierChanged: d.tierChanged,
      lifecycleChanged: d.lifecycleChanged,
    },
    warnings: d.warnings,
    valueModel: d.valueModel,
    ms: d.elapsedMs,
  }) as unknown as ScoringRun;

const scores: Record<string, RemoteRun> = {
  'scores compute': async (c) => {
    const asOf = asOfOption(str(c.opts, 'asOf'));
    const r = await c.api.call<ScoringRunDto>(
      'POST',
      '/v1/scores/compute',
      asOf === undefined ? {} : { asOf },
    );
    if (!r.ok) return refused(c.io, r.refusal);
    const run = scoringRunOf(r.value);
    c.io.stdout.write(c.opts['json'] === true ? json2(run) : formatScoringRun(run));
    return 0;
  },
  'scores config': async (c) => {
    const cur = await c.api.call<{ version: number; isDefault: boolean; config: unknown }>(
      'GET',
      '/v1/scores/config',
    );
    if (!cur.ok) return refused(c.io, cur.refusal);
    const set = str(c.opts, 'set');
    if (set === undefined) {
      const { version, isDefault, config } = cur.value;
      c.io.stdout.write(json2({ version, isDefault, config }));
      return 0;
    }
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(set, 'utf8'));
    } catch (e) {
      throw new Error(`${set}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const r = await c.api.call<{ version: number }>('PUT', '/v1/scores/config', {
      version: cur.value.version,
      config,
    });
    if (!r.ok) return refused(c.io, r.refusal);
    c.io.stdout.write(`Scoring configuration is now version ${r.value.version}.\n`);
    return 0;
  },
};

const churnStructure: RemoteRun = async (c) => {
  const by = COHORT_BYS.find((b) => b === str(c.opts, 'by'));
  const grain = COHORT_GRAINS.find((g) => g === str(c.opts, 'grain'));
  if (by === undefined || grain === undefined) {
    c.io.stderr.write(
      `rekindle analyse churn-structure: --by must be ${COHORT_BYS.join(' | ')} and --grain ${COHORT_GRAINS.join(' | ')}\n`,
    );
    return 2;
  }
  const asOf = asOfOption(str(c.opts, 'asOf'));
  const q = new URLSearchParams({ by, grain, ...(asOf === undefined ? {} : { asOf }) });
  const r = await c.api.call<ChurnStructure & { asOf: string }>('GET', `/v1/analysis/churn-structure?${q}`);
  if (!r.ok) return refused(c.io, r.refusal);
  const s = { ...r.value, asOf: Date.parse(r.value.asOf) } as ChurnStructure;
  c.io.stdout.write(c.opts['json'] === true ? json2(s) : formatChurnStructure(s));
  return 0;
};

type ModelDto = Omit<ChurnModelRecord, 'createdAt' | 'workspaceId'> & { createdAt: string };
const modelOf = (m: ModelDto): ChurnModelRecord => ({
  id: m.id,
  workspaceId: 'default',
  version: m.version,
  createdAt: Date.parse(m.createdAt),
  createdBy: m.createdBy,
  active: m.active,
  params: m.params,
  metrics: m.metrics,
});

const churnFail = (c: RemoteContext, command: string, r: ApiRefusal): number =>
  failWith(c.io, r.error, 2, `rekindle churn ${command}`);

const churn: Record<string, RemoteRun> = {
  'churn train': async (c) => {
    const body: Record<string, unknown> = {};
    const cutoff = str(c.opts, 'cutoff');
    if (cutoff !== undefined) {
      const p = parseInstant(cutoff.trim());
      if (!p.ok) return failWith(c.io, `--cutoff: ${p.error}`, 2, 'rekindle churn train');
      body['cutoff'] = iso(p.value);
    }
    const horizon = str(c.opts, 'horizonDays');
    if (horizon !== undefined) {
      if (!/^\d+$/.test(horizon.trim()) || Number(horizon) < 1)
        return failWith(
          c.io,
          `--horizon-days must be a whole number >= 1, got '${horizon}'`,
          2,
          'rekindle churn train',
        );
      body['horizonDays'] = Number(horizon);
    }
    const r = await c.api.call<ModelDto>('POST', '/v1/models/churn/train', body);
    if (!r.ok) return churnFail(c, 'train', r.refusal);
    const m = modelOf(r.value);
    c.io.stdout.write(
      c.opts['json'] === true
        ? json1(m)
        : `Stored churn model version ${m.version} (${m.id}), now active; trained in ${m.metrics.trainingSeconds.toFixed(1)} s\n` +
            formatChurnEvaluation(m.metrics),
    );
    return 0;
  },
  'churn score': async (c) => {
    const model = str(c.opts, 'model');
    const r = await c.api.call<
      Omit<ChurnScoringRun, 'asOf' | 'ms'> & { asOf: string; elapsedMs: ChurnScoringRun['ms'] }
    >('POST', '/v1/models/churn/score', model === undefined ? {} : { modelId: model });
    if (!r.ok) return churnFail(c, 'score', r.refusal);
    const { elapsedMs, asOf, ...rest } = r.value;
    const run = { ...rest, asOf: Date.parse(asOf), ms: elapsedMs } as ChurnScoringRun;
    c.io.stdout.write(c.opts['json'] === true ? json1(run) : formatChurnScoring(run));
    return 0;
  },
  'churn risk': async (c) => {
    const userId = c.args[0] ?? '';
    const lang = str(c.opts, 'lang') ?? 'en';
    if (lang !== 'en' && lang !== 'zh-CN')
      return failWith(c.io, `--lang must be zh-CN or en, got '${lang}'`, 2, 'rekindle churn risk');
    const r = await c.api.call<Parameters<typeof formatUserChurnRisk>[0]>(
      'GET',
      `/v1/users/${encodeURIComponent(userId)}/churn-risk`,
    );
    if (!r.ok)
      return r.refusal.status === 404
        ? failWith(c.io, `no user '${userId}'`, 2, 'rekindle churn risk')
        : churnFail(c, 'risk', r.refusal);
    c.io.stdout.write(
      c.opts['json'] === true ? json1(r.value) : formatUserChurnRisk(r.value, lang as ReasonLocale),
    );
    return 0;
  },
  'churn models': async (c) => {
    const r = await c.api.call<{ models: ModelDto[] }>('GET', '/v1/models/churn');
    if (!r.ok) return churnFail(c, 'models', r.refusal);
    const models = r.value.models.map(modelOf);
    c.io.stdout.write(c.opts['json'] === true ? json1(models) : formatChurnModelList(models));
    return 0;
  },
  'churn activate': async (c) => {
    const id = (c.args[0] ?? '').trim();
    const r = await c.api.call<ModelDto>('POST', `/v1/models/churn/${encodeURIComponent(id)}/activate`);
    if (!r.ok) return churnFail(c, 'activate', r.refusal);
    const m = modelOf(r.value);
    c.io.stdout.write(
      c.opts['json'] === true ? json1(m) : `Churn model version ${m.version} (${m.id}) is now active.\n`,
    );
    return 0;
  },
};

interface CampaignDto {
  id: string;
  name: string;
  status: string;
  version: number;
  nextSlotAt: string | null;
}

const planning: Record<string, RemoteRun> = {
  plan: async (c) => {
    const r = await c.api.call<
      Omit<SlotReport, 'slotAt' | 'ms'> & { slotAt: string; elapsedMs: SlotReport['ms'] }
    >('POST', '/v1/planner/run', {});
    if (!r.ok) return refused(c.io, r.refusal);
    const { elapsedMs, slotAt, ...rest } = r.value;
    const report = { ...rest, slotAt: Date.parse(slotAt), ms: elapsedMs } as SlotReport;
    c.io.stdout.write(c.opts['json'] === true ? json1(report) : formatSlotReport(report));
    return 0;
  },
  campaigns: async (c) => {
    const r = await c.api.call<{ campaigns: CampaignDto[] }>('GET', '/v1/campaigns');
    if (!r.ok) return refused(c.io, r.refusal);
    const cs = r.value.campaigns;
    c.io.stdout.write(
      c.opts['json'] === true
        ? json1(cs)
        : cs.length === 0
          ? 'No campaigns yet.\n'
          : `${cs
              .map(
                (x) =>
                  `${x.id}  ${x.status.padEnd(15)} v${x.version}  next ${x.nextSlotAt === null ? '—' : new Date(x.nextSlotAt).toISOString()}  ${x.name}`,
              )
              .join('\n')}\n`,
    );
    return 0;
  },
  attribute: async (c) => {
    let since: number | undefined = c.opts['all'] === true ? 0 : undefined;
    const s = str(c.opts, 'since');
    if (s !== undefined) {
      const p = parseInstant(s.trim());
      if (!p.ok) {
        c.io.stderr.write(`rekindle attribute: --since: ${p.error}\n`);
        return 2;
      }
      since = p.value;
    }
    const r = await c.api.call<{
      goals: number;
      since: string;
      until: string;
      added: number;
      removed: number;
      inRange: number;
      ms: number;
    }>('POST', '/v1/conversions/attribute', since === undefined ? {} : { since: iso(since) });
    if (!r.ok) return refused(c.io, r.refusal);
    const v = { ...r.value, since: Date.parse(r.value.since), until: Date.parse(r.value.until) };
    c.io.stdout.write(
      c.opts['json'] === true
        ? json1(v)
        : `Attributed goal events after ${new Date(v.since).toISOString()} for ${v.goals} campaign goal(s): ` +
            `${v.added} added, ${v.removed} taken back, ${v.inRange} conversions in range (${(v.ms / 1000).toFixed(2)} s).\n`,
    );
    return 0;
  },
};

/** `rekindle export audience <id> --as <user>`: made and audited as that user by the server, as the direct command does. */
const exportAudience: RemoteRun = async (c) => {
  const audienceId = c.args[0] ?? '';
  const fail = (message: string) => failWith(c.io, message, 2, 'rekindle export audience');
  const columns = str(c.opts, 'columns') ?? '';
  const parsed = parseExportColumns(columns);
  if (!parsed.ok) return fail(`--columns: ${parsed.error}`);
  const lang = str(c.opts, 'lang') ?? 'zh-CN';
  if (lang !== 'zh-CN' && lang !== 'en') return fail(`--lang must be zh-CN or en, got '${lang}'`);
  const contacts = str(c.opts, 'contacts') ?? 'masked';
  if (!['none', 'masked', 'clear'].includes(contacts))
    return fail(`--contacts must be none, masked or clear, got '${contacts}'`);
  const q = new URLSearchParams({ as: str(c.opts, 'as') ?? '', columns, contacts, lang });
  const r = await c.api.stream(`/v1/local/audiences/${encodeURIComponent(audienceId)}/export.csv?${q}`);
  if (!r.ok) return fail(r.refusal.error);
  const outFile = str(c.opts, 'out');
  const out: NodeJS.WritableStream =
    outFile === undefined ? c.io.stdout : createWriteStream(outFile, { mode: 0o600 });
  for await (const chunk of Readable.fromWeb(r.body as WebReadableStream<Uint8Array>))
    if (!out.write(chunk as Buffer)) await once(out, 'drain');
  const members = r.headers.get('x-rekindle-member-count') ?? '?';
  if (outFile !== undefined) {
    out.end();
    await finished(out);
    c.io.stderr.write(`wrote ${members} members of audience ${audienceId} to ${outFile}\n`);
  }
  return 0;
};

const serverRunsIt = (what: string) =>
  `the server ${what} on its own; to run it now by hand, the stores must not be open`;

/** Every command that opens the data directory, by its words after `rekindle`. */
export const REMOTE_COMMANDS: Readonly<Record<string, RemotePlan>> = {
  ...Object.fromEntries(
    Object.entries({ ...users, ...keys, ...scores, ...churn, ...planning }).map(([k, run]) => [
      k,
      { kind: 'api', run } as const,
    ]),
  ),
  import: { kind: 'api', run: importRun },
  'analyse churn-structure': { kind: 'api', run: churnStructure },
  'analyze churn-structure': { kind: 'api', run: churnStructure },
  'export audience': { kind: 'api', run: exportAudience },
  serve: { kind: 'serving' },
  demo: { kind: 'serving' },
  compact: { kind: 'stop', why: 'compacting rewrites the events table, which needs the warehouse to itself' },
  'ship-facts': { kind: 'stop', why: serverRunsIt('ships new message log entries every few seconds') },
  retention: {
    kind: 'stop',
    why: serverRunsIt('deletes rows past their retention every REKINDLE_RETENTION_EVERY_MINUTES'),
  },
  'providers rotate-key': {
    kind: 'stop',
    why: 'it holds the old master key in memory, so it must restart with the new one after the rotation',
  },
  'import-reasons': {
    kind: 'stop',
    why: 'churn reasons are imported from a file with the stores opened here',
  },
  'control copy': {
    kind: 'stop',
    why: 'the copy reads the embedded control plane, which the server holds, and must see it unchanged',
  },
  'warehouse copy': {
    kind: 'stop',
    why: 'the copy reads the DuckDB warehouse file, which the server holds, and must see it unchanged',
  },
};

/** The plan for a command (`undefined`: it does not open the data directory, e.g. `btyd`, `churn evaluate`). */
export const remotePlanFor = (words: readonly string[]): RemotePlan | undefined =>
  REMOTE_COMMANDS[words.join(' ')];

/** For `plan --at`: planning as of another instant is only done with the stores opened here. */
export const planAtIsLocal = (words: readonly string[], opts: Record<string, unknown>): boolean =>
  words.join(' ') === 'plan' && typeof opts['at'] === 'string';
