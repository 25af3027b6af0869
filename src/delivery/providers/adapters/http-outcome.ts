import type { SendOutcome } from '../../../core/delivery/message.ts';

/**
 * Shared network plumbing of the HTTP adapters: what a transport failure or an HTTP status says
 * about whether the provider may have taken the message.
 */

export type Failed = Extract<SendOutcome, { kind: 'failed' }>;

export const failed = (
  retry: Failed['retry'],
  code: string,
  reason: string,
  retryAfterMs?: number,
): Failed => ({
  kind: 'failed',
  retry,
  code,
  reason,
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});

const REFUSED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A fetch that threw: refused / unresolvable means the request never arrived (fail over);
 * anything later (reset, timeout, abort) may have arrived, so only the same provider may retry.
 */
export const transportFailure = (e: unknown): Failed => {
  // Refused before any connection (see private-targets.ts): no provider call would do better.
  if ((e as { code?: unknown }).code === 'EPRIVATE_TARGET')
    return failed('never', 'private_target', (e as Error).message);
  const cause = (e as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : ((e as { name?: string }).name ?? 'error');
  if (REFUSED.has(code)) return failed('next_provider', 'connect_failed', `could not connect (${code})`);
  if (code === 'AbortError' || code === 'TimeoutError')
    return failed('same_provider', 'timeout', 'no answer in time');
  return failed('same_provider', 'network', `connection failed after sending (${code})`);
};

/** `Retry-After` in seconds or as an HTTP date, in ms. */
export const retryAfterMs = (header: string | null, now: number): number | undefined => {
  if (header === null) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return Math.round(s * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
};

/** The generic meaning of a non-2xx status for a send request. */
export const classifyHttpStatus = (status: number, retryAfter?: number): Failed => {
  if (status === 429) return failed('same_provider', 'http_429', 'rate limited by the provider', retryAfter);
  if (status >= 500) return failed('same_provider', `http_${status}`, `provider error ${status}`, retryAfter);
  if (status === 401 || status === 403)
    return failed('next_provider', `http_${status}`, 'the provider refused our credentials');
  if (status === 408) return failed('same_provider', 'http_408', 'provider timeout');
  return failed('never', `http_${status}`, `the provider rejected the message (${status})`);
};

/** `+8613812345678` → `+86138****5678`: enough to recognise, not enough to call. */
export const maskPhone = (phone: string): string =>
  phone.length <= 7 ? '****' : `${phone.slice(0, phone.length - 8)}****${phone.slice(-4)}`;

/** Replaces every run of 7+ digits (with an optional +) in vendor text by its masked form. */
export const maskPhonesIn = (text: string): string => text.replace(/\+?\d{7,}/g, (m) => maskPhone(m));

/** Vendor text shown to operators: masked and bounded. */
export const vendorText = (text: unknown): string => maskPhonesIn(String(text ?? '')).slice(0, 300);

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

export type Fetch = typeof fetch;

/** One HTTP request with the worker's abort signal and a per-request timeout. */
export const httpCall = async (
  fetchImpl: Fetch,
  url: string,
  init: RequestInit,
  signal: AbortSignal,
  timeoutMs = 15_000,
): Promise<HttpResponse | Failed> => {
  try {
    const res = await fetchImpl(url, {
      ...init,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (e) {
    return transportFailure(e);
  }
};

export const isFailed = (r: HttpResponse | Failed): r is Failed => 'kind' in r;

export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};
