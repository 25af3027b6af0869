import type { SendOutcome } from '../../../core/delivery/message.ts';
import { fromRow, MINUTE, type FailureRow } from './failure-table.ts';
import { classifyHttpStatus, failed, parseJson, vendorText } from './http-outcome.ts';

/**
 * What an FCM HTTP v1 `messages:send` answer means for the message, as the FCM `ErrorCode`
 * reference documents it (firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode). An error is
 * `{error: {code, message, status, details: [{@type: …FcmError, errorCode}]}}`; the `errorCode`
 * decides, and without one the google.rpc `status` does.
 */
export interface FcmRow extends FailureRow {
  /** The HTTP status FCM answers with. */
  status: number;
  /** The google.rpc status that comes with it. */
  rpcStatus: string;
  /** `errorCode`: the FcmError detail; `rpcStatus`: an answer without one, told by its status. */
  by: 'errorCode' | 'rpcStatus';
}

export const FCM_FAILURES: readonly FcmRow[] = [
  {
    code: 'UNREGISTERED',
    by: 'errorCode',
    status: 404,
    rpcStatus: 'NOT_FOUND',
    meaning: 'the token is no longer valid (app uninstalled, token expired): stop using it',
    retry: 'never',
    forgetAddress: 'push_token',
  },
  {
    code: 'INVALID_ARGUMENT',
    by: 'errorCode',
    status: 400,
    rpcStatus: 'INVALID_ARGUMENT',
    meaning: 'the message or the token is malformed',
    retry: 'never',
  },
  {
    code: 'SENDER_ID_MISMATCH',
    by: 'errorCode',
    status: 403,
    rpcStatus: 'PERMISSION_DENIED',
    meaning: 'the token belongs to another sender (Firebase project)',
    retry: 'never',
  },
  {
    code: 'THIRD_PARTY_AUTH_ERROR',
    by: 'errorCode',
    status: 401,
    rpcStatus: 'UNAUTHENTICATED',
    meaning: 'the APNs certificate or web push key of this project is invalid or missing',
    retry: 'next_provider',
  },
  {
    code: 'QUOTA_EXCEEDED',
    by: 'errorCode',
    status: 429,
    rpcStatus: 'RESOURCE_EXHAUSTED',
    meaning: 'a sending quota is exceeded: back off, at least a minute or the Retry-After',
    retry: 'same_provider',
    waitMs: MINUTE,
  },
  {
    code: 'UNAVAILABLE',
    by: 'errorCode',
    status: 503,
    rpcStatus: 'UNAVAILABLE',
    meaning: 'the server is overloaded: back off, honouring Retry-After',
    retry: 'same_provider',
  },
  {
    code: 'INTERNAL',
    by: 'errorCode',
    status: 500,
    rpcStatus: 'INTERNAL',
    meaning: 'an unknown internal error: retry as for UNAVAILABLE',
    retry: 'same_provider',
  },
  {
    code: 'UNAUTHENTICATED',
    by: 'rpcStatus',
    status: 401,
    rpcStatus: 'UNAUTHENTICATED',
    meaning: 'our OAuth access token was refused (expired): a fresh one is fetched for the retry',
    retry: 'same_provider',
  },
  {
    code: 'PERMISSION_DENIED',
    by: 'rpcStatus',
    status: 403,
    rpcStatus: 'PERMISSION_DENIED',
    meaning: 'the service account may not send for this project',
    retry: 'next_provider',
  },
];

interface FcmError {
  error?: { status?: unknown; message?: unknown; details?: { errorCode?: unknown }[] };
}

export const classifyFcm = (status: number, body: string, retryAfter?: number): SendOutcome => {
  const j = parseJson(body) as (FcmError & { name?: unknown }) | undefined;
  if (status >= 200 && status < 300 && typeof j?.name === 'string')
    return { kind: 'accepted', providerMessageId: j.name };
  const detail = j?.error?.details?.find((d) => typeof d.errorCode === 'string')?.errorCode;
  const rpc = typeof j?.error?.status === 'string' ? j.error.status : undefined;
  const code = typeof detail === 'string' ? detail : (rpc ?? `http_${status}`);
  const reason = `fcm: ${vendorText(j?.error?.message ?? code)}`;
  const known =
    (typeof detail === 'string'
      ? FCM_FAILURES.find((r) => r.by === 'errorCode' && r.code === detail)
      : undefined) ?? FCM_FAILURES.find((r) => r.by === 'rpcStatus' && r.code === rpc);
  if (known) return fromRow(known, `vendor_${code}`, reason, retryAfter);
  if (status >= 200 && status < 300)
    return failed('same_provider', 'vendor_unreadable', 'fcm: unreadable answer');
  return { ...classifyHttpStatus(status, retryAfter), reason };
};
