import type { SendOutcome } from '../../../core/delivery/message.ts';
import { DAY, fromRow, HOUR, type FailureRow, THROTTLE_FLOOR_MS } from './failure-table.ts';
import { failed, parseJson, vendorText } from './http-outcome.ts';

/**
 * What a Tencent Cloud SMS `SendSms` (2021-01-11) answer means for the message. Codes as Tencent
 * documents them (SMS "错误码", cloud.tencent.com/document/api/382/59177, and the API 3.0
 * common errors): every answer is HTTP 200; a request-level failure is `Response.Error`, a
 * per-number one the `Code` of its `SendStatusSet` entry.
 */
export interface TencentRow extends FailureRow {
  /** Where Tencent puts this code: `Response.Error` or the number's `SendStatusSet` entry. */
  in: 'Error' | 'SendStatusSet';
  /** The `Message` Tencent sends with it. */
  message: string;
}

const row = (
  code: string,
  retry: FailureRow['retry'],
  meaning: string,
  message: string,
  extra: Partial<TencentRow> = {},
): TencentRow => ({ code, retry, meaning, message, in: 'SendStatusSet', ...extra });

/**
 * Exact codes first; a code not listed falls back to its family (the part before the first dot),
 * e.g. `InternalError.*` and `RequestLimitExceeded.*`.
 */
export const TENCENT_FAILURES: readonly TencentRow[] = [
  // The number or the content: no provider can send it.
  row(
    'InvalidParameterValue.IncorrectPhoneNumber',
    'never',
    'the phone number is malformed',
    '手机号格式错误',
  ),
  row('InvalidParameterValue.ContentLengthLimit', 'never', 'the content is too long', '请求的短信内容太长'),
  row(
    'InvalidParameterValue.ProhibitedUseUrlInTemplateParameter',
    'never',
    'a template parameter may not hold a URL',
    '禁止在模板变量中使用 URL',
  ),
  row(
    'InvalidParameterValue.TemplateParameterLengthLimit',
    'never',
    'a template parameter is too long',
    '单个模板变量字符数超过12个',
  ),
  row(
    'FailedOperation.PhoneNumberInBlacklist',
    'never',
    'the number opted out or is on a carrier blacklist',
    '手机号在免打扰名单库中',
  ),
  row(
    'FailedOperation.ContainSensitiveWord',
    'never',
    'the content holds a sensitive word',
    '短信内容中含有敏感词',
  ),
  row('FailedOperation.PhoneNumberParseFail', 'never', 'the number cannot be parsed', '手机号解析失败'),
  row(
    'UnsupportedOperation.UnsupportedRegion',
    'never',
    "the number's region is not served",
    '不支持该地区短信下发',
  ),
  row(
    'LimitExceeded.PhoneNumberCountLimit',
    'never',
    'more than 200 numbers in one request',
    '调用接口单次提交的手机号个数超过200个',
    { in: 'Error' },
  ),
  // Per-number frequency limits: wait out the window the code names.
  row(
    'LimitExceeded.PhoneNumberThirtySecondLimit',
    'later',
    'per-number limit, 30 s window',
    '单个手机号30秒内下发短信条数超过设定的上限',
    { waitMs: 30_000 },
  ),
  row(
    'LimitExceeded.PhoneNumberOneHourLimit',
    'later',
    'per-number limit, 1 h window',
    '单个手机号1小时内下发短信条数超过设定的上限',
    { waitMs: HOUR },
  ),
  row(
    'LimitExceeded.PhoneNumberDailyLimit',
    'later',
    'per-number limit, daily',
    '单个手机号日下发短信条数超过设定的上限',
    { waitMs: DAY },
  ),
  row(
    'LimitExceeded.PhoneNumberSameContentDailyLimit',
    'later',
    'per-number limit on the same content, daily',
    '单个手机号下发相同内容超过设定的上限',
    { waitMs: DAY },
  ),
  row(
    'LimitExceeded.DeliveryFrequencyLimit',
    'later',
    'a frequency policy hit, window not named',
    '下发短信命中了频率限制策略',
    { waitMs: HOUR },
  ),
  row(
    'FailedOperation.MarketingSendTimeConstraint',
    'later',
    'marketing SMS only 08:00-22:00',
    '营销短信发送时间限制',
    { waitMs: HOUR },
  ),
  // The account at this provider cannot send now: another provider may.
  row(
    'LimitExceeded.AppDailyLimit',
    'next_provider',
    "the application's daily cap",
    '业务短信日下发条数超过设定的上限',
    { in: 'Error' },
  ),
  row(
    'LimitExceeded.DailyLimit',
    'next_provider',
    "the account's international daily cap",
    '国际/港澳台短信日下发条数被限制',
    { in: 'Error' },
  ),
  row(
    'FailedOperation.InsufficientBalanceInSmsPackage',
    'next_provider',
    'the SMS package is used up',
    '套餐包余量不足',
    { in: 'Error' },
  ),
  row(
    'UnauthorizedOperation.SerivceSuspendDueToArrears',
    'next_provider',
    'the service is suspended for arrears',
    '欠费被停止服务',
    { in: 'Error' },
  ),
  row(
    'FailedOperation.SignatureIncorrectOrUnapproved',
    'next_provider',
    'the signature is not approved',
    '签名未审批或格式错误',
    { in: 'Error' },
  ),
  row(
    'FailedOperation.TemplateIncorrectOrUnapproved',
    'next_provider',
    'the template is not approved or does not match',
    '模板未审批或内容不匹配',
    { in: 'Error' },
  ),
  row(
    'UnauthorizedOperation.SmsSdkAppIdVerifyFail',
    'next_provider',
    'the SmsSdkAppId is wrong',
    'SmsSdkAppId 校验失败',
    { in: 'Error' },
  ),
  row(
    'UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny',
    'next_provider',
    'a personal account may not send marketing SMS',
    '个人用户没有发营销短信的权限',
    { in: 'Error' },
  ),
  row(
    'AuthFailure.SignatureFailure',
    'next_provider',
    'the request signature is wrong (secret)',
    'The provided credentials could not be validated.',
    { in: 'Error' },
  ),
  row('AuthFailure.SecretIdNotFound', 'next_provider', 'the SecretId does not exist', '密钥不存在', {
    in: 'Error',
  }),
  row('AuthFailure.SignatureExpire', 'next_provider', 'our clock is off by more than 5 minutes', '签名过期', {
    in: 'Error',
  }),
  // Transient at Tencent: the same provider, after a pause.
  row('RequestLimitExceeded', 'same_provider', 'the API rate is exceeded', '请求的次数超过了频率限制', {
    in: 'Error',
    waitMs: THROTTLE_FLOOR_MS,
  }),
  row(
    'InternalError.Timeout',
    'same_provider',
    'sending timed out at Tencent (it may have gone)',
    '请求下发短信超时',
    { in: 'Error' },
  ),
  row('InternalError', 'same_provider', 'Tencent internal error', '内部错误', { in: 'Error' }),
];

const lookup = (code: string): TencentRow | undefined =>
  TENCENT_FAILURES.find((r) => r.code === code) ??
  TENCENT_FAILURES.find((r) => r.code === code.split('.')[0]);

const classifyCode = (code: string, message: unknown): SendOutcome & { kind: 'failed' } => {
  const reason = `tencent: ${vendorText(message ?? code)}`;
  const known = lookup(code);
  if (known) return fromRow(known, `vendor_${code}`, reason);
  // An undocumented code: most are account, signature or template problems of this provider.
  return failed('next_provider', `vendor_${code}`, reason);
};

export const classifyTencent = (status: number, body: string): SendOutcome => {
  const j = parseJson(body) as
    | {
        Response?: {
          Error?: { Code?: unknown; Message?: unknown };
          SendStatusSet?: { Code?: unknown; Message?: unknown; SerialNo?: unknown }[];
        };
      }
    | undefined;
  const r = j?.Response;
  if (r === undefined)
    return status >= 500
      ? failed('same_provider', `http_${status}`, `tencent: http ${status}`)
      : failed('next_provider', `http_${status}`, `tencent: unreadable answer (${status})`);
  if (r.Error) return classifyCode(String(r.Error.Code), r.Error.Message);
  const one = r.SendStatusSet?.[0];
  if (!one) return failed('same_provider', 'vendor_empty', 'tencent: no send status');
  if (one.Code === 'Ok' && typeof one.SerialNo === 'string')
    return { kind: 'accepted', providerMessageId: one.SerialNo };
  return classifyCode(String(one.Code), one.Message);
};
