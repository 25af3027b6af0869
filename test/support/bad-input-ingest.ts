import { gzipSync } from 'node:zlib';
import { createUser, issueApiToken } from '../../src/storage/control/users.ts';
import type { Warehouse } from '../../src/storage/warehouse/warehouse.ts';
import { startTestServer, TEST_WRITE_KEY } from './runtime.ts';

/**
 * Seeded malformed ingestion traffic with valid siblings, and its verdict: every response must
 * be below 500 and precise (a 4xx or 200 that names the bad record's index and field, or for a
 * whole-body problem a clear reason), and every valid sibling must be in the warehouse exactly
 * once. Runs outside vitest (docs/reliability.md is produced from it): no test-framework imports.
 */

export interface BadInputOptions {
  baseUrl: string;
  writeKey: string;
  seed: number;
  /** Malformed HTTP requests to send (import files come on top: one per 100 requests). */
  count: number;
  /** Reads the warehouse to verify the siblings (required: the verdict is about what is stored). */
  warehouse: Pick<Warehouse, 'query'>;
  /** An operator's API token: import files go through `POST /v1/jobs/import`; without one, no files. */
  apiToken?: string;
  /** Requests in flight at once, so that clients share group commits (default 16). */
  concurrency?: number;
}

export interface BadInputResult {
  /** HTTP requests sent (ingestion requests and import jobs). */
  requests: number;
  /** Malformed records or bodies among them (import lines included). */
  malformed: number;
  fiveXX: number;
  imprecise: number;
  validSent: number;
  validStored: number;
  duplicated: number;
  lost: number;
  /** The first problems found, each in one line. */
  examples: string[];
}

/** mulberry32: small, fast and the same on every machine. */
const rng = (seed: number) => {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

type Json = Record<string, unknown>;

/** A bad record and the error it must get: its field (a prefix of the reported path). */
interface BadRecord {
  name: string;
  /** Raw JSON text of the record (some cannot be written by JSON.stringify: lone surrogates). */
  text: string;
  field: string;
}

/** A record that must be stored exactly once (some look odd but are valid by the contract). */
interface GoodRecord {
  text: string;
  messageId: string;
  table: 'events' | 'profile_history';
  /** Rows it adds: 1 for a track, one per trait for an identify. */
  rows: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const badRecords = (id: string, at: string): BadRecord[] => [
  {
    name: 'createdAt past the storable range',
    text: JSON.stringify({ type: 'identify', userId: id, traits: { createdAt: 1e16 } }),
    field: 'traits.createdAt',
  },
  {
    name: 'createdAt before year 1',
    text: JSON.stringify({ type: 'identify', userId: id, traits: { createdAt: -1e16 } }),
    field: 'traits.createdAt',
  },
  {
    name: 'lone surrogate in an event name',
    text: `{"type":"track","userId":"${id}","event":"open\\ud800"}`,
    field: 'event',
  },
  {
    name: 'lone surrogate in a userId',
    text: `{"type":"track","userId":"${id}\\udc00","event":"open"}`,
    field: 'userId',
  },
  {
    name: 'number beyond double range in properties',
    text: `{"type":"track","userId":"${id}","event":"order","properties":{"score":1e400}}`,
    field: 'properties.score',
  },
  {
    name: 'number beyond double range in traits',
    text: `{"type":"identify","userId":"${id}","traits":{"ltv":-1e999}}`,
    field: 'traits.ltv',
  },
  {
    name: 'impossible date',
    text: JSON.stringify({ type: 'track', userId: id, event: 'open', timestamp: '2026-02-30T10:00:00Z' }),
    field: 'timestamp',
  },
  {
    name: 'impossible date (April 31)',
    text: JSON.stringify({ type: 'track', userId: id, event: 'open', originalTimestamp: '2026-04-31' }),
    field: 'originalTimestamp',
  },
  {
    name: 'whitespace-only userId',
    text: JSON.stringify({ type: 'track', userId: ' \t ', event: 'open' }),
    field: 'userId',
  },
  {
    name: 'whitespace-only anonymousId',
    text: JSON.stringify({ type: 'identify', anonymousId: '   ', traits: { a: 1 } }),
    field: 'anonymousId',
  },
  {
    name: 'numeric userId beyond safe integers',
    text: `{"type":"track","userId":123456789012345678901234567890,"event":"open"}`,
    field: 'userId',
  },
  {
    name: 'fractional huge numeric userId',
    text: `{"type":"identify","userId":1.5e300,"traits":{"a":1}}`,
    field: 'userId',
  },
  {
    name: 'NUL in an event name',
    text: JSON.stringify({ type: 'track', userId: id, event: 'op\u0000en' }),
    field: 'event',
  },
  {
    name: 'NUL in a userId',
    text: JSON.stringify({ type: 'track', userId: `${id}\u0000`, event: 'open' }),
    field: 'userId',
  },
  {
    name: 'amount that is not a number',
    text: JSON.stringify({ type: 'track', userId: id, event: 'open', properties: { amount: 'lots' } }),
    field: 'properties.amount',
  },
  {
    name: 'missing event name',
    text: JSON.stringify({ type: 'track', userId: id, timestamp: at }),
    field: 'event',
  },
  {
    name: 'unsupported type',
    text: JSON.stringify({ type: 'merge', userId: id }),
    field: 'type',
  },
  {
    name: 'no identity',
    text: JSON.stringify({ type: 'track', event: 'open' }),
    field: 'userId',
  },
  {
    name: 'empty messageId',
    text: JSON.stringify({ type: 'track', userId: id, event: 'open', messageId: '' }),
    field: 'messageId',
  },
  {
    name: 'whitespace messageId',
    text: JSON.stringify({ type: 'track', userId: id, event: 'open', messageId: '  ' }),
    field: 'messageId',
  },
  {
    name: 'timezone that does not exist',
    text: JSON.stringify({ type: 'identify', userId: id, traits: { timezone: 'Mars/Olympus' } }),
    field: 'traits.timezone',
  },
  {
    name: 'record that is not an object',
    text: '"just text"',
    field: '(record)',
  },
];

/** Valid records, some with content the contract stores as plain data or repairs (U+FFFD). */
const goodRecord = (r: () => number, messageId: string, id: string, at: string): GoodRecord => {
  const pick = Math.floor(r() * 6);
  switch (pick) {
    case 0:
      return {
        text: JSON.stringify({
          type: 'track',
          userId: id,
          event: 'order',
          messageId,
          timestamp: at,
          properties: { amount: Math.round(r() * 1000) / 10, currency: 'CNY' },
        }),
        messageId,
        table: 'events',
        rows: 1,
      };
    case 1:
      return {
        text: `{"type":"identify","userId":"${id}","messageId":"${messageId}","timestamp":"${at}","traits":{"nick":"a\\ud800b","city":"Hangzhou"}}`,
        messageId,
        table: 'profile_history',
        rows: 2,
      };
    case 2:
      return {
        text: `{"type":"track","userId":"${id}","event":"view","messageId":"${messageId}","properties":{"__proto__":{"admin":true},"constructor":{"prototype":{"polluted":1}}}}`,
        messageId,
        table: 'events',
        rows: 1,
      };
    case 3:
      return {
        text: `{"type":"identify","userId":"${id}","messageId":"${messageId}","traits":{"__proto__":{"polluted":true},"balance":12.5,"createdAt":"2024-02-29T00:00:00Z"}}`,
        messageId,
        table: 'profile_history',
        rows: 3,
      };
    case 4:
      return {
        text: JSON.stringify({ type: 'track', userId: 9007199254740991, event: 'open', messageId }),
        messageId,
        table: 'events',
        rows: 1,
      };
    default:
      return {
        text: JSON.stringify({
          type: 'track',
          anonymousId: `anon-${id}`,
          event: 'open',
          messageId,
          timestamp: at,
        }),
        messageId,
        table: 'events',
        rows: 1,
      };
  }
};

interface Sent {
  name: string;
  path: string;
  body: Buffer;
  headers: Record<string, string>;
  /** What a precise answer looks like. */
  expect:
    | { kind: 'records'; bad: { index: number; field: string; name: string }[]; good: number; total: number }
    | { kind: 'body'; status: number; reason: RegExp };
}

const basic = (key: string): string => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

interface IngestAnswer {
  success?: unknown;
  error?: unknown;
  accepted?: unknown;
  duplicates?: unknown;
  errors?: unknown;
}

/** Why an answer is not precise, or null when it is. */
const judge = (s: Sent, status: number, json: IngestAnswer | undefined): string | null => {
  if (json === undefined) return `${status} without a JSON body`;
  if (s.expect.kind === 'body') {
    if (status !== s.expect.status) return `status ${status}, expected ${s.expect.status}`;
    const reason = typeof json.error === 'string' ? json.error : JSON.stringify(json.errors ?? null);
    if (!s.expect.reason.test(reason))
      return `reason '${reason.slice(0, 120)}' does not match ${String(s.expect.reason)}`;
    if (json.success !== false) return 'success is not false';
    return null;
  }
  const { bad, good, total } = s.expect;
  const wantStatus = good === 0 ? 400 : 200;
  if (status !== wantStatus) return `status ${status}, expected ${wantStatus}`;
  if (json.success !== (bad.length === 0)) return `success is ${String(json.success)}`;
  const stored = Number(json.accepted) + Number(json.duplicates);
  if (stored !== good) return `accepted + duplicates = ${stored}, expected ${good} of ${total}`;
  const errors = Array.isArray(json.errors)
    ? (json.errors as { index?: unknown; field?: unknown; reason?: unknown }[])
    : [];
  for (const b of bad) {
    const hit = errors.find(
      (e) =>
        e.index === b.index &&
        typeof e.field === 'string' &&
        e.field.startsWith(b.field) &&
        typeof e.reason === 'string' &&
        e.reason.length > 0,
    );
    if (hit === undefined)
      return `${b.name}: no error for index ${b.index} field ${b.field} in ${JSON.stringify(errors).slice(0, 200)}`;
  }
  const extra = errors.filter((e) => !bad.some((b) => b.index === e.index));
  if (extra.length > 0) return `errors for valid records: ${JSON.stringify(extra).slice(0, 200)}`;
  return null;
};

interface ImportFile {
  text: string;
  bad: { line: number; field: string; name: string }[];
  good: GoodRecord[];
}

/**
 * Sends the traffic and verifies the warehouse. Valid siblings carry message ids
 * `bi-<seed>-…`, so a second run with the same seed on the same warehouse is answered with
 * duplicates and still stores each record once.
 */
export const runIngestBadInputs = async (options: BadInputOptions): Promise<BadInputResult> => {
  const r = rng(options.seed);
  const tag = `bi-${options.seed}`;
  const now = Date.now();
  const at = () => iso(now - Math.floor(r() * 30 * 86_400_000));
  const good = new Map<string, GoodRecord>();
  let serial = 0;
  const nextGood = (): GoodRecord => {
    const messageId = `${tag}-${serial++}`;
    const g = goodRecord(r, messageId, `user-${Math.floor(r() * 500)}`, at());
    good.set(messageId, g);
    return g;
  };
  const anyBad = (): BadRecord => {
    const list = badRecords(`user-${Math.floor(r() * 500)}`, at());
    return list[Math.floor(r() * list.length)] as BadRecord;
  };
  const json = { 'content-type': 'application/json', authorization: basic(options.writeKey) };
  const gz = { ...json, 'content-encoding': 'gzip' };

  const plan: Sent[] = [];
  let malformed = 0;
  for (let i = 0; i < options.count; i++) {
    const roll = r();
    if (roll < 0.7) {
      // A batch: valid siblings with one to three bad records among them, maybe gzipped.
      const records: string[] = [];
      const bad: { index: number; field: string; name: string }[] = [];
      const nGood = Math.floor(r() * 4);
      const nBad = 1 + Math.floor(r() * 3);
      const slots = [...Array<boolean>(nGood).fill(true), ...Array<boolean>(nBad).fill(false)].sort(
        () => r() - 0.5,
      );
      slots.forEach((isGood, index) => {
        if (isGood) records.push(nextGood().text);
        else {
          const b = anyBad();
          records.push(b.text);
          bad.push({ index, field: b.field, name: b.name });
        }
      });
      malformed += nBad;
      const text = `{"batch":[${records.join(',')}]}`;
      const zipped = r() < 0.25;
      plan.push({
        name: `batch of ${nGood} valid + ${nBad} bad${zipped ? ' (gzip)' : ''}`,
        path: '/v1/batch',
        body: zipped ? gzipSync(text) : Buffer.from(text),
        headers: zipped ? gz : json,
        expect: { kind: 'records', bad, good: nGood, total: slots.length },
      });
      // Some clients retry a whole batch (a lost answer): still stored once.
      if (nGood > 0 && r() < 0.1) {
        const again = plan[plan.length - 1] as Sent;
        plan.push({ ...again, name: `${again.name}, retried` });
      }
    } else if (roll < 0.8) {
      // A single track or identify call with a bad record: 400 naming index 0.
      const b = anyBad();
      const parsed = JSON.parse(b.text) as unknown;
      const type = typeof parsed === 'object' && parsed !== null ? (parsed as Json)['type'] : undefined;
      const path = type === 'identify' ? '/v1/identify' : '/v1/track';
      if (type !== 'track' && type !== 'identify') {
        // Not a single call's shape: send it in a batch of its own instead.
        plan.push({
          name: `batch of 1 bad (${b.name})`,
          path: '/v1/batch',
          body: Buffer.from(`{"batch":[${b.text}]}`),
          headers: json,
          expect: { kind: 'records', bad: [{ index: 0, field: b.field, name: b.name }], good: 0, total: 1 },
        });
      } else {
        plan.push({
          name: `single ${String(type)} (${b.name})`,
          path,
          body: Buffer.from(b.text),
          headers: json,
          expect: { kind: 'records', bad: [{ index: 0, field: b.field, name: b.name }], good: 0, total: 1 },
        });
      }
      malformed++;
    } else {
      // Whole-body problems.
      malformed++;
      const which = Math.floor(r() * 9);
      const depth = 65 + Math.floor(r() * 5000);
      const bodies: [string, Buffer, Record<string, string>, number, RegExp, string][] = [
        [
          'nested too deep',
          Buffer.from(
            `{"batch":[{"type":"track","userId":"u","event":"e","properties":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}]}`,
          ),
          json,
          400,
          /64 levels/,
          '/v1/batch',
        ],
        ['not JSON', Buffer.from(`{"batch":[{"type":"track",`), json, 400, /not valid JSON/, '/v1/batch'],
        ['empty batch', Buffer.from('{"batch":[]}'), json, 400, /empty/, '/v1/batch'],
        ['batch not an array', Buffer.from('{"batch":{"type":"track"}}'), json, 400, /array/, '/v1/batch'],
        ['corrupt gzip', Buffer.from('this is not gzip'), gz, 400, /gzip/, '/v1/batch'],
        [
          'gzip bomb',
          gzipSync(Buffer.alloc(2 * 1024 * 1024, 32)),
          gz,
          413,
          /inflates to more than/,
          '/v1/batch',
        ],
        ['empty body', Buffer.alloc(0), json, 400, /empty/, '/v1/track'],
        ['body is an array', Buffer.from('[1,2,3]'), json, 400, /JSON object/, '/v1/track'],
        ['truncated gzip', gzipSync('{"batch":[]}').subarray(0, 12), gz, 400, /gzip/, '/v1/batch'],
      ];
      const [name, body, headers, status, reason, path] = bodies[which] as (typeof bodies)[number];
      plan.push({ name, path, body, headers, expect: { kind: 'body', status, reason } });
    }
  }

  const result: BadInputResult = {
    requests: 0,
    malformed: 0,
    fiveXX: 0,
    imprecise: 0,
    validSent: 0,
    validStored: 0,
    duplicated: 0,
    lost: 0,
    examples: [],
  };
  const note = (line: string) => {
    if (result.examples.length < 20) result.examples.push(line);
  };

  const send = async (s: Sent): Promise<void> => {
    result.requests++;
    let status = 0;
    let body: IngestAnswer | undefined;
    try {
      const res = await fetch(`${options.baseUrl}${s.path}`, {
        method: 'POST',
        headers: s.headers,
        body: s.body,
      });
      status = res.status;
      const text = await res.text();
      try {
        body = JSON.parse(text) as IngestAnswer;
      } catch {
        body = undefined;
      }
    } catch (e) {
      result.fiveXX++;
      note(`${s.name}: no answer (${e instanceof Error ? e.message : String(e)})`);
      return;
    }
    if (status >= 500) {
      result.fiveXX++;
      note(`${s.name}: ${status} ${JSON.stringify(body).slice(0, 160)}`);
      return;
    }
    const why = judge(s, status, body);
    if (why !== null) {
      result.imprecise++;
      note(`${s.name}: ${why}`);
    }
  };

  const concurrency = Math.max(1, options.concurrency ?? 16);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < plan.length) {
        const s = plan[next++] as Sent;
        await send(s);
      }
    }),
  );

  if (options.apiToken !== undefined) {
    const files = Math.max(1, Math.ceil(options.count / 100));
    for (let f = 0; f < files; f++) {
      const file: ImportFile = { text: '', bad: [], good: [] };
      const lines: string[] = [];
      const n = 20 + Math.floor(r() * 20);
      for (let line = 1; line <= n; line++) {
        if (r() < 0.4) {
          const b = fileBad(r, anyBad);
          lines.push(b.text);
          file.bad.push({ line, field: b.field, name: b.name });
        } else {
          const g = nextGood();
          lines.push(g.text);
          file.good.push(g);
        }
      }
      file.text = `${lines.join('\n')}\n`;
      malformed += file.bad.length;
      await importOne(options, file, result, note);
    }
  }
  result.malformed = malformed;

  // Every valid sibling exactly once: events by message id, identifies by their trait rows.
  const rows = await options.warehouse.query<{ message_id: string; table_name: string; n: number | bigint }>(
    `SELECT message_id, 'events' AS table_name, count(*) AS n FROM events WHERE message_id LIKE $1 GROUP BY 1
     UNION ALL
     SELECT message_id, 'profile_history', count(*) FROM profile_history WHERE message_id LIKE $1 GROUP BY 1`,
    [`${tag}-%`],
  );
  const found = new Map<string, { table: string; n: number }>();
  for (const row of rows) found.set(row.message_id, { table: row.table_name, n: Number(row.n) });
  result.validSent = good.size;
  for (const [id, g] of good) {
    const f = found.get(id);
    if (f === undefined || f.table !== g.table) {
      result.lost++;
      note(`lost: ${id} ${g.text.slice(0, 120)}`);
    } else if (f.n > g.rows) {
      result.duplicated++;
      note(`duplicated: ${id} has ${f.n} rows in ${f.table}, expected ${g.rows}`);
    } else if (f.n < g.rows) {
      result.lost++;
      note(`partly lost: ${id} has ${f.n} rows in ${f.table}, expected ${g.rows}`);
    } else result.validStored++;
  }
  // Keys named __proto__ were data, never a prototype.
  if (({} as Json)['polluted'] !== undefined || ({} as Json)['admin'] !== undefined) {
    result.imprecise++;
    note('Object.prototype was polluted');
  }
  return result;
};

/** Bad lines of an NDJSON file: the record cases, plus what only a file can carry. */
const fileBad = (r: () => number, anyBad: () => BadRecord): BadRecord => {
  const roll = r();
  if (roll < 0.15) {
    const depth = 70 + Math.floor(r() * 2000);
    return {
      name: 'properties nested deeper than 64 levels',
      text: `{"type":"track","userId":"u","event":"e","properties":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
      field: 'properties.x',
    };
  }
  if (roll < 0.25)
    return { name: 'a line that is not JSON', text: '{"type":"track","userId":', field: '(record)' };
  return anyBad();
};

const importOne = async (
  options: BadInputOptions,
  file: ImportFile,
  result: BadInputResult,
  note: (line: string) => void,
): Promise<void> => {
  const auth = { authorization: `Bearer ${options.apiToken ?? ''}` };
  result.requests++;
  const started = await fetch(`${options.baseUrl}/v1/jobs/import`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/x-ndjson' },
    body: file.text,
  });
  if (started.status >= 500) {
    result.fiveXX++;
    note(`import: ${started.status}`);
    return;
  }
  if (started.status !== 202) {
    result.imprecise++;
    note(`import: status ${started.status} ${(await started.text()).slice(0, 120)}`);
    return;
  }
  const job = (await started.json()) as { id: string };
  for (;;) {
    const res = await fetch(`${options.baseUrl}/v1/jobs/${job.id}`, { headers: auth });
    if (res.status >= 500) {
      result.fiveXX++;
      note(`import job poll: ${res.status}`);
      return;
    }
    const view = (await res.json()) as { status: string; result: unknown; error: string | null };
    if (view.status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    if (view.status !== 'done') {
      result.imprecise++;
      note(`import job ${view.status}: ${String(view.error)}`);
      return;
    }
    const report = view.result as {
      accepted: number;
      duplicates: number;
      rejected: number;
      errors: { index: number; field: string; reason: string }[];
    };
    if (report.accepted + report.duplicates !== file.good.length || report.rejected !== file.bad.length) {
      result.imprecise++;
      note(
        `import: accepted ${report.accepted} + duplicates ${report.duplicates}, rejected ${report.rejected}; expected ${file.good.length} valid, ${file.bad.length} bad`,
      );
    }
    for (const b of file.bad) {
      const hit = report.errors.find(
        (e) => e.index === b.line && e.field.startsWith(b.field) && e.reason.length > 0,
      );
      if (hit === undefined) {
        result.imprecise++;
        note(`import line ${b.line} (${b.name}): no error naming field ${b.field}`);
      }
    }
    return;
  }
};

/**
 * The same run against a fresh server of its own (embedded PGlite, a DuckDB file in a temporary
 * directory, an operator's API token for the import jobs), removed afterwards.
 */
export const runIngestBadInputsOnFreshServer = async (options: {
  seed: number;
  count: number;
  concurrency?: number;
}): Promise<BadInputResult> => {
  const server = await startTestServer();
  try {
    const user = await createUser(server.rt.control, { name: 'bad-input-operator', role: 'operator' });
    if (!user.ok) throw new Error('could not create the operator for import jobs');
    const apiToken = await issueApiToken(server.rt.control, user.value.id);
    return await runIngestBadInputs({
      baseUrl: server.url,
      writeKey: TEST_WRITE_KEY,
      warehouse: server.rt.warehouse,
      apiToken,
      ...options,
    });
  } finally {
    await server.stop();
    server.cleanup();
  }
};
