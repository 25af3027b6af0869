import type { MessageKey } from '../../lib/i18n-dict.ts';

/**
 * The form of each provider kind: the settings and secrets src/delivery/providers/provider-kinds.ts
 * validates, as fields. Secrets are password inputs, left empty on edit to keep the stored value;
 * an optional one that is set can be cleared (sent as `null`). SMTP's DKIM signing is a group of
 * its own (`dkimToSend`): domain and selector shown, the key write-only.
 */
export type FieldType = 'text' | 'number' | 'bool' | 'secret' | 'secretArea' | 'paramMap' | 'paramList';

export interface FieldSpec {
  key: string;
  section: 'config' | 'secrets';
  type: FieldType;
  required?: true;
}

const c = (key: string, type: FieldType = 'text', required = false): FieldSpec => ({
  key,
  section: 'config',
  type,
  ...(required ? { required: true as const } : {}),
});
const s = (key: string, required = false, type: FieldType = 'secret'): FieldSpec => ({
  key,
  section: 'secrets',
  type,
  ...(required ? { required: true as const } : {}),
});
const receipt = s('receiptSecret');

export const KIND_FIELDS: Record<string, FieldSpec[]> = {
  sms_aliyun: [
    c('templateCode', 'text', true),
    c('signName'),
    c('templateParams', 'paramMap', true),
    c('regionId'),
    c('endpoint'),
    s('accessKeyId', true),
    s('accessKeySecret', true),
    receipt,
  ],
  sms_tencent: [
    c('smsSdkAppId', 'text', true),
    c('templateId', 'text', true),
    c('signName'),
    c('templateParams', 'paramList'),
    c('region'),
    c('endpoint'),
    s('secretId', true),
    s('secretKey', true),
    receipt,
  ],
  sms_http: [
    c('url', 'text', true),
    c('authHeader'),
    c('deduplicatesByKey', 'bool'),
    s('authValue', true),
    receipt,
  ],
  smtp: [
    c('host', 'text', true),
    c('port', 'number', true),
    c('secure', 'bool', true),
    c('from', 'text', true),
    c('replyTo'),
    c('maxConnections', 'number'),
    s('username'),
    s('password'),
    receipt,
  ],
  fcm: [
    c('projectId', 'text', true),
    c('tokenUrl'),
    c('apiBaseUrl'),
    s('clientEmail', true),
    s('privateKey', true, 'secretArea'),
    receipt,
  ],
  wechat_oa: [c('appId', 'text', true), c('apiBaseUrl'), s('appSecret', true), receipt],
  wecom: [
    c('corpId', 'text', true),
    c('agentId', 'number', true),
    c('apiBaseUrl'),
    s('corpSecret', true),
    receipt,
  ],
  call_list: [c('webhookUrl'), s('webhookSecret'), receipt],
  webhook: [c('url', 'text', true), c('deduplicatesByKey', 'bool'), s('secret', true), receipt],
  inbox: [],
};

/** The kinds in the order the form offers them (SMS first: the channel most teams add first). */
export const KINDS = Object.keys(KIND_FIELDS);

/** The label of a field: `prov.f.<key>` (every key above has one). */
export const fieldLabel = (key: string): MessageKey => `prov.f.${key}` as MessageKey;

/** What a test send goes to, per kind (null: nothing to test against a vendor). */
export const TEST_TO: Record<string, MessageKey | null> = {
  smtp: 'prov.test.to.email',
  sms_http: 'prov.test.to.phone',
  sms_aliyun: 'prov.test.to.phone',
  sms_tencent: 'prov.test.to.phone',
  fcm: 'prov.test.to.pushToken',
  wechat_oa: 'prov.test.to.wecomOpenId',
  wecom: 'prov.test.to.wecomUserId',
  webhook: 'prov.test.to.userId',
  call_list: null,
  inbox: null,
};

/** A template parameter source as the form edits it. */
export interface ParamRow {
  name?: string;
  source: 'text' | 'user_id' | 'literal';
  literal?: string;
}

type Source = 'text' | 'user_id' | { literal: string };

const toSource = (r: ParamRow): Source => (r.source === 'literal' ? { literal: r.literal ?? '' } : r.source);

const toRow = (v: unknown, name?: string): ParamRow => {
  const base = name === undefined ? {} : { name };
  if (v === 'text' || v === 'user_id') return { ...base, source: v };
  const literal = typeof v === 'object' && v !== null ? (v as { literal?: unknown }).literal : undefined;
  return { ...base, source: 'literal', literal: typeof literal === 'string' ? literal : '' };
};

/** Stored configuration → form values (`config.<key>`), parameter maps and lists as rows. */
export const configToForm = (kind: string, config: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const f of KIND_FIELDS[kind] ?? []) {
    if (f.section !== 'config') continue;
    const v = config[f.key];
    if (f.type === 'paramMap')
      out[f.key] = Object.entries((v ?? {}) as Record<string, unknown>).map(([n, src]) => toRow(src, n));
    else if (f.type === 'paramList') out[f.key] = Array.isArray(v) ? v.map((src) => toRow(src)) : [];
    else out[f.key] = v;
  }
  return out;
};

/** Form values → the configuration the API validates: empty optional fields left out. */
export const formToConfig = (kind: string, values: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const f of KIND_FIELDS[kind] ?? []) {
    if (f.section !== 'config') continue;
    const v = values[f.key];
    if (f.type === 'paramMap') {
      const rows = (Array.isArray(v) ? v : []) as ParamRow[];
      out[f.key] = Object.fromEntries(
        rows.filter((r) => (r.name ?? '') !== '').map((r) => [r.name, toSource(r)]),
      );
    } else if (f.type === 'paramList') {
      const rows = (Array.isArray(v) ? v : []) as ParamRow[];
      out[f.key] = rows.map(toSource);
    } else if (f.type === 'bool') {
      if (v === true || f.required) out[f.key] = v === true;
    } else if (f.type === 'number') {
      if (typeof v === 'number') out[f.key] = v;
    } else if (typeof v === 'string' && v.trim() !== '') out[f.key] = v.trim();
  }
  return out;
};

/**
 * Form values → the secrets to send: those typed, and `null` for each optional one the operator
 * chose to clear (on edit, the others are kept). A required secret is never sent as `null`.
 */
export const formToSecrets = (
  kind: string,
  values: Record<string, unknown>,
  clearing: readonly string[] = [],
): Record<string, string | null> => {
  const out: Record<string, string | null> = {};
  for (const f of KIND_FIELDS[kind] ?? []) {
    if (f.section !== 'secrets') continue;
    const v = values[f.key];
    if (clearing.includes(f.key) && f.required !== true) out[f.key] = null;
    else if (typeof v === 'string' && v !== '') out[f.key] = v;
  }
  return out;
};

/** SMTP's DKIM group as the form edits it. */
export interface DkimForm {
  domainName?: string;
  keySelector?: string;
  privateKey?: string;
}

/** What the provider shows of its DKIM (the key is never shown). */
export interface DkimShown {
  domainName: string;
  keySelector: string;
}

const trimmed = (v: string | undefined) => (v ?? '').trim();

/** Whether the operator started filling in the DKIM group (then domain and selector are needed). */
export const dkimStarted = (v: DkimForm | undefined, stored: DkimShown | undefined): boolean =>
  stored !== undefined ||
  trimmed(v?.domainName) !== '' ||
  trimmed(v?.keySelector) !== '' ||
  trimmed(v?.privateKey) !== '';

/**
 * The DKIM part of the secrets to send: `{dkim: null}` to turn it off, `{dkim: {…}}` when new or
 * changed (without `privateKey` when not re-entered: the server keeps the stored key), `{}` when
 * nothing changed or nothing was entered.
 */
export const dkimToSend = (
  v: DkimForm | undefined,
  stored: DkimShown | undefined,
  clearing: boolean,
): { dkim?: { domainName: string; keySelector: string; privateKey?: string } | null } => {
  if (clearing) return stored === undefined ? {} : { dkim: null };
  if (!dkimStarted(v, stored)) return {};
  const domainName = trimmed(v?.domainName);
  const keySelector = trimmed(v?.keySelector);
  const privateKey = trimmed(v?.privateKey);
  const same = stored !== undefined && stored.domainName === domainName && stored.keySelector === keySelector;
  if (same && privateKey === '') return {};
  return { dkim: { domainName, keySelector, ...(privateKey === '' ? {} : { privateKey }) } };
};

/**
 * The server's refusal at a field, in words: a required secret's removal, a DKIM key that cannot
 * sign or a selector DNS cannot hold; anything else "not valid".
 */
export const fieldErrorKey = (path: string, message: string): MessageKey => {
  if (message.startsWith('required: it cannot be removed')) return 'prov.secret.refused';
  if (path === 'secrets.dkim.privateKey')
    return /RSA key is needed/.test(message) ? 'prov.dkim.notRsa' : 'prov.dkim.unreadable';
  if (path === 'secrets.dkim.keySelector') return 'prov.dkim.selectorInvalid';
  if (path === 'secrets.dkim.domainName') return 'prov.dkim.domainInvalid';
  return 'prov.form.invalid';
};

/**
 * The form field a refusal names (`config.url`, `secrets.authValue`, `name`), so the error shows
 * under that field in words instead of the server's path.
 */
export const fieldOfPath = (kind: string, path: string): (string | number)[] | null => {
  if (kind === 'smtp' && (path === 'secrets.dkim' || path.startsWith('secrets.dkim.'))) {
    const part = path.split('.')[2];
    return ['dkim', part === 'domainName' || part === 'keySelector' ? part : 'privateKey'];
  }
  for (const top of ['name', 'priority', 'ratePerSecond', 'enabled'])
    if (path === top || path.startsWith(`${top}.`)) return [top];
  for (const f of KIND_FIELDS[kind] ?? []) {
    const p = `${f.section}.${f.key}`;
    if (path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`)) return [f.section, f.key];
  }
  return null;
};

const KIND_KEYS = new Set(KINDS);
const CHANNEL_KEYS = new Set(['sms', 'email', 'push', 'wecom', 'in_app', 'call', 'webhook']);

/** The label of a provider kind, or "unknown" for one a newer server knows. */
export const kindKey = (kind: string): MessageKey =>
  KIND_KEYS.has(kind) ? (`prov.kind.${kind}` as MessageKey) : 'prov.unknown';

/** The label of a channel. */
export const channelKey = (channel: string): MessageKey =>
  CHANNEL_KEYS.has(channel) ? (`prov.channel.${channel}` as MessageKey) : 'prov.unknown';
