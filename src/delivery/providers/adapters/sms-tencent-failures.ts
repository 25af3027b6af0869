import type { SendOutcome } from '../../../core/delivery/message.ts';
import { failed, parseJson, vendorText } from './http-outcome.ts';

/** What a Tencent Cloud SMS answer means for the message (error codes: SMS "错误码"). */

const NEVER =
  /^(InvalidParameterValue\.(IncorrectPhoneNumber|ContentLengthLimit|ProhibitedUseUrlInTemplateParameter)|FailedOperation\.(PhoneNumberInBlacklist|ContainSensitiveWord|PhoneNumberParseFail)|LimitExceeded\.(PhoneNumberDailyLimit|PhoneNumberOneHourLimit|PhoneNumberThirtySecondLimit|PhoneNumberSameContentDailyLimit)|UnsupportedOperation\.UnsupportedRegion)$/;
const SAME = /^(InternalError|RequestLimitExceeded|LimitExceeded\.DeliveryFrequencyLimit)/;

const classifyCode = (code: string, message: unknown): SendOutcome & { kind: 'failed' } => {
  const reason = `tencent: ${vendorText(message ?? code)}`;
  if (NEVER.test(code)) return failed('never', `vendor_${code}`, reason);
  if (SAME.test(code)) return failed('same_provider', `vendor_${code}`, reason);
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
