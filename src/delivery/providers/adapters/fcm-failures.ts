import type { SendOutcome } from '../../../core/delivery/message.ts';
import { classifyHttpStatus, failed, parseJson, vendorText } from './http-outcome.ts';

/** What an FCM HTTP v1 answer means for the message (FCM "ErrorCode" reference). */

interface FcmError {
  error?: { status?: unknown; message?: unknown; details?: { errorCode?: unknown }[] };
}

export const classifyFcm = (status: number, body: string, retryAfter?: number): SendOutcome => {
  const j = parseJson(body) as (FcmError & { name?: unknown }) | undefined;
  if (status >= 200 && status < 300 && typeof j?.name === 'string')
    return { kind: 'accepted', providerMessageId: j.name };
  const detail = j?.error?.details?.find((d) => typeof d.errorCode === 'string')?.errorCode;
  const code =
    typeof detail === 'string'
      ? detail
      : typeof j?.error?.status === 'string'
        ? j.error.status
        : `http_${status}`;
  const reason = `fcm: ${vendorText(j?.error?.message ?? code)}`;
  switch (code) {
    case 'UNREGISTERED':
    case 'INVALID_ARGUMENT':
    case 'SENDER_ID_MISMATCH':
      return failed('never', `vendor_${code}`, reason);
    case 'QUOTA_EXCEEDED':
    case 'UNAVAILABLE':
    case 'INTERNAL':
      return failed('same_provider', `vendor_${code}`, reason, retryAfter);
    case 'THIRD_PARTY_AUTH_ERROR':
      return failed('next_provider', `vendor_${code}`, reason);
    default:
      return status >= 200 && status < 300
        ? failed('same_provider', 'vendor_unreadable', 'fcm: unreadable answer')
        : { ...classifyHttpStatus(status, retryAfter), reason };
  }
};
