import { createHmac } from 'node:crypto';
import type { ChannelAdapter, OutgoingMessage } from '../../../core/delivery/message.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { httpCall, isFailed, type failed, type Fetch } from './http-outcome.ts';
import { classifyAliyun } from './sms-aliyun-failures.ts';
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
