/**
 * Malformed requests across the management API, generated from a seed, and a runner that sends
 * them to a live server and judges the answers: no answer may be a 5xx, and every refusal must
 * be precise — a 4xx whose body names the place (`errors[].path`) and the reason
 * (`errors[].message`). Free of test-framework imports: scripts use it too (docs/reliability.md).
 */

export interface ManagementBadInputOptions {
  baseUrl: string;
  /** An admin API token. */
  token: string;
  seed: number;
  /** How many requests to send (at least one per template). */
  count: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
}

export interface ManagementBadInputReport {
  requests: number;
  /** Answers with status >= 500. */
  fiveXX: number;
  /** 4xx answers without a path and a reason for each problem (and answers that are neither 2xx nor 4xx). */
  imprecise: number;
  /** 2xx answers: odd but valid input (a right-to-left mark in a name, -0, …) that was accepted. */
  accepted: number;
  /** 2xx answers to requests that had to be refused (they changed an existing object). */
  wronglyAccepted: number;
  byStatus: Record<string, number>;
  /** Up to 30 failing requests, described for a person. */
  examples: string[];
}

export interface BadRequest {
  /** What the request tries, e.g. `POST /v1/audiences name=NUL`. */
  label: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** The raw body text (sent as application/json unless `contentType` says otherwise). */
  body?: string;
  contentType?: string;
  /** Aimed at an existing object with values that must all be refused. */
  guarded?: boolean;
}

/** Ids of objects that exist on the server, and their current versions (PATCH needs them). */
export interface Fixtures {
  audienceId: string;
  audienceVersion: number;
  campaignId: string;
  campaignVersion: number;
  providerId: string | null;
  providerVersion: number;
  warningRuleId: string | null;
  warningRuleVersion: number;
}

// ---- a seeded random source (mulberry32) ----------------------------------------------------

export const rng = (seed: number) => {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick };
};
type Rng = ReturnType<typeof rng>;

// ---- values ------------------------------------------------------------------------------------

/**
 * JSON text spliced into a body as is: values JSON.stringify cannot write (1e400, NaN, 2^63
 * exactly) and values too deep for it to walk (5 000 levels).
 */
const raws: string[] = [];
const RAW = (text: string): string => {
  let i = raws.indexOf(text);
  if (i < 0) i = raws.push(text) - 1;
  return `\u0001RAW${i}\u0001`;
};
const unraw = (json: string) =>
  json.replace(/"\\u0001RAW(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)] ?? 'null');

const deepObject = (levels: number): string => RAW(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
const deepArray = (levels: number): string => RAW(`${'['.repeat(levels)}1${']'.repeat(levels)}`);

/** Text that no name may be (always refused). */
const BAD_TEXT: readonly unknown[] = [
  '\u0000',
  'Lapsed\u0000buyers',
  '\ud800',
  'x\udc00y',
  'x'.repeat(10_000),
  42,
  null,
  true,
  ['a'],
  { text: 'a' },
  deepArray(5000),
];
/** Odd text a name may be (accepted or refused, never a 5xx). */
const ODD_TEXT: readonly unknown[] = [
  '',
  '\u202eevil.exe',
  '\u200fשלום',
  'émoji 🎯 ok',
  '\u200b',
  'a\u0301\u0301\u0301',
  'x'.repeat(200),
];
/** Numbers out of any range (always refused where a number is expected). */
const BAD_NUMBER: readonly unknown[] = [
  1e308,
  -1e308,
  2 ** 63,
  -(2 ** 63),
  2 ** 64,
  RAW('1e400'),
  RAW('-1e400'),
  RAW('9223372036854775808'),
  'NaN',
  'Infinity',
  '-0',
  '12',
  null,
  true,
  [1],
  { value: 1 },
];
/** Odd numbers that may be valid somewhere (never a 5xx). */
const ODD_NUMBER: readonly unknown[] = [-0, RAW('-0'), 0.1 + 0.2, 5e-324, 2 ** 53 - 1, -(2 ** 53 - 1), 1.5];
/** Times out of any range or not times (always refused). */
const BAD_TIME: readonly unknown[] = [
  '+275760-09-13T00:00:00.000Z',
  '+275761-01-01T00:00:00Z',
  '275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '0000-00-00T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-13-01T00:00:00Z',
  'yesterday',
  '',
  '2026-01-01T00:00:00\u0000Z',
  2 ** 63,
  1e300,
  -1e300,
  RAW('1e400'),
  { daysAgo: 1e308 },
  { daysAgo: -1 },
  { daysAgo: 'NaN' },
  null,
];
/** Times that are odd but within range (epoch ms at the edges of JS time; never a 5xx). */
const ODD_TIME: readonly unknown[] = [
  8.64e15,
  -8.64e15,
  0,
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2026-01-01T24:00:00Z',
];

const BAD_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype', 'k\u0000', 'k\ud800', ''];

// ---- templates ---------------------------------------------------------------------------------

type PathPart = string | number;
type FieldKind = 'text' | 'number' | 'time' | 'tree' | 'any';

interface Template {
  name: string;
  method: BadRequest['method'];
  path: (f: Fixtures) => string | null;
  /** A valid body to break; null for body-less requests. */
  base: (f: Fixtures) => Record<string, unknown> | null;
  /** Places to break, and what kind of value lives there. */
  fields: readonly { at: readonly PathPart[]; kind: FieldKind }[];
  /** Whether an accepted request would change a fixture (then only values sure to be refused are sent). */
  guarded: boolean;
}

const LEAF = { kind: 'attribute', attribute: 'city', op: 'eq', value: 'Shanghai' };
const TREE = {
  kind: 'and',
  children: [
    LEAF,
    {
      kind: 'metric',
      event: 'order',
      fn: 'sum',
      property: 'amount',
      op: 'gte',
      value: 10,
      window: { type: 'between', from: '2026-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' },
    },
    { kind: 'did', event: 'order', window: { type: 'last_days', days: 30 } },
    {
      kind: 'sequence',
      steps: [{ event: 'view' }, { event: 'order' }],
      within: { value: 2, unit: 'days' },
    },
    { kind: 'attribute', attribute: 'city', at: '2026-01-01T00:00:00Z', op: 'exists' },
    { kind: 'bucket', salt: 's', min: 0, max: 49 },
  ],
};
/** Places inside TREE (relative to the tree) and their kinds. */
const TREE_FIELDS: readonly { at: readonly PathPart[]; kind: FieldKind }[] = [
  { at: ['children', 0, 'value'], kind: 'text' },
  { at: ['children', 0, 'attribute'], kind: 'text' },
  { at: ['children', 1, 'value'], kind: 'number' },
  { at: ['children', 1, 'event'], kind: 'text' },
  { at: ['children', 1, 'property'], kind: 'text' },
  { at: ['children', 1, 'window', 'from'], kind: 'time' },
  { at: ['children', 1, 'window', 'to'], kind: 'time' },
  { at: ['children', 2, 'window', 'days'], kind: 'number' },
  { at: ['children', 3, 'within', 'value'], kind: 'number' },
  { at: ['children', 4, 'at'], kind: 'time' },
  { at: ['children', 5, 'min'], kind: 'number' },
  { at: ['children', 5, 'max'], kind: 'number' },
  { at: ['children', 5, 'salt'], kind: 'text' },
  { at: ['children'], kind: 'any' },
  { at: [], kind: 'tree' },
];
const inTree = (prefix: readonly PathPart[]) =>
  TREE_FIELDS.map((f) => ({ at: [...prefix, ...f.at], kind: f.kind }));

const campaignDefinition = (audienceId: string) => ({
  audienceId,
  timing: { kind: 'periodic', cron: '0 9 * * *', timezone: 'Asia/Shanghai' },
  channels: ['push'],
  content: [{ channel: 'push', title: 'Back soon', body: 'Come back', landingUrl: 'https://example.com/a' }],
  priority: 60,
  budgetCents: 50_000,
});

const TEMPLATES: readonly Template[] = [
  {
    name: 'audience create',
    method: 'POST',
    path: () => '/v1/audiences',
    base: () => ({ name: 'Probe', description: 'd', definition: TREE }),
    fields: [
      { at: ['name'], kind: 'text' },
      { at: ['description'], kind: 'text' },
      ...inTree(['definition']),
    ],
    guarded: false,
  },
  {
    name: 'audience preview',
    method: 'POST',
    path: () => '/v1/audiences/preview',
    base: () => ({ definition: TREE, sample: 5, asOf: '2026-11-20T12:00:00Z' }),
    fields: [{ at: ['sample'], kind: 'number' }, { at: ['asOf'], kind: 'time' }, ...inTree(['definition'])],
    guarded: false,
  },
  {
    name: 'audience update',
    method: 'PATCH',
    path: (f) => `/v1/audiences/${f.audienceId}`,
    base: (f) => ({ version: f.audienceVersion, name: 'Renamed', definition: TREE }),
    fields: [{ at: ['name'], kind: 'text' }, { at: ['version'], kind: 'number' }, ...inTree(['definition'])],
    guarded: true,
  },
  {
    name: 'audience snapshot',
    method: 'POST',
    path: (f) => `/v1/audiences/${f.audienceId}/snapshots`,
    base: () => ({ asOf: '2026-11-20T12:00:00Z', purpose: 'probe' }),
    fields: [
      { at: ['asOf'], kind: 'time' },
      { at: ['purpose'], kind: 'text' },
    ],
    guarded: false,
  },
  {
    name: 'campaign create',
    method: 'POST',
    path: () => '/v1/campaigns',
    base: (f) => ({ name: 'Probe campaign', definition: campaignDefinition(f.audienceId) }),
    fields: [
      { at: ['name'], kind: 'text' },
      { at: ['definition', 'priority'], kind: 'number' },
      { at: ['definition', 'budgetCents'], kind: 'number' },
      { at: ['definition', 'content', 0, 'title'], kind: 'text' },
      { at: ['definition', 'content', 0, 'body'], kind: 'text' },
      { at: ['definition', 'timing', 'cron'], kind: 'text' },
      { at: ['definition', 'timing', 'timezone'], kind: 'text' },
      { at: ['definition', 'audienceId'], kind: 'text' },
      { at: ['definition'], kind: 'any' },
    ],
    guarded: false,
  },
  {
    name: 'campaign update',
    method: 'PATCH',
    path: (f) => `/v1/campaigns/${f.campaignId}`,
    base: (f) => ({
      version: f.campaignVersion,
      name: 'Renamed',
      definition: campaignDefinition(f.audienceId),
    }),
    fields: [
      { at: ['name'], kind: 'text' },
      { at: ['version'], kind: 'number' },
      { at: ['definition', 'priority'], kind: 'number' },
      { at: ['definition', 'budgetCents'], kind: 'number' },
      { at: ['definition', 'content', 0, 'title'], kind: 'text' },
      { at: ['definition'], kind: 'any' },
    ],
    guarded: true,
  },
  {
    name: 'campaign estimate',
    method: 'POST',
    path: (f) => `/v1/campaigns/${f.campaignId}/estimate`,
    base: () => ({
      conversionRate: 0.05,
      baselineConversionRate: 0.01,
      averageOrderCents: 10_000,
      marginRate: 0.3,
    }),
    fields: [
      { at: ['conversionRate'], kind: 'number' },
      { at: ['averageOrderCents'], kind: 'number' },
      { at: ['marginRate'], kind: 'number' },
    ],
    guarded: false,
  },
  {
    name: 'campaign preview',
    method: 'POST',
    path: (f) => `/v1/campaigns/${f.campaignId}/preview`,
    base: () => ({ userId: 'u1' }),
    fields: [{ at: ['userId'], kind: 'text' }],
    guarded: false,
  },
  {
    name: 'campaign review',
    method: 'POST',
    path: (f) => `/v1/campaigns/${f.campaignId}/review`,
    base: (f) => ({ decision: 'reject', version: f.campaignVersion, note: 'no' }),
    fields: [
      { at: ['version'], kind: 'number' },
      { at: ['note'], kind: 'text' },
      { at: ['decision'], kind: 'text' },
    ],
    guarded: true,
  },
  {
    name: 'scores config',
    method: 'PUT',
    path: () => '/v1/scores/config',
    base: () => ({ version: 0, config: { churn: { silentDays: 30 } } }),
    fields: [
      { at: ['version'], kind: 'number' },
      { at: ['config', 'churn', 'silentDays'], kind: 'number' },
      { at: ['config'], kind: 'any' },
    ],
    guarded: true,
  },
  {
    name: 'scores compute',
    method: 'POST',
    path: () => '/v1/scores/compute',
    base: () => ({ asOf: '2026-11-20T12:00:00Z' }),
    fields: [{ at: ['asOf'], kind: 'time' }],
    guarded: false,
  },
  {
    name: 'warning rule create',
    method: 'POST',
    path: () => '/v1/warning-rules',
    base: () => ({ name: 'Probe rule', level: 'warning', definition: TREE }),
    fields: [{ at: ['name'], kind: 'text' }, { at: ['level'], kind: 'text' }, ...inTree(['definition'])],
    guarded: false,
  },
  {
    name: 'warning rule update',
    method: 'PATCH',
    path: (f) => (f.warningRuleId === null ? null : `/v1/warning-rules/${f.warningRuleId}`),
    base: (f) => ({ version: f.warningRuleVersion, name: 'Renamed rule' }),
    fields: [
      { at: ['name'], kind: 'text' },
      { at: ['version'], kind: 'number' },
    ],
    guarded: true,
  },
  {
    name: 'provider create',
    method: 'POST',
    path: () => '/v1/providers',
    base: () => ({
      kind: 'smtp',
      name: 'Probe SMTP',
      priority: 1,
      ratePerSecond: 20,
      config: { host: 'smtp.example.com', port: 587, secure: false, from: 'news@example.com' },
      secrets: { username: 'mailer', password: 'pw' },
    }),
    fields: [
      { at: ['name'], kind: 'text' },
      { at: ['priority'], kind: 'number' },
      { at: ['ratePerSecond'], kind: 'number' },
      { at: ['config', 'port'], kind: 'number' },
      { at: ['config', 'host'], kind: 'text' },
      { at: ['secrets', 'password'], kind: 'text' },
      { at: ['config'], kind: 'any' },
    ],
    guarded: false,
  },
  {
    name: 'provider update',
    method: 'PATCH',
    path: (f) => (f.providerId === null ? null : `/v1/providers/${f.providerId}`),
    base: (f) => ({ version: f.providerVersion, priority: 5 }),
    fields: [
      { at: ['priority'], kind: 'number' },
      { at: ['version'], kind: 'number' },
      { at: ['name'], kind: 'text' },
    ],
    guarded: true,
  },
  {
    name: 'user unsubscribe',
    method: 'POST',
    path: () => '/v1/users/u1/unsubscribes',
    base: () => ({ channel: 'sms', source: 'operator' }),
    fields: [
      { at: ['channel'], kind: 'text' },
      { at: ['source'], kind: 'text' },
    ],
    guarded: true,
  },
  {
    name: 'user churn reason',
    method: 'POST',
    path: () => '/v1/users/u1/churn-reasons',
    base: () => ({ reason: 'price', answeredAt: '2026-11-01T00:00:00Z' }),
    fields: [
      { at: ['reason'], kind: 'text' },
      { at: ['answeredAt'], kind: 'time' },
    ],
    guarded: true,
  },
  {
    name: 'planner budget',
    method: 'PUT',
    path: () => '/v1/planner/budgets/growth',
    base: () => ({ limitCents: 100_000 }),
    fields: [{ at: ['limitCents'], kind: 'number' }],
    guarded: true,
  },
  {
    name: 'planner quota',
    method: 'PUT',
    path: () => '/v1/planner/quotas/sms',
    base: () => ({ quota: 1000, costCents: 5 }),
    fields: [
      { at: ['quota'], kind: 'number' },
      { at: ['costCents'], kind: 'number' },
    ],
    guarded: true,
  },
  {
    name: 'alert destination',
    method: 'POST',
    path: () => '/v1/alerts/destinations',
    base: () => ({ name: 'Probe hook', kind: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 's' }),
    fields: [
      { at: ['name'], kind: 'text' },
      { at: ['url'], kind: 'text' },
      { at: ['secret'], kind: 'text' },
    ],
    guarded: true,
  },
  {
    name: 'alert rule',
    method: 'POST',
    path: () => '/v1/alerts/rules',
    base: () => ({ name: 'Probe alert', params: {}, cooldownMinutes: 30, destinationIds: [] }),
    fields: [
      { at: ['name'], kind: 'text' },
      { at: ['cooldownMinutes'], kind: 'number' },
      { at: ['params'], kind: 'any' },
    ],
    guarded: true,
  },
  {
    name: 'notification',
    method: 'POST',
    path: () => '/v1/notifications',
    base: (f) => ({ campaignId: f.campaignId, userId: 'u1', data: { a: 1 }, idempotencyKey: 'probe-1' }),
    fields: [
      { at: ['userId'], kind: 'text' },
      { at: ['idempotencyKey'], kind: 'text' },
      { at: ['data'], kind: 'any' },
    ],
    guarded: true,
  },
  {
    name: 'password change',
    method: 'POST',
    path: () => '/v1/auth/password',
    base: () => ({ currentPassword: 'x', newPassword: 'y' }),
    fields: [{ at: ['newPassword'], kind: 'text' }],
    guarded: true,
  },
];

/** GET requests whose query or path carries the bad value. */
const QUERY_REQUESTS = (f: Fixtures): { label: string; path: (v: string) => string }[] => [
  { label: 'audience preview asOf', path: (v) => `/v1/audiences/${f.audienceId}/preview?asOf=${v}` },
  { label: 'audience preview sample', path: (v) => `/v1/audiences/${f.audienceId}/preview?sample=${v}` },
  { label: 'audiences search', path: (v) => `/v1/audiences?search=${v}` },
  { label: 'audience id', path: (v) => `/v1/audiences/${v}` },
  { label: 'campaign id', path: (v) => `/v1/campaigns/${v}` },
  { label: 'user page', path: (v) => `/v1/console/users/${v}` },
  { label: 'user page limit', path: (v) => `/v1/console/users/u1?limit=${v}` },
  { label: 'churn structure asOf', path: (v) => `/v1/analysis/churn-structure?asOf=${v}` },
  { label: 'console activity weeks', path: (v) => `/v1/console/activity?weeks=${v}` },
  { label: 'audit before', path: (v) => `/v1/console/audit?before=${v}` },
  { label: 'snapshot members limit', path: (v) => `/v1/snapshots/missing/members?limit=${v}` },
];
const BAD_QUERY_VALUES: readonly string[] = [
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%F0%9F',
  'x'.repeat(5000),
  '%2B275760-09-13T00%3A00%3A00Z',
  '-271821-04-20',
  '1e308',
  '9223372036854775808',
  'NaN',
  '-0',
  '%E2%80%AE',
];

// ---- building requests ---------------------------------------------------------------------------

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const setAt = (root: Record<string, unknown>, at: readonly PathPart[], value: unknown): unknown => {
  if (at.length === 0) return value;
  let node: unknown = root;
  for (const part of at.slice(0, -1)) node = (node as Record<PathPart, unknown>)[part];
  (node as Record<PathPart, unknown>)[at[at.length - 1] as PathPart] = value;
  return root;
};

const describeValue = (v: unknown): string => {
  const text = unraw(typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v)));
  const clean = text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f\u202e\ud800-\udfff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return clean.length > 40 ? `${clean.slice(0, 40)}…(${text.length})` : clean;
};

/** A tree value that breaks a limit or the language (for `tree` places). */
const badTrees = (r: Rng): unknown[] => {
  const orOf = (n: number) => ({
    kind: 'or',
    children: Array.from({ length: n }, (_, i) => ({
      kind: 'attribute',
      attribute: 'city',
      op: 'eq',
      value: `c${i}`,
    })),
  });
  const nested = RAW(`${'{"kind":"not","child":'.repeat(5000)}${JSON.stringify(LEAF)}${'}'.repeat(5000)}`);
  let andDeep: unknown = LEAF;
  for (let i = 0; i < 40; i++) andDeep = { kind: 'and', children: [andDeep] };
  return [
    orOf(2500),
    { kind: 'or', children: Array.from({ length: 1000 }, () => ({ kind: 'did', event: `e${r.int(5)}` })) },
    nested,
    andDeep,
    {
      kind: 'attribute',
      attribute: 'city',
      op: 'in',
      values: Array.from({ length: 1001 }, (_, i) => `c${i}`),
    },
    { kind: 'metric', event: 'order', fn: 'count', op: 'gte', value: 2 ** 63 },
    { kind: 'metric', event: 'order', fn: 'count', op: 'between', min: -1e308, max: 1e308 },
    { kind: 'did', event: 'order', window: { type: 'between', from: -8.64e15, to: 8.64e15 + 1 } },
    {
      kind: 'did',
      event: 'order',
      window: { type: 'between', from: '+275760-09-13T00:00:00Z', to: '2026-01-01' },
    },
    { kind: 'did', event: 'order', window: { type: 'between', from: { daysAgo: 1e15 }, to: { daysAgo: 0 } } },
    { kind: 'did', event: 'order', window: { type: 'last_days', days: 1e308 } },
    { kind: 'sequence', steps: [{ event: 'a' }, { event: 'b' }], within: { value: 1e300, unit: 'days' } },
    { kind: 'sequence', steps: [{ event: 'a' }, { event: 'b' }], within: { value: 2 ** 52, unit: 'days' } },
    { kind: 'attribute', attribute: 'register_time', op: 'before', time: 2 ** 62 },
    { kind: 'attribute', attribute: 'register_time', op: 'after', time: { daysAgo: 2 ** 52 } },
    { kind: 'attribute', attribute: 'city', at: 2 ** 60, op: 'exists' },
    { kind: 'bucket', salt: 's', min: -0, max: 2 ** 63 },
    { kind: 'first_time', event: 'order', op: 'within_last', days: 'NaN' },
    { kind: 'attribute', attribute: 'a.b.c.d.e.f.g', op: 'exists' },
    { kind: 'attribute', attribute: 'x'.repeat(10_000), op: 'exists' },
    { kind: 'did', event: 'x'.repeat(10_000) },
    { kind: 'attribute', attribute: 'city', op: 'eq', value: 'x'.repeat(10_000) },
    { kind: 'audience', id: '\u0000' },
    { kind: 'unknown-kind' },
    [],
    'everyone',
  ];
};

/** Trees at the edges that are valid (a 1 000-child OR is within the 2 000-node limit). */
const oddTrees = (r: Rng): unknown[] => [
  {
    kind: 'or',
    children: Array.from({ length: 1000 }, (_, i) => ({
      kind: 'attribute',
      attribute: 'city',
      op: 'eq',
      value: `c${i}`,
    })),
  },
  { kind: 'or', children: Array.from({ length: 60 }, () => ({ kind: 'did', event: `e${r.int(5)}` })) },
  { kind: 'attribute', attribute: '__proto__', op: 'exists' },
  { kind: 'attribute', attribute: 'constructor', op: 'eq', value: 'x' },
  { kind: 'attribute', attribute: 'city', op: 'eq', value: '\u202eiahgnahS' },
  { kind: 'metric', event: 'order', fn: 'sum', property: 'amount', op: 'gt', value: -0 },
  { kind: 'bucket', salt: '\u200f', min: -0, max: 0 },
  { kind: 'did', event: 'order', window: { type: 'between', from: -8.64e15, to: 8.64e15 } },
];

const valuesFor = (kind: FieldKind, guarded: boolean, r: Rng): readonly unknown[] => {
  const bad =
    kind === 'text'
      ? BAD_TEXT
      : kind === 'number'
        ? BAD_NUMBER
        : kind === 'time'
          ? BAD_TIME
          : kind === 'tree'
            ? badTrees(r)
            : [deepObject(5000), deepArray(5000), null, 'x', 1e308, RAW('NaN')];
  if (guarded) return bad;
  const odd =
    kind === 'text'
      ? ODD_TEXT
      : kind === 'number'
        ? ODD_NUMBER
        : kind === 'time'
          ? ODD_TIME
          : kind === 'tree'
            ? oddTrees(r)
            : [];
  return [...bad, ...odd];
};

/** Breaks one template in one of several ways. */
const breakTemplate = (t: Template, f: Fixtures, r: Rng): BadRequest | null => {
  const path = t.path(f);
  if (path === null) return null;
  const baseBody = t.base(f);
  const base = baseBody === null ? {} : clone(baseBody);
  const head = `${t.method} ${path}`;
  const way = r.int(10);
  if (way <= 5 && t.fields.length > 0) {
    const field = r.pick(t.fields);
    const value = r.pick(valuesFor(field.kind, t.guarded, r));
    // A guarded request must fail for sure: a valid base with one odd value could pass.
    const body = setAt(base, field.at, value);
    return {
      label: `${head} ${field.at.join('.') || '(body)'}=${describeValue(value)}`,
      method: t.method,
      guarded: t.guarded,
      path,
      body: unraw(JSON.stringify(body)),
    };
  }
  if (way === 6) {
    // A forbidden or odd key somewhere in the body.
    const key = r.pick(BAD_KEYS);
    const field = t.fields.length > 0 ? r.pick(t.fields) : { at: [] as PathPart[], kind: 'any' as const };
    const parentAt = field.at.slice(0, -1);
    let target: Record<string, unknown> = base;
    for (const p of parentAt) {
      const next = (target as Record<PathPart, unknown>)[p];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) break;
      target = next as Record<string, unknown>;
    }
    target['zzMARKERzz'] = 0;
    const value = key === 'constructor' ? '{"prototype":{"polluted":true}}' : '{"polluted":true}';
    return {
      label: `${head} key ${describeValue(key)} under ${parentAt.join('.') || '(body)'}`,
      method: t.method,
      guarded: t.guarded,
      path,
      body: JSON.stringify(base).replace('"zzMARKERzz":0', `${JSON.stringify(key)}:${value}`),
    };
  }
  if (way === 7) {
    const raw = r.pick([
      `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      '{"name":',
      '{"name":"x"}garbage',
      '[]',
      '12',
      '"text"',
      '{"\\u005f_proto__":{"polluted":true}}',
      '{"__proto__":{"polluted":true}}',
    ]);
    return {
      label: `${head} body=${describeValue(raw)}`,
      method: t.method,
      guarded: t.guarded,
      path,
      body: raw,
    };
  }
  if (way === 8) {
    const body = { ...base, [`unknownField${r.int(100)}`]: 1 };
    return {
      label: `${head} unknown field`,
      method: t.method,
      guarded: t.guarded,
      path,
      body: JSON.stringify(body),
    };
  }
  const ct = r.pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded']);
  return {
    label: `${head} content-type ${ct}`,
    method: t.method,
    guarded: t.guarded,
    path,
    body: JSON.stringify(base),
    contentType: ct,
  };
};

/** `count` malformed requests from `seed` (the same seed gives the same requests). */
export const generateManagementBadInputs = (seed: number, count: number, f: Fixtures): BadRequest[] => {
  const r = rng(seed);
  const out: BadRequest[] = [];
  const queries = QUERY_REQUESTS(f);
  let i = 0;
  while (out.length < count) {
    // Every fifth request is a GET with a bad query or path value; the rest break a template in turn.
    if (i % 5 === 4) {
      const q = r.pick(queries);
      const v = r.pick(BAD_QUERY_VALUES);
      out.push({ label: `GET ${q.label}=${describeValue(v)}`, method: 'GET', path: q.path(v) });
    } else {
      const t = TEMPLATES[i % TEMPLATES.length] as Template;
      const req = breakTemplate(t, f, r);
      if (req !== null) out.push(req);
    }
    i++;
  }
  return out;
};

// ---- judging ---------------------------------------------------------------------------------------

/**
 * Whether a refusal names where and why. A refused input (400, 413, 415, 422) must carry
 * `errors: [{ path, message }, …]`, none empty; a refusal for the state of things (403, 404,
 * 409: not allowed, no such id, stale version) must say why in `error`.
 */
export const isPrecise = (status: number, body: unknown): boolean => {
  if (status < 400 || status >= 500) return false;
  if (typeof body !== 'object' || body === null) return false;
  if (status === 403 || status === 404 || status === 409) {
    const error = (body as { error?: unknown }).error;
    return typeof error === 'string' && error.length > 0;
  }
  const errors = (body as { errors?: unknown }).errors;
  return (
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every(
      (e: unknown) =>
        typeof e === 'object' &&
        e !== null &&
        typeof (e as { path?: unknown }).path === 'string' &&
        (e as { path: string }).path.length > 0 &&
        typeof (e as { message?: unknown }).message === 'string' &&
        (e as { message: string }).message.length > 0,
    )
  );
};

const readFixtures = async (baseUrl: string, token: string): Promise<Fixtures> => {
  const get = async (path: string) => {
    const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return res.ok ? ((await res.json()) as Record<string, unknown>) : {};
  };
  const first = (o: Record<string, unknown>, key: string) =>
    ((o[key] as { id: string; version: number }[] | undefined) ?? [])[0] ?? null;
  const audience = first(await get('/v1/audiences'), 'audiences');
  const campaign = first(await get('/v1/campaigns'), 'campaigns');
  const provider = first(await get('/v1/providers'), 'providers');
  const rule = first(await get('/v1/warning-rules'), 'rules');
  return {
    audienceId: audience?.id ?? 'aud_missing',
    audienceVersion: audience?.version ?? 1,
    campaignId: campaign?.id ?? 'cmp_missing',
    campaignVersion: campaign?.version ?? 1,
    providerId: provider?.id ?? null,
    providerVersion: provider?.version ?? 1,
    warningRuleId: rule?.id ?? null,
    warningRuleVersion: rule?.version ?? 1,
  };
};

/**
 * Sends `count` generated malformed requests to a running server (the first saved audience,
 * campaign, provider and warning rule are the targets of updates) and counts 5xx and imprecise
 * answers.
 */
export const runManagementBadInputs = async (
  options: ManagementBadInputOptions,
): Promise<ManagementBadInputReport> => {
  const fixtures = await readFixtures(options.baseUrl, options.token);
  const requests = generateManagementBadInputs(options.seed, options.count, fixtures);
  const report: ManagementBadInputReport = {
    requests: 0,
    fiveXX: 0,
    imprecise: 0,
    accepted: 0,
    wronglyAccepted: 0,
    byStatus: {},
    examples: [],
  };
  const note = (line: string) => {
    if (report.examples.length < 30) report.examples.push(line);
  };
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const req = requests[next++] as BadRequest;
      let status: number;
      let text: string;
      try {
        const res = await fetch(`${options.baseUrl}${req.path}`, {
          method: req.method,
          headers: {
            authorization: `Bearer ${options.token}`,
            ...(req.body === undefined ? {} : { 'content-type': req.contentType ?? 'application/json' }),
          },
          ...(req.body === undefined ? {} : { body: req.body }),
        });
        status = res.status;
        text = await res.text();
      } catch (e) {
        status = 599;
        text = `no answer: ${e instanceof Error ? e.message : String(e)}`;
      }
      report.requests++;
      report.byStatus[String(status)] = (report.byStatus[String(status)] ?? 0) + 1;
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
      if (status >= 500) {
        report.fiveXX++;
        note(`${status} ${req.label}: ${text.slice(0, 200)}`);
      } else if (status >= 200 && status < 300) {
        report.accepted++;
        if (req.guarded === true) {
          report.wronglyAccepted++;
          note(`accepted ${status} ${req.label}: ${text.slice(0, 200)}`);
        }
      } else if (!isPrecise(status, body)) {
        report.imprecise++;
        note(`imprecise ${status} ${req.label}: ${text.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return report;
};

/**
 * What the management runner aims at: three identified users (through `writeKeyUrl`, the batch
 * endpoint with its write key), a saved audience, a campaign, an SMTP provider and a warning rule,
 * created through the API as an admin. Throws when any of them is refused.
 */
export const createManagementFixtures = async (
  baseUrl: string,
  token: string,
  ingest: (batch: unknown[]) => Promise<void>,
  now = Date.now(),
): Promise<void> => {
  await ingest(
    ['u1', 'u2', 'u3'].map((userId) => ({
      type: 'identify',
      userId,
      timestamp: new Date(now - 86_400_000).toISOString(),
      traits: { city: 'Shanghai', email: `${userId}@example.com` },
    })),
  );
  const create = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const audience = await create('/v1/audiences', {
    name: 'Shanghai',
    definition: { kind: 'attribute', attribute: 'city', op: 'eq', value: 'Shanghai' },
  });
  await create('/v1/campaigns', {
    name: 'Welcome back',
    definition: {
      audienceId: audience['id'],
      timing: { kind: 'periodic', cron: '0 9 * * *', timezone: 'Asia/Shanghai' },
      channels: ['push'],
      content: [{ channel: 'push', title: 'Hi', body: 'Come back', landingUrl: 'https://example.com/a' }],
      priority: 60,
      budgetCents: 50_000,
    },
  });
  await create('/v1/providers', {
    kind: 'smtp',
    name: 'Main SMTP',
    priority: 1,
    ratePerSecond: 20,
    config: { host: 'smtp.example.com', port: 587, secure: false, from: 'news@example.com' },
    secrets: { username: 'mailer', password: 'pw' },
  });
  await create('/v1/warning-rules', {
    name: 'Quiet',
    level: 'warning',
    definition: { kind: 'audience', id: audience['id'] },
  });
};
