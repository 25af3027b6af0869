import { createHmac } from 'node:crypto';
import type { ChannelAdapter, OutgoingMessage, SendOutcome } from '../../../core/delivery/message.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { failed, httpCall, isFailed, parseJson, vendorText, type Fetch } from './http-outcome.ts';
import { bareSignature, paramValue, smsParts } from './sms-common.ts';

/**
 * Aliyun Dysms `SendSms` (API version 2017-05-25), RPC style: every field a query parameter,
 * signed with HMAC-SHA1 over the sorted, percent-encoded parameters. `OutId` carries the
 * idempotency key, so receipts (which echo `out_id`) find the outbox row.
 */

export const DEFAULT_ALIYUN_ENDPOINT = 'https://dysmsapi.aliyuncs.com/';

/** Aliyun's percent-encoding: RFC 3986 unreserved characters stay, everything else is %XX. */
export const aliyunEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export const aliyunSignature = (
  params: Record<string, string>,
  accessKeySecret: string,
  method = 'GET',
): string => {
  const canonical = Object.keys(params)
    .sort()
    .map((k) => `${aliyunEncode(k)}=${aliyunEncode(params[k] ?? '')}`)
    .join('&');
  const stringToSign = `${method}&${aliyunEncode('/')}&${aliyunEncode(canonical)}`;
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign).digest('base64');
};

export const aliyunSendSmsUrl = (
  cfg: ConfigOf<'sms_aliyun'>,
  secrets: SecretsOf<'sms_aliyun'>,
  m: OutgoingMessage,
  at: { now: number; nonce: string },
): string | ReturnType<typeof failed> => {
  const parts = smsParts(m);
  if ('kind' in parts) return parts;
  const templateParam = Object.fromEntries(
    Object.entries(cfg.templateParams).map(([name, source]) => [
      name,
      paramValue(source, m, parts.content.text),
    ]),
  );
  const params: Record<string, string> = {
    AccessKeyId: secrets.accessKeyId,
    Action: 'SendSms',
    Format: 'JSON',
    OutId: m.idempotencyKey,
    PhoneNumbers: parts.phone.replace(/^\+86/, ''),
    RegionId: cfg.regionId ?? 'cn-hangzhou',
    SignName: cfg.signName ?? bareSignature(parts.content.signature),
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: at.nonce,
    SignatureVersion: '1.0',
    TemplateCode: cfg.templateCode,
    TemplateParam: JSON.stringify(templateParam),
    Timestamp: new Date(at.now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Version: '2017-05-25',
  };
  const signature = aliyunSignature(params, secrets.accessKeySecret);
  const query = Object.entries({ Signature: signature, ...params })
    .map(([k, v]) => `${aliyunEncode(k)}=${aliyunEncode(v)}`)
    .join('&');
  return `${cfg.endpoint ?? DEFAULT_ALIYUN_ENDPOINT}?${query}`;
};

/** Codes meaning this number / content can never be sent (here or anywhere). */
const NEVER = new Set([
  'isv.MOBILE_NUMBER_ILLEGAL',
  'isv.MOBILE_COUNT_OVER_LIMIT',
  'isv.BLACK_KEY_CONTROL_LIMIT',
  'isv.DAY_LIMIT_CONTROL',
  'isv.PARAM_LENGTH_LIMIT',
  'isv.INVALID_PARAMETERS',
]);
/** Transient at Aliyun's side: the same provider, later. */
const SAME = new Set([
  'isp.SYSTEM_ERROR',
  'isv.BUSINESS_LIMIT_CONTROL',
  'Throttling.User',
  'ServiceUnavailable',
]);

export const classifyAliyun = (status: number, body: string): SendOutcome => {
  const j = parseJson(body) as { Code?: unknown; Message?: unknown; BizId?: unknown } | undefined;
  if (j?.Code === 'OK' && typeof j.BizId === 'string')
    return { kind: 'accepted', providerMessageId: j.BizId };
  const code = typeof j?.Code === 'string' ? j.Code : `http_${status}`;
  const reason = `aliyun: ${vendorText(j?.Message ?? code)}`;
  if (j === undefined && status >= 500) return failed('same_provider', code, reason);
  if (NEVER.has(code)) return failed('never', `vendor_${code}`, reason);
  if (SAME.has(code) || status >= 500) return failed('same_provider', `vendor_${code}`, reason);
  // Account, signature, template, balance or credential problems: this provider cannot send it now.
  return failed('next_provider', `vendor_${code}`, reason);
};

export const aliyunSmsAdapter = (
  providerId: string,
  cfg: ConfigOf<'sms_aliyun'>,
  secrets: SecretsOf<'sms_aliyun'>,
  deps: { fetch: Fetch; now: () => number; nonce: () => string },
): ChannelAdapter => ({
  providerId,
  channel: 'sms',
  send: async (m, signal) => {
    const url = aliyunSendSmsUrl(cfg, secrets, m, { now: deps.now(), nonce: deps.nonce() });
    if (typeof url !== 'string') return url;
    const res = await httpCall(deps.fetch, url, { method: 'GET' }, signal);
    if (isFailed(res)) return res;
    return classifyAliyun(res.status, res.text);
  },
});
