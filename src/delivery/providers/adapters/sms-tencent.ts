import { createHash, createHmac } from 'node:crypto';
import type { ChannelAdapter, OutgoingMessage } from '../../../core/delivery/message.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { httpCall, isFailed, type Fetch } from './http-outcome.ts';
import { classifyTencent } from './sms-tencent-failures.ts';
import { bareSignature, paramValue, smsParts } from './sms-common.ts';

/**
 * Tencent Cloud SMS `SendSms` (API 2021-01-11): a JSON body signed with TC3-HMAC-SHA256.
 * `SessionContext` carries the idempotency key; receipts echo the `SerialNo` we store as the
 * provider message id.
 */

export const DEFAULT_TENCENT_ENDPOINT = 'https://sms.tencentcloudapi.com/';
const SERVICE = 'sms';
const CONTENT_TYPE = 'application/json; charset=utf-8';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();

/** The `Authorization` header of TC3-HMAC-SHA256 for a POST of `payload` to `host` at `timestamp` (s). */
export const tc3Authorization = (
  secretId: string,
  secretKey: string,
  host: string,
  payload: string,
  timestamp: number,
): string => {
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  const canonicalRequest = [
    'POST',
    '/',
    '',
    `content-type:${CONTENT_TYPE}\nhost:${host}\n`,
    'content-type;host',
    sha256(payload),
  ].join('\n');
  const scope = `${date}/${SERVICE}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(timestamp), scope, sha256(canonicalRequest)].join('\n');
  const signing = hmac(hmac(hmac(`TC3${secretKey}`, date), SERVICE), 'tc3_request');
  const signature = createHmac('sha256', signing).update(stringToSign).digest('hex');
  return `TC3-HMAC-SHA256 Credential=${secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`;
};

export const tencentSendSmsRequest = (
  cfg: ConfigOf<'sms_tencent'>,
  secrets: SecretsOf<'sms_tencent'>,
  m: OutgoingMessage,
  now: number,
) => {
  // Tencent wants E.164 with + for every number, mainland ones included.
  const parts = smsParts(m, 'tencent');
  if ('kind' in parts) return parts;
  const url = cfg.endpoint ?? DEFAULT_TENCENT_ENDPOINT;
  const host = new URL(url).host;
  const payload = JSON.stringify({
    PhoneNumberSet: [parts.phone],
    SmsSdkAppId: cfg.smsSdkAppId,
    SignName: cfg.signName ?? bareSignature(parts.content.signature),
    TemplateId: cfg.templateId,
    TemplateParamSet: cfg.templateParams.map((s) => paramValue(s, m, parts.content.text)),
    SessionContext: m.idempotencyKey,
  });
  const timestamp = Math.floor(now / 1000);
  return {
    url,
    init: {
      method: 'POST',
      headers: {
        authorization: tc3Authorization(secrets.secretId, secrets.secretKey, host, payload, timestamp),
        'content-type': CONTENT_TYPE,
        'x-tc-action': 'SendSms',
        'x-tc-timestamp': String(timestamp),
        'x-tc-version': '2021-01-11',
        'x-tc-region': cfg.region ?? 'ap-guangzhou',
      },
      body: payload,
    } satisfies RequestInit,
  };
};

export const tencentSmsAdapter = (
  providerId: string,
  cfg: ConfigOf<'sms_tencent'>,
  secrets: SecretsOf<'sms_tencent'>,
  deps: { fetch: Fetch; now: () => number },
): ChannelAdapter => ({
  providerId,
  channel: 'sms',
  send: async (m, signal) => {
    const req = tencentSendSmsRequest(cfg, secrets, m, deps.now());
    if ('kind' in req) return req;
    const res = await httpCall(deps.fetch, req.url, req.init, signal);
    if (isFailed(res)) return res;
    return classifyTencent(res.status, res.text);
  },
});
