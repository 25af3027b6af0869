import type { SendOutcome } from '../../../core/delivery/message.ts';
import { failed, parseJson, vendorText } from './http-outcome.ts';

/** What an Aliyun Dysms answer means for the message (error codes: Dysms "API 错误码"). */

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
