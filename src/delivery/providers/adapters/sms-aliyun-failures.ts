import type { SendOutcome } from '../../../core/delivery/message.ts';
import { DAY, fromRow, HOUR, MINUTE, type FailureRow, THROTTLE_FLOOR_MS } from './failure-table.ts';
import { failed, parseJson, vendorText } from './http-outcome.ts';

/**
 * What an Aliyun Dysms `SendSms` answer means for the message. Codes and messages as Dysms
 * documents them ("API 错误码", help.aliyun.com/document_detail/101346); business errors come
 * with HTTP 200 and `{RequestId, Code, Message}`, gateway errors (signature, throttling) with 4xx/5xx.
 */
export interface AliyunRow extends FailureRow {
  /** The HTTP status Dysms answers this code with. */
  status: number;
  /** The `Message` Dysms sends with it. */
  message: string;
  /** The row applies only when the `Message` says this (one code, several windows). */
  when?: RegExp;
}

const row = (
  code: string,
  retry: FailureRow['retry'],
  meaning: string,
  message: string,
  extra: Partial<AliyunRow> = {},
): AliyunRow => ({ code, retry, meaning, message, status: 200, ...extra });

/** First match wins: rows with `when` come before the plain row of the same code. */
export const ALIYUN_FAILURES: readonly AliyunRow[] = [
  // The number or the content: no provider can send it.
  row('isv.MOBILE_NUMBER_ILLEGAL', 'never', 'the phone number is not valid', '非法手机号'),
  row('isv.MOBILE_COUNT_OVER_LIMIT', 'never', 'too many numbers in one request', '手机号码数量超过限制'),
  row('isv.BLACK_KEY_CONTROL_LIMIT', 'never', 'the content holds a blacklisted keyword', '黑名单管控'),
  row('isv.SMS_CONTENT_ILLEGAL', 'never', 'the content holds forbidden text', '短信内容包含禁止发送内容'),
  row('isv.PARAM_LENGTH_LIMIT', 'never', 'a template parameter is too long', '参数超出长度限制'),
  row('isv.PARAM_NOT_SUPPORT_URL', 'never', 'a template parameter may not hold a URL', '不支持URL'),
  row('isv.INVALID_PARAMETERS', 'never', 'the request parameters are malformed', '参数格式不正确'),
  // Per-number flow control (1/min, 5/h, 10/day by default): wait out the window it names.
  row('isv.BUSINESS_LIMIT_CONTROL', 'later', 'per-number limit, minute window', '触发分钟级流控Permits:1', {
    when: /分钟级/,
    waitMs: MINUTE,
  }),
  row('isv.BUSINESS_LIMIT_CONTROL', 'later', 'per-number limit, hour window', '触发小时级流控Permits:5', {
    when: /小时级/,
    waitMs: HOUR,
  }),
  row('isv.BUSINESS_LIMIT_CONTROL', 'later', 'per-number limit, day window', '触发天级流控Permits:10', {
    when: /天级/,
    waitMs: DAY,
  }),
  row('isv.BUSINESS_LIMIT_CONTROL', 'later', 'per-number limit, window not named', '触发业务流控', {
    waitMs: HOUR,
  }),
  // The account at this provider cannot send now: another provider may.
  row(
    'isv.DAY_LIMIT_CONTROL',
    'next_provider',
    "the account's daily cap (console setting)",
    '触发日发送限额',
  ),
  row('isv.MONTH_LIMIT_CONTROL', 'next_provider', "the account's monthly cap", '触发月发送限额'),
  row('isv.AMOUNT_NOT_ENOUGH', 'next_provider', 'the account balance is too low', '账户余额不足'),
  row('isv.OUT_OF_SERVICE', 'next_provider', 'the service is stopped (arrears)', '业务停机'),
  row(
    'isv.PRODUCT_UN_SUBSCRIPT',
    'next_provider',
    'SMS is not enabled for the account',
    '未开通云通信产品的阿里云客户',
  ),
  row('isv.ACCOUNT_NOT_EXISTS', 'next_provider', 'the account does not exist', '账户不存在'),
  row('isv.ACCOUNT_ABNORMAL', 'next_provider', 'the account is abnormal', '账户异常'),
  row(
    'isv.SMS_TEMPLATE_ILLEGAL',
    'next_provider',
    'the template is not in the account',
    '该账号下找不到对应模板',
  ),
  row(
    'isv.SMS_SIGNATURE_ILLEGAL',
    'next_provider',
    'the signature is not in the account',
    '该账号下找不到对应签名',
  ),
  row(
    'isv.SMS_SIGNATURE_SCENE_ILLEGAL',
    'next_provider',
    'signature and template types differ',
    '签名和模板类型不一致',
  ),
  row('isv.SIGN_STATE_ILLEGAL', 'next_provider', 'the signature is not usable', '签名状态为“不可用”'),
  row(
    'isv.TEMPLATE_MISSING_PARAMETERS',
    'next_provider',
    'the template mapping misses a parameter',
    '模板变量中存在未赋值变量',
  ),
  row(
    'isv.INVALID_JSON_PARAM',
    'next_provider',
    'TemplateParam is not valid JSON of strings',
    'JSON参数不合法,只接受字符串值',
  ),
  row('isv.DENY_IP_RANGE', 'next_provider', "the caller's IP region is barred", '源IP地址所在的地区被禁用'),
  row('isp.RAM_PERMISSION_DENY', 'next_provider', 'the AccessKey lacks the SMS permission', 'RAM权限不足'),
  row(
    'SignatureDoesNotMatch',
    'next_provider',
    'the request signature is wrong (secret)',
    'Specified signature is not matched with our calculation.',
    { status: 400 },
  ),
  row(
    'InvalidAccessKeyId.NotFound',
    'next_provider',
    'the AccessKeyId is unknown',
    'Specified access key is not found.',
    { status: 404 },
  ),
  row(
    'InvalidTimeStamp.Expired',
    'next_provider',
    'our clock is off by more than 15 minutes',
    'Specified time stamp or date value is expired.',
    { status: 400 },
  ),
  // Transient at Aliyun: the same provider, after a pause.
  row('isp.SYSTEM_ERROR', 'same_provider', 'Aliyun system error', '系统错误'),
  row(
    'Throttling.User',
    'same_provider',
    "the account's API rate is exceeded",
    'Request was denied due to user flow control.',
    {
      status: 400,
      waitMs: THROTTLE_FLOOR_MS,
    },
  ),
  row(
    'Throttling',
    'same_provider',
    'the API is throttling requests',
    'Request was denied due to request throttling.',
    {
      status: 503,
      waitMs: THROTTLE_FLOOR_MS,
    },
  ),
  row(
    'ServiceUnavailable',
    'same_provider',
    'the service is briefly unavailable',
    'The request has failed due to a temporary failure of the server.',
    { status: 503 },
  ),
  row(
    'SignatureNonceUsed',
    'same_provider',
    'the nonce was seen before (a new one goes next time)',
    'Specified signature nonce was used already.',
    { status: 400 },
  ),
];

export const classifyAliyun = (status: number, body: string): SendOutcome => {
  const j = parseJson(body) as { Code?: unknown; Message?: unknown; BizId?: unknown } | undefined;
  if (j?.Code === 'OK' && typeof j.BizId === 'string')
    return { kind: 'accepted', providerMessageId: j.BizId };
  const code = typeof j?.Code === 'string' ? j.Code : `http_${status}`;
  const message = typeof j?.Message === 'string' ? j.Message : '';
  const reason = `aliyun: ${vendorText(j?.Message ?? code)}`;
  const known = ALIYUN_FAILURES.find((r) => r.code === code && (r.when?.test(message) ?? true));
  if (known) return fromRow(known, `vendor_${code}`, reason);
  if (j === undefined && status >= 500) return failed('same_provider', code, reason);
  if (status >= 500) return failed('same_provider', `vendor_${code}`, reason);
  // An undocumented code: most are account, signature or template problems of this provider.
  return failed('next_provider', `vendor_${code}`, reason);
};
