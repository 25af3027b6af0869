import { createHmac } from 'node:crypto';
import { Agent, request } from 'undici';
import type { Channel } from '../../core/channels/channels.ts';
import type { ChannelAdapter, OutgoingMessage, SendOutcome } from '../../core/delivery/message.ts';
import type { TargetGuard } from '../providers/private-targets.ts';

export interface WebhookAdapterOptions {
  providerId: string;
  channel: Channel;
  /**
   * Where to POST: the provider's endpoint, set by an admin. Messages never choose it (a content
   * that named its own URL could send recipients' data anywhere).
   */
  url: string;
  /** Refuses loopback and private-network targets at send time (see private-targets.ts). */
  guard?: TargetGuard | undefined;
  /** Signs each body: `X-Rekindle-Signature: sha256=<hex HMAC-SHA256(secret, body)>`. */
  secret: string;
  timeoutMs?: number;
  /** Keep-alive connections per origin. */
  connections?: number;
}

/**
 * The JSON a webhook receives. A webhook campaign's message is the operator's own document (the
 * content's `body`, rendered: Liquid inside its string values), posted as it is, not wrapped; the
 * message's identity travels in headers (`webhookHeaders`). A message of another channel sent
 * through a webhook provider (a generic gateway) is the composed message, content rendered.
 * Undefined when a webhook body does not render to JSON (a body stored before bodies were checked).
 */
export const webhookBody = (m: OutgoingMessage): string | undefined => {
  if (m.content.channel === 'webhook') {
    try {
      return JSON.stringify(JSON.parse(m.content.body));
    } catch {
      return undefined;
    }
  }
  return JSON.stringify({
    idempotency_key: m.idempotencyKey,
    workspace_id: m.workspaceId,
    campaign_id: m.campaignId,
    run_id: m.runId,
    step: m.step,
    variant: m.variant,
    channel: m.channel,
    class: m.class,
    recipient: m.recipient,
    content: m.content,
    ...(m.unsubscribeUrl === undefined ? {} : { unsubscribe_url: m.unsubscribeUrl }),
  });
};

/** Which message a request is, for endpoints that get the operator's document as the body. */
export const webhookHeaders = (m: OutgoingMessage): Record<string, string> => ({
  'x-rekindle-campaign-id': m.campaignId,
  'x-rekindle-run-id': m.runId,
  'x-rekindle-user-id': encodeURIComponent(m.recipient.userId),
  ...(m.variant === null ? {} : { 'x-rekindle-variant': encodeURIComponent(m.variant) }),
});

export const webhookSignature = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date. */
export const retryAfterMs = (header: string | string[] | undefined, now = Date.now()): number | undefined => {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
};

const errorCode = (e: unknown): string | undefined => {
  for (let x: unknown = e; typeof x === 'object' && x !== null; x = (x as { cause?: unknown }).cause) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
};

const providerId = (text: string, fallback: string): string => {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    for (const k of ['id', 'message_id', 'messageId'])
      if (typeof j[k] === 'string' && j[k] !== '') return j[k];
  } catch {
    // not JSON: the idempotency key identifies the message
  }
  return fallback;
};

/**
 * The generic webhook provider: an HTTP POST of the message as JSON (see `webhookBody`), over keep-alive
 * connections, with the idempotency key (`Idempotency-Key`) and an HMAC signature of the body.
 * 2xx → accepted; 429, 5xx, timeouts and dropped connections → the same provider again (it may
 * have the message); connection refused → the next provider (it certainly does not); any other
 * 4xx → never (the request itself is wrong).
 */
export const webhookAdapter = (o: WebhookAdapterOptions): ChannelAdapter & { close(): Promise<void> } => {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const agent = new Agent({
    connections: o.connections ?? 64,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const send = async (m: OutgoingMessage, signal: AbortSignal): Promise<SendOutcome> => {
    const url = o.url;
    // A provider stored before its url was required has none; messages no longer supply one.
    if (typeof url !== 'string' || url === '')
      return { kind: 'failed', retry: 'never', code: 'no_url', reason: 'the webhook provider has no url' };
    if (o.guard) {
      const verdict = await o.guard(url);
      if (!verdict.ok)
        return { kind: 'failed', retry: 'never', code: 'private_target', reason: verdict.reason };
    }
    const body = webhookBody(m);
    if (body === undefined)
      return {
        kind: 'failed',
        retry: 'never',
        code: 'invalid_json',
        reason: 'the webhook body did not render to valid JSON',
      };
    // The agent's header and body timeouts bound the wait: no per-request timer signal (they cost
    // more than the request itself at thousands per second).
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        signal,
        headers: {
          ...webhookHeaders(m),
          'content-type': 'application/json',
          'idempotency-key': m.idempotencyKey,
          'x-rekindle-signature': webhookSignature(o.secret, body),
        },
        body,
      });
      const text = await res.body.text();
      const s = res.statusCode;
      if (s >= 200 && s < 300)
        return { kind: 'accepted', providerMessageId: providerId(text, m.idempotencyKey) };
      const after = retryAfterMs(res.headers['retry-after']);
      if (s === 429 || s >= 500)
        return {
          kind: 'failed',
          retry: 'same_provider',
          code: `http_${s}`,
          reason: `the endpoint answered ${s}`,
          ...(after === undefined ? {} : { retryAfterMs: after }),
        };
      return { kind: 'failed', retry: 'never', code: `http_${s}`, reason: `the endpoint answered ${s}` };
    } catch (e) {
      const code = errorCode(e);
      if (code === 'ECONNREFUSED')
        return {
          kind: 'failed',
          retry: 'next_provider',
          code: 'connection_refused',
          reason: 'connection refused',
        };
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
        return {
          kind: 'failed',
          retry: 'same_provider',
          code: 'timeout',
          reason: `no answer in ${timeoutMs} ms`,
        };
      if (code === 'ERR_INVALID_URL' || code === 'UND_ERR_INVALID_ARG')
        return { kind: 'failed', retry: 'never', code: 'bad_url', reason: 'the webhook URL is not valid' };
      // Reset or dropped mid-request: the endpoint may have taken it. The message names no URL.
      return {
        kind: 'failed',
        retry: 'same_provider',
        code: code ?? 'network_error',
        reason: `network error${code ? ` (${code})` : ''}`,
      };
    }
  };
  return { providerId: o.providerId, channel: o.channel, send, close: () => agent.close() };
};
