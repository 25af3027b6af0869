import { createHmac } from 'node:crypto';
import { webhookBody, wecomRobotBody } from '../core/alerts/message.ts';
import { checkTargetNow } from '../delivery/providers/private-targets.ts';
import type { AlertCondition } from '../core/alerts/rules.ts';
import type { AlertDelivery } from '../storage/control/alert-history.ts';
import type { OpenDestination } from '../storage/control/alert-destinations.ts';

/**
 * Posts one alert to one destination. Webhooks are signed: `X-Rekindle-Signature: sha256=<hex
 * HMAC of "<timestamp>.<body>">` with the destination's secret, and `X-Rekindle-Timestamp`, so
 * the receiver can refuse forgeries and replays. A WeCom robot answers 200 with `errcode` ≠ 0 on
 * failure, so its body is checked too. Results never quote the URL.
 */
export const sendAlert = async (
  d: OpenDestination,
  c: AlertCondition,
  o: { firedAt: number; workspaceId: string; timeoutMs?: number; allowPrivateTargets?: boolean },
): Promise<AlertDelivery> => {
  const target = await checkTargetNow(d.url, o.allowPrivateTargets === true);
  if (!target.ok) return { destinationId: d.id, ok: false, result: 'refused: private-network address' };
  const body =
    d.kind === 'wecom_robot' ? wecomRobotBody(c, o.firedAt) : webhookBody(c, o.firedAt, o.workspaceId);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (d.kind === 'webhook') {
    const ts = String(Math.floor(o.firedAt / 1000));
    headers['x-rekindle-timestamp'] = ts;
    if (d.secret !== null)
      headers['x-rekindle-signature'] =
        `sha256=${createHmac('sha256', d.secret).update(`${ts}.${body}`).digest('hex')}`;
  }
  try {
    const res = await fetch(d.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(o.timeoutMs ?? 5_000),
      redirect: 'error',
    });
    const text = await res.text();
    if (!res.ok) return { destinationId: d.id, ok: false, result: `HTTP ${res.status}` };
    if (d.kind === 'wecom_robot') {
      let code: unknown = null;
      try {
        code = (JSON.parse(text) as { errcode?: unknown }).errcode;
      } catch {
        return { destinationId: d.id, ok: false, result: 'robot answered non-JSON' };
      }
      if (code !== 0) return { destinationId: d.id, ok: false, result: `robot errcode ${String(code)}` };
    }
    return { destinationId: d.id, ok: true, result: `HTTP ${res.status}` };
  } catch (e) {
    const name = e instanceof Error ? e.name : 'error';
    return { destinationId: d.id, ok: false, result: name === 'TimeoutError' ? 'timed out' : 'unreachable' };
  }
};
