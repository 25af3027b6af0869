import type { Actor } from '../core/auth/roles.ts';
import type { Channel } from '../core/channels/channels.ts';
import type { Clock } from '../core/clock.ts';
import { err, ok } from '../core/result.ts';
import { forbidden, invalid, notFound, type Outcome, type ServiceFailure } from '../core/service-failure.ts';
import { lockPlanner, planAndWrite } from '../planner/commit-plan.ts';
import { planUsersByIds } from '../planner/plan-profiles.ts';
import { getCampaign, type CampaignRecord } from '../storage/control/campaigns.ts';
import {
  insertNotification,
  notificationMessages,
  readNotification,
  setOutboxPayload,
  type NotificationRow,
} from '../storage/control/notifications.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { unsubscribedChannels } from '../storage/control/unsubscribes.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { notificationRunId, requestHash } from './request-hash.ts';

/**
 * The notification API (features.md H1): a business system asks for one transactional message (order
 * shipped, password reset) to one user, through a running transactional campaign whose content
 * is the template. The request goes through the planner like any trigger — transactional class,
 * so marketing caps, quiet hours and marketing opt-outs do not hold it back, but reach, consent,
 * budgets and quotas do — and its outbox rows carry the request's `data` as their payload.
 * The client's idempotency key makes a retry return the first answer without a second message.
 */

export interface NotificationContext {
  control: SqlClient;
  warehouse: WarehouseSql;
  clock: Clock;
}

export interface NotifyRequest {
  campaignId: string;
  userId: string;
  data: Record<string, unknown>;
  idempotencyKey: string;
}

export interface NotificationMessage {
  key: string;
  channel: string;
  sendAt: number;
  status: string;
}

export interface NotificationView {
  idempotencyKey: string;
  campaignId: string;
  userId: string;
  /** queued: a message is in the outbox; skipped: the planner decided not to send (see reason). */
  status: 'queued' | 'skipped';
  reason: string | null;
  detail: string | null;
  messages: NotificationMessage[];
  createdAt: number;
}

/** Serialised `data` above this many bytes is refused: a payload is template scope, not a document. */
export const MAX_DATA_BYTES = 16_384;

const NOTIFY_ROLES: readonly Actor['role'][] = ['admin', 'operator'];

const viewOf = async (db: SqlClient, workspaceId: string, r: NotificationRow): Promise<NotificationView> => {
  const keys = (typeof r.message_keys === 'string' ? JSON.parse(r.message_keys) : r.message_keys) as string[];
  const rows = keys.length === 0 ? [] : await notificationMessages(db, workspaceId, keys);
  return {
    idempotencyKey: r.request_key,
    campaignId: r.campaign_id,
    userId: r.user_id,
    status: r.status,
    reason: r.reason,
    detail: r.detail,
    messages: rows.map((m) => ({
      key: m.idempotency_key,
      channel: m.channel,
      sendAt: new Date(m.send_at).getTime(),
      status: m.status,
    })),
    createdAt: new Date(r.created_at).getTime(),
  };
};

/** The same key again: the first answer if it was the same request, a conflict otherwise. */
const replay = async (
  db: SqlClient,
  workspaceId: string,
  row: NotificationRow,
  hash: string,
): Outcome<NotificationView> =>
  row.request_hash === hash
    ? ok(await viewOf(db, workspaceId, row))
    : err({
        type: 'conflict',
        reason: `idempotencyKey '${row.request_key}' was already used for a different request (campaign, user or data differ)`,
      });

const checkCampaign = (c: CampaignRecord | null, id: string): ServiceFailure | null => {
  if (c === null) return notFound(`campaign '${id}'`);
  if (c.definition.class !== 'transactional')
    return invalid(
      'campaignId',
      `campaign '${id}' is a ${c.definition.class} campaign; notifications go through a transactional one`,
    );
  if (c.status !== 'running')
    return {
      type: 'conflict',
      reason: `campaign '${id}' is ${c.status}; notifications need an approved, running campaign`,
    };
  return null;
};

const optOutsOf = async (
  db: SqlClient,
  workspaceId: string,
  userId: string,
): Promise<Map<string, Set<Channel> | 'all'>> => {
  const channels = await unsubscribedChannels(db, workspaceId, userId);
  if (channels.length === 0) return new Map();
  if (channels.some((c) => c === 'all')) return new Map([[userId, 'all']]);
  return new Map([[userId, new Set(channels.map((c) => c as Channel))]]);
};

export const notifyAs = async (
  ctx: NotificationContext,
  actor: Actor,
  req: NotifyRequest,
): Outcome<NotificationView> => {
  if (!NOTIFY_ROLES.includes(actor.role))
    return err(forbidden(`role '${actor.role}' may not send notifications`));
  const ws = actor.workspaceId;
  if (Buffer.byteLength(JSON.stringify(req.data)) > MAX_DATA_BYTES)
    return err(invalid('data', `must serialise to at most ${MAX_DATA_BYTES} bytes of JSON`));
  const hash = requestHash(req);
  const seen = await readNotification(ctx.control, ws, req.idempotencyKey);
  if (seen) return replay(ctx.control, ws, seen, hash);

  const campaign = await getCampaign(ctx.control, ws, req.campaignId);
  const refused = checkCampaign(campaign, req.campaignId);
  if (refused || campaign === null) return err(refused ?? notFound('campaign'));
  const users = await planUsersByIds(
    ctx.warehouse,
    [req.userId],
    await optOutsOf(ctx.control, ws, req.userId),
    [campaign.definition.category],
  );
  // Not recorded: the profile may arrive later, and a retry with the same key should then send.
  if (!users.ids.includes(req.userId)) return err(notFound(`user '${req.userId}'`));

  const now = ctx.clock();
  return ctx.control.transaction(async (tx) => {
    await lockPlanner(tx, ws);
    // A concurrent request with the same key committed while this one waited for the lock.
    const raced = await readNotification(tx, ws, req.idempotencyKey);
    if (raced) return replay(tx, ws, raced, hash);
    const plan = await planAndWrite(tx, {
      workspaceId: ws,
      slotAt: now,
      batches: [{ campaign, runId: notificationRunId(req.idempotencyKey), members: [req.userId] }],
      users,
      at: now,
      warehouse: ctx.warehouse,
    });
    const keys = plan.result.messages.map((m) => m.idempotencyKey);
    if (keys.length > 0) await setOutboxPayload(tx, keys, req.data);
    const skipped = plan.result.skipped[0];
    await insertNotification(tx, {
      workspaceId: ws,
      requestKey: req.idempotencyKey,
      requestHash: hash,
      campaignId: req.campaignId,
      userId: req.userId,
      status: keys.length > 0 ? 'queued' : 'skipped',
      reason: keys.length > 0 ? null : (skipped?.reason ?? 'not_planned'),
      detail: keys.length > 0 ? null : (skipped?.detail ?? null),
      messageKeys: keys,
      createdAt: now,
    });
    const row = await readNotification(tx, ws, req.idempotencyKey);
    if (!row) throw new Error('notification row missing after insert');
    return ok(await viewOf(tx, ws, row));
  });
};

/** A request's outcome and its messages' delivery status, by the client's key (every role may read). */
export const getNotificationAs = async (
  ctx: NotificationContext,
  actor: Actor,
  key: string,
): Outcome<NotificationView> => {
  const row = await readNotification(ctx.control, actor.workspaceId, key);
  return row ? ok(await viewOf(ctx.control, actor.workspaceId, row)) : err(notFound(`notification '${key}'`));
};
