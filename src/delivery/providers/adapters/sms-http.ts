import type { ChannelAdapter, OutgoingMessage, SendOutcome } from '../../../core/delivery/message.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import {
  classifyHttpStatus,
  httpCall,
  isFailed,
  parseJson,
  retryAfterMs,
  type Fetch,
} from './http-outcome.ts';
import { smsParts } from './sms-common.ts';

/**
 * A generic HTTP SMS gateway: `POST <url>` with JSON `{to, text, idempotencyKey}` (text with
 * the signature in front), the configured auth header, and `Idempotency-Key`. A 2xx answer is
 * acceptance; its JSON `id` / `messageId` (if any) is the provider message id. `to` is E.164.
 */
export const smsHttpRequest = (
  cfg: ConfigOf<'sms_http'>,
  secrets: SecretsOf<'sms_http'>,
  m: OutgoingMessage,
) => {
  const parts = smsParts(m, 'sms_http');
  if ('kind' in parts) return parts;
  return {
    url: cfg.url,
    init: {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': m.idempotencyKey,
        [cfg.authHeader ?? 'authorization']: secrets.authValue,
      },
      body: JSON.stringify({
        to: parts.phone,
        text: `${parts.content.signature}${parts.content.text}`,
        idempotencyKey: m.idempotencyKey,
      }),
    } satisfies RequestInit,
  };
};

export const classifySmsHttp = (
  status: number,
  body: string,
  key: string,
  retryAfter?: number,
): SendOutcome => {
  if (status >= 200 && status < 300) {
    const j = parseJson(body) as { id?: unknown; messageId?: unknown } | undefined;
    const id = j?.id ?? j?.messageId;
    return {
      kind: 'accepted',
      providerMessageId: typeof id === 'string' || typeof id === 'number' ? String(id) : key,
    };
  }
  return classifyHttpStatus(status, retryAfter);
};

export const smsHttpAdapter = (
  providerId: string,
  cfg: ConfigOf<'sms_http'>,
  secrets: SecretsOf<'sms_http'>,
  deps: { fetch: Fetch; now: () => number },
): ChannelAdapter => ({
  providerId,
  channel: 'sms',
  send: async (m, signal) => {
    const req = smsHttpRequest(cfg, secrets, m);
    if ('kind' in req) return req;
    const res = await httpCall(deps.fetch, req.url, req.init, signal);
    if (isFailed(res)) return res;
    return classifySmsHttp(
      res.status,
      res.text,
      m.idempotencyKey,
      retryAfterMs(res.headers.get('retry-after'), deps.now()),
    );
  },
});
