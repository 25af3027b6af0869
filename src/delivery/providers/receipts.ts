import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendMessageLog } from '../../storage/control/message-log.ts';
import {
  deleteEarlyReceipt,
  earlyReceiptsFor,
  insertEarlyReceipt,
  lockReceiptRow,
  settleOutboxRow,
  type ReceiptOutboxRow,
} from '../../storage/control/receipts.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { aliyunReceiptMessageId } from './adapters/sms-aliyun.ts';
import type { ProviderKind } from './provider-kinds.ts';

/**
 * Delivery receipts (features.md F1): a provider tells us a message reached the handset / inbox, or
 * failed. Each vendor's shape is parsed to `Receipt`s; applying them moves the outbox row from
 * `sent` to `delivered` / `failed` and appends the message-log entry in one transaction.
 */

export interface Receipt {
  /** The provider's message id (what the adapter returned as `providerMessageId`). */
  providerMessageId?: string | undefined;
  /** Our idempotency key, when the vendor echoes it (Aliyun `out_id`, generic receipts). */
  idempotencyKey?: string | undefined;
  status: 'delivered' | 'failed';
  code: string | null;
  /** Epoch ms; the receipt's arrival when the vendor gives no time. */
  at: number;
}

const CHINA_OFFSET_MS = 8 * 3600_000;

/** `2026-11-20 08:03:04` in China time (how Aliyun and Tencent write receipt times) → epoch ms. */
export const chinaTime = (s: unknown, fallback: number): number => {
  if (typeof s !== 'string') return fallback;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(s.trim());
  if (!m) return fallback;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, se) - CHINA_OFFSET_MS;
};

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
const list = (body: unknown): unknown[] => (Array.isArray(body) ? body : [body]);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

/**
 * Aliyun SMS report push: `[{biz_id, phone_number, out_id, success, err_code, report_time, …}]`.
 * A batch's numbers share one `biz_id` (and carry no `out_id` of ours), so the message is named
 * by `biz_id` and number, as the adapter named it when the vendor took it.
 */
const aliyunReceipts = (body: unknown, now: number): Receipt[] =>
  list(body).map((x) => {
    const r = obj(x);
    const bizId = str(r['biz_id']);
    const phone = str(r['phone_number']);
    return {
      providerMessageId:
        bizId !== undefined && phone !== undefined ? aliyunReceiptMessageId(bizId, phone) : bizId,
      idempotencyKey: str(r['out_id']),
      status: r['success'] === true || r['success'] === 'true' ? 'delivered' : 'failed',
      code: str(r['err_code']) ?? null,
      at: chinaTime(r['report_time'], now),
    };
  });

/** Tencent SMS status callback: `[{sid, report_status: SUCCESS|FAIL, errmsg, user_receive_time, …}]`. */
const tencentReceipts = (body: unknown, now: number): Receipt[] =>
  list(body).map((x) => {
    const r = obj(x);
    return {
      providerMessageId: str(r['sid']),
      status: r['report_status'] === 'SUCCESS' ? 'delivered' : 'failed',
      code: str(r['errmsg']) ?? null,
      at: chinaTime(r['user_receive_time'], now),
    };
  });

/** Rekindle's generic shape: `{receipts: [{messageId | idempotencyKey, status, code?, at?}]}` or one such object. */
const genericReceipts = (body: unknown, now: number): Receipt[] | string => {
  const b = obj(body);
  const items = Array.isArray(b['receipts']) ? b['receipts'] : [body];
  const out: Receipt[] = [];
  for (const [i, x] of items.entries()) {
    const r = obj(x);
    const status = r['status'];
    if (status !== 'delivered' && status !== 'failed')
      return `receipts[${i}].status must be 'delivered' or 'failed'`;
    const at =
      typeof r['at'] === 'string' ? Date.parse(r['at']) : typeof r['at'] === 'number' ? r['at'] : now;
    out.push({
      providerMessageId: str(r['messageId']),
      idempotencyKey: str(r['idempotencyKey']),
      status,
      code: str(r['code']) ?? null,
      at: Number.isNaN(at) ? now : at,
    });
  }
  return out;
};

/** Parses a receipt body by the provider's kind; a string says why the body is not a receipt. */
export const parseReceipts = (kind: ProviderKind, body: unknown, now: number): Receipt[] | string => {
  if (kind === 'sms_aliyun') return aliyunReceipts(body, now);
  if (kind === 'sms_tencent') return tencentReceipts(body, now);
  return genericReceipts(body, now);
};

/** What the vendor expects back to stop retrying. */
export const receiptAck = (kind: ProviderKind): Record<string, unknown> =>
  kind === 'sms_aliyun'
    ? { code: 0, msg: '成功' }
    : kind === 'sms_tencent'
      ? { result: 0, errmsg: 'OK' }
      : {};

const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export const receiptSignature = (secret: string, rawBody: string): string =>
  `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;

/**
 * Whether a receipt request proves it comes from the provider: `X-Rekindle-Signature:
 * sha256=<hex HMAC-SHA256(receiptSecret, raw body)>`, or — for vendors that cannot sign their
 * callbacks (Aliyun, Tencent SMS reports) — the secret as `?token=` in the callback URL
 * configured at the vendor (HTTPS only in production).
 */
export const receiptVerified = (
  kind: ProviderKind,
  secret: string | undefined,
  rawBody: string,
  signature: string | undefined,
  token: string | undefined,
): boolean => {
  if (!secret) return false;
  if (signature !== undefined) return safeEqual(signature, receiptSignature(secret, rawBody));
  if ((kind === 'sms_aliyun' || kind === 'sms_tencent') && token !== undefined)
    return safeEqual(token, secret);
  return false;
};

export interface ReceiptReport {
  applied: number;
  duplicates: number;
  /**
   * Receipts naming no message of this provider that is recorded as sent yet (reported, not an
   * error: the vendor would retry forever). They are kept in `early_receipts` and applied when
   * the message is recorded (a vendor may call back before the worker's transaction commits).
   */
  unknown: string[];
}

/** One receipt on its message's row, if the row has been sent and not already settled. */
const settle = async (
  tx: SqlClient,
  provider: { id: string; workspaceId: string },
  row: ReceiptOutboxRow,
  r: Receipt,
): Promise<void> => {
  await settleOutboxRow(tx, row.idempotency_key, r.status, r.at);
  await appendMessageLog(tx, [
    {
      workspaceId: provider.workspaceId,
      idempotencyKey: row.idempotency_key,
      campaignId: row.campaign_id,
      runId: row.run_id,
      step: row.step,
      variant: row.variant,
      userId: row.user_id,
      channel: row.channel,
      kind: r.status,
      at: r.at,
      properties: { providerId: provider.id, ...(r.code === null ? {} : { code: r.code }) },
    },
  ]);
};

const findRow = async (
  tx: SqlClient,
  provider: { id: string; workspaceId: string },
  r: Pick<Receipt, 'providerMessageId' | 'idempotencyKey'>,
): Promise<ReceiptOutboxRow | undefined> =>
  lockReceiptRow(tx, provider, r.providerMessageId ?? null, r.idempotencyKey ?? null);

/** Applies receipts of one provider in one transaction; a receipt already applied is a no-op. */
export const applyReceipts = async (
  db: SqlClient,
  provider: { id: string; workspaceId: string },
  receipts: readonly Receipt[],
  receivedAt = Date.now(),
): Promise<ReceiptReport> =>
  db.transaction(async (tx) => {
    const report: ReceiptReport = { applied: 0, duplicates: 0, unknown: [] };
    for (const r of receipts) {
      const row = await findRow(tx, provider, r);
      if (!row || row.status === 'pending' || row.status === 'sending') {
        // Not recorded as sent yet (or not at all): kept until the worker records it.
        await insertEarlyReceipt(tx, {
          workspaceId: provider.workspaceId,
          providerId: provider.id,
          providerMessageId: r.providerMessageId ?? null,
          idempotencyKey: r.idempotencyKey ?? null,
          status: r.status,
          code: r.code,
          at: r.at,
          receivedAt,
        });
        report.unknown.push(r.providerMessageId ?? r.idempotencyKey ?? '(no id)');
        continue;
      }
      if (row.status !== 'sent') {
        report.duplicates++;
        continue;
      }
      await settle(tx, provider, row, r);
      report.applied++;
    }
    return report;
  });

/**
 * Inside the worker's record transaction, after messages became 'sent': the receipts that came
 * before them are applied now and removed. `sent`: key, provider and provider message id of each.
 */
export const applyEarlyReceipts = async (
  tx: SqlClient,
  sent: readonly { workspaceId: string; key: string; providerId: string; providerMessageId: string | null }[],
): Promise<number> => {
  if (sent.length === 0) return 0;
  const early = await earlyReceiptsFor(tx, sent);
  let applied = 0;
  for (const e of early) {
    const provider = { id: e.provider_id, workspaceId: e.workspace_id };
    const receipt = {
      providerMessageId: e.provider_message_id ?? undefined,
      idempotencyKey: e.idempotency_key ?? undefined,
      status: e.status,
      code: e.code,
      at: new Date(e.at).getTime(),
    };
    const row = await findRow(tx, provider, receipt);
    if (row?.status === 'sent') {
      await settle(tx, provider, row, receipt);
      applied++;
    }
    await deleteEarlyReceipt(tx, e.id);
  }
  return applied;
};
