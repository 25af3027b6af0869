import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage, ProviderRegistry } from '../src/core/delivery/message.ts';
import {
  ALIYUN_BATCH_LIMIT,
  aliyunSignature,
  aliyunSmsAdapter,
} from '../src/delivery/providers/adapters/sms-aliyun.ts';
import { applyReceipts, parseReceipts } from '../src/delivery/providers/receipts.ts';
import { recordOutcomes } from '../src/outbox/record.ts';
import { claimDue } from '../src/outbox/claim.ts';
import { startDeliveryWorker } from '../src/delivery/worker.ts';
import { approvedCampaign, fillOutbox } from './support/delivery-fixtures.ts';
import { closedPort, json, startFakeVendor, type Recorded } from './support/fake-vendor.ts';
import { postJson, startTestServer, type TestServer } from './support/runtime.ts';
import { outgoingMessage } from './support/outgoing-message.ts';

/**
 * Aliyun `SendBatchSms` (issue 14, point 6): a wave of one Aliyun provider goes out in one call
 * per 100 numbers; an error that may concern one number falls back to one `SendSms` each; the
 * numbers of a batch share a BizId, so each message is named by BizId and number, and receipts
 * find their row by both.
 */

const AK = 'AK1';
const SK = 'SK1';

/** One call as the fake Aliyun understood it. */
interface AliyunCall {
  action: 'SendSms' | 'SendBatchSms';
  phones: string[];
  signNames: string[];
  templateParams: Record<string, string>[];
  outId: string | null;
  bizId: string;
}

/**
 * Dysms on loopback, checking what Dysms checks: the signature (GET for SendSms, POST form for
 * SendBatchSms), the API version and action, and the batch's JSON arrays (same length, at most
 * 100 numbers, numbers in the documented format). `illegal` numbers answer
 * `isv.MOBILE_NUMBER_ILLEGAL` (for a whole batch, as Dysms does); `limited` ones
 * `isv.BUSINESS_LIMIT_CONTROL`; `accountError` answers every call.
 */
const startFakeAliyun = async (o: { illegal?: string[]; limited?: string[]; accountError?: string } = {}) => {
  const calls: AliyunCall[] = [];
  let seq = 0;
  const answer = (res: ServerResponse, code: string, message: string, status = 200) =>
    json(res, status, { Code: code, Message: message, RequestId: randomUUID() });
  const vendor = await startFakeVendor((r: Recorded, res) => {
    const isBatch = r.method === 'POST';
    const q = isBatch ? new URLSearchParams(r.body) : new URL(r.url, 'http://x').searchParams;
    const params = Object.fromEntries([...q.entries()].filter(([k]) => k !== 'Signature'));
    if (q.get('Signature') !== aliyunSignature(params, SK, r.method))
      return answer(
        res,
        'SignatureDoesNotMatch',
        'Specified signature is not matched with our calculation.',
        400,
      );
    if (params['AccessKeyId'] !== AK)
      return answer(res, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.', 404);
    if (params['Version'] !== '2017-05-25' || params['SignatureMethod'] !== 'HMAC-SHA1')
      return answer(res, 'InvalidVersion', 'Specified parameter Version is not valid.', 400);
    const action = params['Action'] as AliyunCall['action'];
    if (isBatch && action !== 'SendBatchSms') return answer(res, 'InvalidAction', 'bad action', 400);
    if (!isBatch && action !== 'SendSms') return answer(res, 'InvalidAction', 'bad action', 400);
    const arr = (k: string): unknown[] => JSON.parse(params[k] ?? 'null') as unknown[];
    const phones = (isBatch ? arr('PhoneNumberJson') : [params['PhoneNumbers']]) as string[];
    const signNames = (isBatch ? arr('SignNameJson') : [params['SignName']]) as string[];
    const templateParams = (
      isBatch ? arr('TemplateParamJson') : [JSON.parse(params['TemplateParam'] ?? '{}')]
    ) as Record<string, string>[];
    if (!params['TemplateCode']) return answer(res, 'MissingTemplateCode', 'TemplateCode is mandatory', 400);
    if (phones.length > ALIYUN_BATCH_LIMIT)
      return answer(res, 'isv.MOBILE_COUNT_OVER_LIMIT', '手机号码数量超过限制');
    if (signNames.length !== phones.length || templateParams.length !== phones.length)
      return answer(res, 'isv.INVALID_PARAMETERS', '参数异常');
    // The documented formats: mainland 11 digits; others country code + number, no + or 00.
    const wellFormed = (p: string) => /^1[3-9]\d{9}$/.test(p) || /^(?!86)[1-9]\d{6,14}$/.test(p);
    if (phones.some((p) => !wellFormed(p) || (o.illegal ?? []).includes(p)))
      return answer(res, 'isv.MOBILE_NUMBER_ILLEGAL', '非法手机号');
    if (o.accountError) return answer(res, o.accountError, '账户余额不足');
    if (phones.some((p) => (o.limited ?? []).includes(p)))
      return answer(res, 'isv.BUSINESS_LIMIT_CONTROL', '触发号码天级流控Permits:10');
    const bizId = `${900619746936498440n + BigInt(++seq)}^0`;
    calls.push({
      action,
      phones,
      signNames,
      templateParams,
      outId: params['OutId'] ?? null,
      bizId,
    });
    json(res, 200, { Code: 'OK', Message: 'OK', BizId: bizId, RequestId: randomUUID() });
  });
  return { ...vendor, calls };
};

type FakeAliyun = Awaited<ReturnType<typeof startFakeAliyun>>;

const adapterFor = (vendor: { url: string }, id = 'p-ali') =>
  aliyunSmsAdapter(
    id,
    {
      endpoint: `${vendor.url}/`,
      templateCode: 'SMS_1',
      templateParams: { content: 'text', uid: 'user_id' },
    },
    { accessKeyId: AK, accessKeySecret: SK },
    { fetch, now: () => Date.now(), nonce: () => randomUUID() },
  );

const sms = (userId: string, phone: string | undefined, signature = '【Rekindle】'): OutgoingMessage =>
  outgoingMessage(
    { channel: 'sms', text: `Hi ${userId}`, signature },
    { recipient: { userId, ...(phone === undefined ? {} : { phone }) } },
  );

const mobile = (i: number) => `+86138000${String(i).padStart(5, '0')}`;
const national = (i: number) => `138000${String(i).padStart(5, '0')}`;
const never = new AbortController().signal;

describe('Aliyun SendBatchSms adapter', () => {
  let vendor: FakeAliyun | undefined;
  afterAll(async () => vendor?.close());

  it('sends a wave in one signed POST: arrays index for index, one template, no OutId; one id per number', async () => {
    vendor = await startFakeAliyun();
    const a = adapterFor(vendor);
    // Numbers as stored before ingestion wrote E.164 go out in Aliyun's format too.
    const messages = [
      sms('u1', mobile(1)),
      sms('u2', '8613800000002'),
      sms('u3', '00852 6123 4567', '【Shop】'),
    ];
    const out = await a.sendBatch!(messages, never);
    expect(vendor.requests).toHaveLength(1);
    expect(vendor.requests[0]!.method).toBe('POST');
    expect(vendor.requests[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const [call] = vendor.calls;
    expect(call).toMatchObject({
      action: 'SendBatchSms',
      phones: ['13800000001', '13800000002', '85261234567'],
      signNames: ['Rekindle', 'Rekindle', 'Shop'],
      templateParams: [
        { content: 'Hi u1', uid: 'u1' },
        { content: 'Hi u2', uid: 'u2' },
        { content: 'Hi u3', uid: 'u3' },
      ],
      outId: null,
    });
    expect(out).toEqual([
      { kind: 'accepted', providerMessageId: `${call!.bizId}:13800000001` },
      { kind: 'accepted', providerMessageId: `${call!.bizId}:13800000002` },
      { kind: 'accepted', providerMessageId: `${call!.bizId}:85261234567` },
    ]);
    await vendor.close();
  });

  it('splits at 100 numbers; a number twice in a wave goes alone; a bad stored number never reaches Aliyun', async () => {
    vendor = await startFakeAliyun();
    const a = adapterFor(vendor);
    const messages = Array.from({ length: 205 }, (_, i) => sms(`u${i}`, mobile(i)));
    messages.push(sms('again', mobile(3)), sms('broken', '+86 12'), sms('none', undefined));
    const out = await a.sendBatch!(messages, never);
    expect(out).toHaveLength(208);
    expect(vendor.calls.map((c) => [c.action, c.phones.length])).toEqual(
      expect.arrayContaining([
        ['SendBatchSms', 100],
        ['SendBatchSms', 100],
        ['SendBatchSms', 5],
        ['SendSms', 1],
      ]),
    );
    expect(vendor.calls).toHaveLength(4);
    const alone = vendor.calls.find((c) => c.action === 'SendSms')!;
    expect(alone).toMatchObject({ phones: [national(3)], outId: 'c1:r1:s1:again' });
    expect(out[205]).toEqual({ kind: 'accepted', providerMessageId: `${alone.bizId}:${national(3)}` });
    expect(out[206]).toMatchObject({ kind: 'failed', retry: 'never', code: 'invalid_number' });
    expect(out[207]).toMatchObject({ kind: 'failed', retry: 'never', code: 'no_address' });
    const ids = out.slice(0, 206).map((o) => (o.kind === 'accepted' ? o.providerMessageId : null));
    expect(new Set(ids).size).toBe(206);
    expect(ids.every((id) => id !== null)).toBe(true);
    await vendor.close();
  });

  it('an invalid or rate-limited number fails the batch at Aliyun: each message is sent alone, the others go out', async () => {
    vendor = await startFakeAliyun({ illegal: [national(2)], limited: [national(4)] });
    const a = adapterFor(vendor);
    const messages = [1, 2, 3, 4, 5].map((i) => sms(`u${i}`, mobile(i)));
    const out = await a.sendBatch!(messages, never);
    // One refused batch, then one SendSms per message.
    expect(vendor.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'GET', 'GET', 'GET', 'GET']);
    expect(vendor.calls.map((c) => c.phones[0]).sort()).toEqual([national(1), national(3), national(5)]);
    expect(out.map((o) => o.kind)).toEqual(['accepted', 'failed', 'accepted', 'failed', 'accepted']);
    expect(out[1]).toMatchObject({ retry: 'never', code: 'vendor_isv.MOBILE_NUMBER_ILLEGAL' });
    expect(out[3]).toMatchObject({ code: 'vendor_isv.BUSINESS_LIMIT_CONTROL' });
    expect(out[3]).not.toMatchObject({ retry: 'never' });
    await vendor.close();
  });

  it('an account-wide error answers every message of the batch alike, without a call per message', async () => {
    vendor = await startFakeAliyun({ accountError: 'isv.AMOUNT_NOT_ENOUGH' });
    const a = adapterFor(vendor);
    const out = await a.sendBatch!(
      [1, 2, 3].map((i) => sms(`u${i}`, mobile(i))),
      never,
    );
    expect(vendor.requests).toHaveLength(1);
    expect(new Set(out.map((o) => JSON.stringify(o))).size).toBe(1);
    expect(out[0]).toMatchObject({
      kind: 'failed',
      retry: 'next_provider',
      code: 'vendor_isv.AMOUNT_NOT_ENOUGH',
    });
    await vendor.close();
    // Nobody listening: the batch certainly did not arrive, every message may fail over.
    const gone = adapterFor({ url: `http://127.0.0.1:${await closedPort()}` });
    const down = await gone.sendBatch!(
      [1, 2].map((i) => sms(`u${i}`, mobile(i))),
      never,
    );
    expect(down).toEqual([
      expect.objectContaining({ retry: 'next_provider', code: 'connect_failed' }),
      expect.objectContaining({ retry: 'next_provider', code: 'connect_failed' }),
    ]);
  });
});

describe('delivery workers batch an Aliyun wave (PGlite)', () => {
  let srv: TestServer;
  let vendor: FakeAliyun;
  beforeAll(async () => {
    srv = await startTestServer();
    vendor = await startFakeAliyun();
  });
  afterAll(async () => {
    await vendor.close();
    await srv.stop();
    srv.cleanup();
  });

  const outbox = (campaignId: string) =>
    srv.rt.control.query<{
      idempotency_key: string;
      user_id: string;
      status: string;
      provider_id: string | null;
      provider_message_id: string | null;
    }>(
      `SELECT idempotency_key, user_id, status, provider_id, provider_message_id FROM outbox
       WHERE campaign_id = $1 ORDER BY idempotency_key`,
      [campaignId],
    );

  it('20 SMS go out in fewer calls than messages, each row sent with its own id; a receipt lands on its row', async () => {
    // Users ingested with numbers in several written forms: stored E.164, sent in Aliyun's form.
    const forms = (i: number) =>
      [mobile(i), national(i), `86${national(i)}`, `0086 ${national(i)}`][i % 4] as string;
    const ingest = await postJson(`${srv.url}/v1/batch`, {
      batch: Array.from({ length: 20 }, (_, i) => ({
        type: 'identify',
        userId: `u${String(i).padStart(2, '0')}`,
        traits: { phone: forms(i) },
      })),
    });
    expect(ingest.json).toMatchObject({ accepted: 20, rejected: 0 });
    const campaign = 'cmp_ali_batch';
    await approvedCampaign(srv.rt.control, campaign, [
      { channel: 'sms', text: '{{ user.user_id }}，您的券已到账', signature: '【Rekindle】' },
    ]);
    const users = Array.from({ length: 20 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    await fillOutbox(
      srv.rt.control,
      users.map((u) => ({
        key: `${campaign}:run1:main:${u}`,
        campaignId: campaign,
        userId: u,
        channel: 'sms',
        sendAt: Date.now() - 1000,
      })),
    );
    // 100/s: waves of a tenth of a second, 10 messages each.
    const registry: ProviderRegistry = {
      providersFor: async (_ws, ch) =>
        ch === 'sms'
          ? [{ id: 'p-ali', channel: 'sms', ratePerSecond: 100, priority: 0, adapter: adapterFor(vendor) }]
          : [],
    };
    const worker = startDeliveryWorker(srv.rt, registry, { idleMs: 20 });
    const end = Date.now() + 30_000;
    while ((await outbox(campaign)).some((r) => r.status !== 'sent') && Date.now() < end)
      await new Promise((r) => setTimeout(r, 50));
    await worker.stop();

    expect(vendor.calls.length).toBeLessThan(20);
    expect(vendor.calls.every((c) => c.action === 'SendBatchSms')).toBe(true);
    expect(vendor.calls.flatMap((c) => c.phones).sort()).toEqual(users.map((_, i) => national(i)));
    const rows = await outbox(campaign);
    expect(rows.map((r) => r.status)).toEqual(Array(20).fill('sent'));
    expect(rows.every((r) => r.provider_id === 'p-ali')).toBe(true);
    expect(new Set(rows.map((r) => r.provider_message_id)).size).toBe(20);
    // Each row's id is its call's BizId and its own number.
    const bizOf = new Map(vendor.calls.flatMap((c) => c.phones.map((p) => [p, c.bizId] as const)));
    for (const r of rows) {
      const phone = national(Number(r.user_id.slice(1)));
      expect(r.provider_message_id).toBe(`${bizOf.get(phone)}:${phone}`);
    }

    // Aliyun's SmsReport for two numbers of one batch (no out_id: the batch had none).
    const batch = vendor.calls.find((c) => c.phones.includes(national(7)))!;
    const other = batch.phones.find((p) => p !== national(7))!;
    const report = [
      {
        phone_number: national(7),
        send_time: '2026-11-20 11:30:00',
        report_time: '2026-11-20 11:30:05',
        success: true,
        err_code: 'DELIVERED',
        err_msg: '用户接收成功',
        sms_size: '1',
        biz_id: batch.bizId,
        out_id: '',
      },
      {
        phone_number: `+86${other}`,
        send_time: '2026-11-20 11:30:00',
        report_time: '2026-11-20 11:30:06',
        success: false,
        err_code: 'MOBILE_NOT_ON_SERVICE',
        err_msg: '停机',
        sms_size: '1',
        biz_id: batch.bizId,
      },
    ];
    const receipts = parseReceipts('sms_aliyun', report, Date.now());
    if (typeof receipts === 'string') throw new Error(receipts);
    const applied = await applyReceipts(srv.rt.control, { id: 'p-ali', workspaceId: 'default' }, receipts);
    expect(applied).toEqual({ applied: 2, duplicates: 0, unknown: [] });
    const after = await outbox(campaign);
    const statusOf = (phone: string) =>
      after.find((r) => national(Number(r.user_id.slice(1))) === phone)?.status;
    expect(statusOf(national(7))).toBe('delivered');
    expect(statusOf(other)).toBe('failed');
    expect(after.filter((r) => r.status === 'sent')).toHaveLength(18);
  });

  it('a batch receipt that comes before its message is recorded is applied to that row when it is', async () => {
    const campaign = 'cmp_ali_early';
    await approvedCampaign(srv.rt.control, campaign, [
      { channel: 'sms', text: 'x', signature: '【Rekindle】' },
    ]);
    await fillOutbox(
      srv.rt.control,
      ['u00', 'u01'].map((u) => ({
        key: `${campaign}:run1:main:${u}`,
        campaignId: campaign,
        userId: u,
        channel: 'sms',
        sendAt: Date.now() - 1000,
      })),
    );
    const now = Date.now();
    const claimed = await claimDue(srv.rt.control, now, now + 60_000, 10, 'claim-ali-early');
    expect(claimed.map((c) => c.userId).sort()).toEqual(['u00', 'u01']);
    const early = parseReceipts(
      'sms_aliyun',
      [{ phone_number: national(1), biz_id: 'B-EARLY^0', success: true, err_code: 'DELIVERED' }],
      now,
    );
    if (typeof early === 'string') throw new Error(early);
    expect(await applyReceipts(srv.rt.control, { id: 'p-ali', workspaceId: 'default' }, early)).toMatchObject(
      {
        applied: 0,
        unknown: [`B-EARLY^0:${national(1)}`],
      },
    );
    await recordOutcomes(
      srv.rt.control,
      claimed.map((row) => {
        const phone = national(Number(row.userId.slice(1)));
        return {
          row,
          decision: {
            kind: 'sent',
            providerId: 'p-ali',
            providerMessageId: `B-EARLY^0:${phone}`,
            attempts: 1,
          },
        };
      }),
      Date.now(),
    );
    const rows = await outbox(campaign);
    expect(rows.map((r) => [r.user_id, r.status])).toEqual([
      ['u00', 'sent'],
      ['u01', 'delivered'],
    ]);
  });
});
