import { createHmac } from 'node:crypto';
import type { ChannelAdapter, OutgoingMessage } from '../../../core/delivery/message.ts';
import { callTaskStatus, insertCallTask, markCallTaskPushed } from '../../../storage/control/call-tasks.ts';
import { listCallerNumbers } from '../../../storage/control/caller-numbers.ts';
import { pickCallerNumber } from '../../../core/planner/channel-reach.ts';
import { hashString } from '../../../core/planner/hash.ts';
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

export const callTaskPayload = (
  m: OutgoingMessage,
  phone: string,
  script: string,
  callerNumber: string | null = null,
): string =>
  JSON.stringify({
    idempotencyKey: m.idempotencyKey,
    campaignId: m.campaignId,
    userId: m.recipient.userId,
    phone,
    script,
    // The number to call from, when the workspace keeps a list (only healthy ones: issue 17).
    ...(callerNumber === null ? {} : { callerNumber }),
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
    // A number flagged as harassment (标记为骚扰) or retired is never given to a new task; with
    // numbers kept and none healthy, the call does not go out (the planner stops planning them).
    const numbers = await listCallerNumbers(deps.db, m.workspaceId);
    const callerNumber = pickCallerNumber(numbers, hashString(m.recipient.userId));
    if (numbers.length > 0 && callerNumber === null)
      return failed('never', 'no_caller_number', 'no healthy caller number left (all retired or flagged)');
    // A retry of the same key finds the row and, if the push had failed, pushes again.
    await insertCallTask(deps.db, {
      idempotencyKey: m.idempotencyKey,
      workspaceId: m.workspaceId,
      providerId,
      campaignId: m.campaignId,
      userId: m.recipient.userId,
      phone,
      script: m.content.script,
      createdAt: deps.now(),
      callerNumber,
    });
    if (!cfg.webhookUrl) return { kind: 'accepted', providerMessageId: m.idempotencyKey };
    if ((await callTaskStatus(deps.db, m.idempotencyKey)) === 'pushed')
      return { kind: 'accepted', providerMessageId: m.idempotencyKey };
    const body = callTaskPayload(m, phone, m.content.script, callerNumber);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': m.idempotencyKey,
    };
    if (secrets.webhookSecret)
      headers['x-rekindle-signature'] = signWebhook(secrets.webhookSecret, body, deps.now());
    const res = await httpCall(deps.fetch, cfg.webhookUrl, { method: 'POST', headers, body }, signal);
    if (isFailed(res)) return res;
    if (res.status < 200 || res.status >= 300) return classifyHttpStatus(res.status);
    await markCallTaskPushed(deps.db, m.idempotencyKey, deps.now());
    return { kind: 'accepted', providerMessageId: m.idempotencyKey };
  },
});
