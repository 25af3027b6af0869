import { createHmac } from 'node:crypto';
import { toE164, formatPhone } from '../../../core/channels/phone.ts';
import type { SmsContent } from '../../../core/content/schema.ts';
import type { ChannelAdapter, OutgoingMessage, SendOutcome } from '../../../core/delivery/message.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { httpCall, isFailed, parseJson, type failed, type Fetch } from './http-outcome.ts';
import { classifyAliyun } from './sms-aliyun-failures.ts';
import { bareSignature, paramValue, smsParts } from './sms-common.ts';

/**
 * Aliyun Dysms `SendSms` and `SendBatchSms` (API version 2017-05-25), RPC style: every field a
 * parameter, signed with HMAC-SHA1 over the sorted, percent-encoded parameters. `SendSms` carries
 * the idempotency key as `OutId`, which receipts echo. A batch shares one `BizId` for all its
 * numbers, so a message is named by its BizId and number (as Aliyun's own QuerySendDetails names
 * it), and receipts find it by their `biz_id` and `phone_number`.
 */

export const DEFAULT_ALIYUN_ENDPOINT = 'https://dysmsapi.aliyuncs.com/';
/** Numbers one `SendBatchSms` call may carry (Aliyun's documented limit). */
export const ALIYUN_BATCH_LIMIT = 100;

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

/** The provider message id of one number of an accepted call: `<BizId>:<number as sent>`. */
export const aliyunMessageId = (bizId: string, aliyunPhone: string): string => `${bizId}:${aliyunPhone}`;

/**
 * The provider message id a receipt names. Its `phone_number` is read in any written form, so it
 * meets the number as it was sent; one that is not a valid number is compared by its digits.
 */
export const aliyunReceiptMessageId = (bizId: string, phoneNumber: string): string => {
  const e = toE164(phoneNumber);
  const phone = e.ok ? formatPhone(e.value, 'aliyun') : phoneNumber.replace(/^\+|^00|\D/g, '');
  return aliyunMessageId(bizId, phone);
};

interface At {
  now: number;
  nonce: string;
}

/** The signed parameter set of one RPC call (common parameters, then the action's own). */
const signedParams = (
  cfg: ConfigOf<'sms_aliyun'>,
  secrets: SecretsOf<'sms_aliyun'>,
  action: Record<string, string>,
  at: At,
  method: 'GET' | 'POST',
): string => {
  const params: Record<string, string> = {
    AccessKeyId: secrets.accessKeyId,
    Format: 'JSON',
    RegionId: cfg.regionId ?? 'cn-hangzhou',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: at.nonce,
    SignatureVersion: '1.0',
    Timestamp: new Date(at.now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Version: '2017-05-25',
    ...action,
  };
  const signature = aliyunSignature(params, secrets.accessKeySecret, method);
  return Object.entries({ Signature: signature, ...params })
    .map(([k, v]) => `${aliyunEncode(k)}=${aliyunEncode(v)}`)
    .join('&');
};

const templateParam = (cfg: ConfigOf<'sms_aliyun'>, m: OutgoingMessage, text: string) =>
  Object.fromEntries(
    Object.entries(cfg.templateParams).map(([name, source]) => [name, paramValue(source, m, text)]),
  );

const signName = (cfg: ConfigOf<'sms_aliyun'>, content: SmsContent) =>
  cfg.signName ?? bareSignature(content.signature);

/** A message ready for a call: its number in Aliyun's format and its SMS content. */
export interface AliyunBatchItem {
  message: OutgoingMessage;
  phone: string;
  content: SmsContent;
}

const sendSmsUrl = (
  cfg: ConfigOf<'sms_aliyun'>,
  secrets: SecretsOf<'sms_aliyun'>,
  x: AliyunBatchItem,
  at: At,
): string => {
  const query = signedParams(
    cfg,
    secrets,
    {
      Action: 'SendSms',
      OutId: x.message.idempotencyKey,
      PhoneNumbers: x.phone,
      SignName: signName(cfg, x.content),
      TemplateCode: cfg.templateCode,
      TemplateParam: JSON.stringify(templateParam(cfg, x.message, x.content.text)),
    },
    at,
    'GET',
  );
  return `${cfg.endpoint ?? DEFAULT_ALIYUN_ENDPOINT}?${query}`;
};

export const aliyunSendSmsUrl = (
  cfg: ConfigOf<'sms_aliyun'>,
  secrets: SecretsOf<'sms_aliyun'>,
  m: OutgoingMessage,
  at: At,
): string | ReturnType<typeof failed> => {
  const parts = smsParts(m, 'aliyun');
  return 'kind' in parts ? parts : sendSmsUrl(cfg, secrets, { message: m, ...parts }, at);
};

/**
 * One `SendBatchSms` call: the JSON arrays, index for index, and one template for all. A POST
 * with a form body, since 100 rendered texts do not fit in a URL. No `OutId`: it would be one for
 * the whole batch, and a receipt echoing a message's key must never settle another message.
 */
export const aliyunSendBatchSmsRequest = (
  cfg: ConfigOf<'sms_aliyun'>,
  secrets: SecretsOf<'sms_aliyun'>,
  items: readonly AliyunBatchItem[],
  at: At,
) => {
  if (items.length === 0 || items.length > ALIYUN_BATCH_LIMIT)
    throw new Error(`SendBatchSms takes 1 to ${ALIYUN_BATCH_LIMIT} numbers, not ${items.length}`);
  const body = signedParams(
    cfg,
    secrets,
    {
      Action: 'SendBatchSms',
      PhoneNumberJson: JSON.stringify(items.map((x) => x.phone)),
      SignNameJson: JSON.stringify(items.map((x) => signName(cfg, x.content))),
      TemplateCode: cfg.templateCode,
      TemplateParamJson: JSON.stringify(items.map((x) => templateParam(cfg, x.message, x.content.text))),
    },
    at,
    'POST',
  );
  return {
    url: cfg.endpoint ?? DEFAULT_ALIYUN_ENDPOINT,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    } satisfies RequestInit,
  };
};

/**
 * Batch errors that may be about one number or one message's parameters (an invalid or
 * blacklisted number, a per-number limit, a parameter too long or with a URL): the batch is sent
 * again one `SendSms` per message, so only the message concerned fails.
 */
const ONE_MESSAGE = new Set([
  'isv.MOBILE_NUMBER_ILLEGAL',
  'isv.MOBILE_COUNT_OVER_LIMIT',
  'isv.BUSINESS_LIMIT_CONTROL',
  'isv.BLACK_KEY_CONTROL_LIMIT',
  'isv.DOMESTIC_NUMBER_NOT_SUPPORTED',
  'isv.PARAM_LENGTH_LIMIT',
  'isv.PARAM_NOT_SUPPORT_URL',
  'isv.INVALID_JSON_PARAM',
  'isv.INVALID_PARAMETERS',
  'isv.TEMPLATE_PARAMS_ILLEGAL',
  'isv.TEMPLATE_MISSING_PARAMETERS',
  'isv.SMS_CONTENT_ILLEGAL',
]);
/** Signature errors concern one message only when the batch's messages have different signatures. */
const SIGNATURE = new Set([
  'isv.SMS_SIGNATURE_ILLEGAL',
  'isv.SMS_SIGN_ILLEGAL',
  'isv.SIGN_NAME_ILLEGAL',
  'isv.SIGN_STATE_ILLEGAL',
  'isv.SMS_SIGNATURE_SCENE_ILLEGAL',
]);

/** Whether a failed batch answer may be about some of its messages only. */
export const aliyunBatchErrorConcernsOne = (body: string, signNames: readonly string[]): boolean => {
  const code = (parseJson(body) as { Code?: unknown } | undefined)?.Code;
  if (typeof code !== 'string') return false;
  return ONE_MESSAGE.has(code) || (SIGNATURE.has(code) && new Set(signNames).size > 1);
};

/**
 * Splits a wave into batches of at most 100 numbers, each number once per batch (two messages to
 * one number in one batch would share a provider message id); a repeated number goes alone.
 */
export const aliyunBatches = <T extends { phone: string }>(
  items: readonly T[],
): { batches: T[][]; alone: T[] } => {
  const seen = new Set<string>();
  const batches: T[][] = [];
  const alone: T[] = [];
  for (const x of items) {
    if (seen.has(x.phone)) {
      alone.push(x);
      continue;
    }
    seen.add(x.phone);
    const last = batches[batches.length - 1];
    if (last !== undefined && last.length < ALIYUN_BATCH_LIMIT) last.push(x);
    else batches.push([x]);
  }
  return { batches, alone };
};

export const aliyunSmsAdapter = (
  providerId: string,
  cfg: ConfigOf<'sms_aliyun'>,
  secrets: SecretsOf<'sms_aliyun'>,
  deps: { fetch: Fetch; now: () => number; nonce: () => string },
): ChannelAdapter => {
  const at = () => ({ now: deps.now(), nonce: deps.nonce() });

  const sendOne = async (x: AliyunBatchItem, signal: AbortSignal): Promise<SendOutcome> => {
    const res = await httpCall(deps.fetch, sendSmsUrl(cfg, secrets, x, at()), { method: 'GET' }, signal);
    if (isFailed(res)) return res;
    const o = classifyAliyun(res.status, res.text);
    return o.kind === 'accepted'
      ? { kind: 'accepted', providerMessageId: aliyunMessageId(o.providerMessageId, x.phone) }
      : o;
  };

  const sendBatch = async (
    items: readonly AliyunBatchItem[],
    signal: AbortSignal,
  ): Promise<readonly SendOutcome[]> => {
    if (items.length === 1) return [await sendOne(items[0] as AliyunBatchItem, signal)];
    const req = aliyunSendBatchSmsRequest(cfg, secrets, items, at());
    const res = await httpCall(deps.fetch, req.url, req.init, signal);
    if (isFailed(res)) return items.map(() => res);
    const o = classifyAliyun(res.status, res.text);
    if (o.kind === 'accepted')
      return items.map((x) => ({
        kind: 'accepted',
        providerMessageId: aliyunMessageId(o.providerMessageId, x.phone),
      }));
    if (
      aliyunBatchErrorConcernsOne(
        res.text,
        items.map((x) => signName(cfg, x.content)),
      )
    )
      return Promise.all(items.map((x) => sendOne(x, signal)));
    return items.map(() => o);
  };

  return {
    providerId,
    channel: 'sms',
    send: async (m, signal) => {
      const parts = smsParts(m, 'aliyun');
      return 'kind' in parts ? parts : sendOne({ message: m, ...parts }, signal);
    },
    sendBatch: async (messages, signal) => {
      const outcomes: SendOutcome[] = [];
      const ready: (AliyunBatchItem & { i: number })[] = [];
      for (const [i, m] of messages.entries()) {
        const parts = smsParts(m, 'aliyun');
        if ('kind' in parts) outcomes[i] = parts;
        else ready.push({ message: m, ...parts, i });
      }
      const { batches, alone } = aliyunBatches(ready);
      const calls = [...batches, ...alone.map((x) => [x])];
      const answers = await Promise.all(calls.map((b) => sendBatch(b, signal)));
      for (const [k, b] of calls.entries())
        for (const [j, x] of b.entries()) outcomes[x.i] = answers[k]?.[j] as SendOutcome;
      return outcomes;
    },
  };
};
