import { createHmac } from 'node:crypto';
import type { ChannelAdapter, OutgoingMessage } from '../../../core/delivery/message.ts';
import type { SqlClient } from '../../../storage/control/sql-client.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { classifyHttpStatus, failed, httpCall, isFailed, type Fetch } from './http-outcome.ts';
import { recipientPhone } from './sms-common.ts';

/**
 * Outbound calls: a call-channel message becomes a row of `call_tasks` (the call centre's list,
 * exported as CSV / JSON) and, when a smart-call vendor is configured, a signed POST of the task
 * to its webhook. Signature: `X-Rekindle-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 */

export const signWebhook = (secret: string, body: string, nowMs: number): string => {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
};

export const callTaskPayload = (m: OutgoingMessage, phone: string, script: string): string =>
  JSON.stringify({
    idempotencyKey: m.idempotencyKey,
    campaignId: m.campaignId,
    userId: m.recipient.userId,
    phone,
    script,
  });

export const callListAdapter = (
  providerId: string,
  cfg: ConfigOf<'call_list'>,
  secrets: SecretsOf<'call_list'>,
  deps: { db: SqlClient; fetch: Fetch; now: () => number },
): ChannelAdapter => ({
  providerId,
  channel: 'call',
  send: async (m, signal) => {
    if (m.content.channel !== 'call')
      return failed('never', 'wrong_channel', `a call provider got ${m.content.channel} content`);
    // The call centre dials E.164, whatever form a number was stored in before ingestion wrote E.164.
    const phone = recipientPhone(m, 'call_list');
    if (typeof phone !== 'string') return phone;
    // A retry of the same key finds the row and, if the push had failed, pushes again.
    await deps.db.query(
      `INSERT INTO call_tasks (idempotency_key, workspace_id, provider_id, campaign_id, user_id, phone, script, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        m.idempotencyKey,
        m.workspaceId,
        providerId,
        m.campaignId,
        m.recipient.userId,
        phone,
        m.content.script,
        new Date(deps.now()),
      ],
    );
    if (!cfg.webhookUrl) return { kind: 'accepted', providerMessageId: m.idempotencyKey };
    const rows = await deps.db.query<{ status: string }>(
      'SELECT status FROM call_tasks WHERE idempotency_key = $1',
      [m.idempotencyKey],
    );
    if (rows[0]?.status === 'pushed') return { kind: 'accepted', providerMessageId: m.idempotencyKey };
    const body = callTaskPayload(m, phone, m.content.script);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': m.idempotencyKey,
    };
    if (secrets.webhookSecret)
      headers['x-rekindle-signature'] = signWebhook(secrets.webhookSecret, body, deps.now());
    const res = await httpCall(deps.fetch, cfg.webhookUrl, { method: 'POST', headers, body }, signal);
    if (isFailed(res)) return res;
    if (res.status < 200 || res.status >= 300) return classifyHttpStatus(res.status);
    await deps.db.query(
      `UPDATE call_tasks SET status = 'pushed', pushed_at = $2 WHERE idempotency_key = $1`,
      [m.idempotencyKey, new Date(deps.now())],
    );
    return { kind: 'accepted', providerMessageId: m.idempotencyKey };
  },
});
