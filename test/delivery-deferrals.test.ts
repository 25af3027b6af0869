import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelContent } from '../src/core/content/schema.ts';
import type { ProviderHandle, ProviderRegistry } from '../src/core/delivery/message.ts';
import { aliyunSmsAdapter } from '../src/delivery/providers/adapters/sms-aliyun.ts';
import { tencentSmsAdapter } from '../src/delivery/providers/adapters/sms-tencent.ts';
import { startDeliveryWorker, type DeliveryRuntime } from '../src/delivery/worker.ts';
import { readMessageLog } from '../src/storage/control/message-log.ts';
import { approvedCampaign, fillOutbox } from './support/delivery-fixtures.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { profile, seed } from './support/score-scenario.ts';

/**
 * Vendors' limits in the real delivery worker on PGlite, with the vendors faked on loopback as
 * they document their answers: a per-number limit defers the message past its window without
 * using an attempt (and gives it up past the planned send time + 72 h); the account's daily cap
 * at one SMS provider sends the message through the next one at once.
 */

const HOUR = 3_600_000;
const SMS: ChannelContent = { channel: 'sms', text: 'Your coupon awaits', signature: '【Rekindle】' };

let srv: TestServer;
/**
 * The worker's clock: moved by the test, never by the wall; it starts at 11:00 in Shanghai (the
 * users' zone by default), so a one-hour deferral stays outside the default quiet hours.
 */
let now = Date.UTC(2026, 10, 20, 3);
let rt: DeliveryRuntime;

beforeAll(async () => {
  srv = await startTestServer();
  rt = { control: srv.rt.control, warehouse: srv.rt.warehouse, clock: () => now, config: srv.rt.config };
  await seed(
    srv.rt.warehouse,
    ['u1', 'u2', 'u3'].map((u, i) => profile(u, now - 90 * 86_400_000, { phone: `1381234567${i}` })),
  );
});
afterAll(async () => {
  await srv.stop();
  srv.cleanup();
});

/** Tencent SendSms (2021-01-11): HTTP 200, one SendStatus per number; `code` decides its Code. */
const fakeTencent = (code: (n: number) => string) => {
  let n = 0;
  return startFakeVendor((req, res) => {
    const body = JSON.parse(req.body) as { PhoneNumberSet: string[]; SessionContext: string };
    if (
      req.headers['x-tc-action'] !== 'SendSms' ||
      !String(req.headers.authorization).startsWith('TC3-HMAC-SHA256')
    )
      return json(res, 200, {
        Response: { Error: { Code: 'AuthFailure.InvalidAuthorization', Message: 'm' } },
      });
    const Code = code(++n);
    json(res, 200, {
      Response: {
        SendStatusSet: [
          {
            SerialNo: Code === 'Ok' ? `2028:${n}` : '',
            PhoneNumber: body.PhoneNumberSet[0],
            Fee: Code === 'Ok' ? 1 : 0,
            SessionContext: body.SessionContext,
            Code,
            Message: Code === 'Ok' ? 'send success' : '单个手机号1小时内下发短信条数超过设定的上限',
            IsoCode: 'CN',
          },
        ],
        RequestId: `req-${n}`,
      },
    });
  });
};

const tencent = (id: string, url: string, priority = 0): ProviderHandle => ({
  id,
  channel: 'sms',
  ratePerSecond: 0,
  priority,
  adapter: tencentSmsAdapter(
    id,
    { endpoint: `${url}/`, smsSdkAppId: '1400000001', templateId: '449739', templateParams: ['text'] },
    { secretId: 'AKID1', secretKey: 'sk1' },
    { fetch, now: () => now },
  ),
});

const registryOf = (handles: ProviderHandle[]): ProviderRegistry => ({
  providersFor: async (_ws, ch) => handles.filter((h) => h.channel === ch),
});

const rowOf = async (key: string) => {
  const [r] = await srv.rt.control.query<{
    status: string;
    attempts: number;
    provider_id: string | null;
    provider_message_id: string | null;
    next_attempt_at: Date | string | null;
    last_error: string | null;
    dead_reason: string | null;
  }>(
    `SELECT status, attempts, provider_id, provider_message_id, next_attempt_at, last_error, dead_reason
     FROM outbox WHERE idempotency_key = $1`,
    [key],
  );
  if (!r) throw new Error(`no outbox row ${key}`);
  return r;
};

const until = async (cond: () => Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
};

/** One planned SMS for `userId`, due at `sendAt`; returns its key. */
const plan = async (
  campaignId: string,
  userId: string,
  sendAt: number,
  cls: 'marketing' | 'transactional' = 'marketing',
) => {
  await approvedCampaign(srv.rt.control, campaignId, [SMS]);
  const key = `${campaignId}:run1:main:${userId}`;
  await fillOutbox(srv.rt.control, [{ key, campaignId, userId, channel: 'sms', sendAt, class: cls }]);
  return key;
};

describe('vendor limits in the delivery worker', () => {
  it('Tencent PhoneNumberOneHourLimit: pending an hour, attempts unchanged; sent once the clock passes the window', async () => {
    const vendor = await fakeTencent((n) => (n === 1 ? 'LimitExceeded.PhoneNumberOneHourLimit' : 'Ok'));
    const t0 = now;
    const key = await plan('cmp_later', 'u1', t0 - 1000);
    const worker = startDeliveryWorker(rt, registryOf([tencent('p-tc', vendor.url)]), {
      idleMs: 20,
      loops: 1,
    });
    try {
      await until(async () => (await rowOf(key)).next_attempt_at !== null);
      const deferred = await rowOf(key);
      expect(deferred).toMatchObject({
        status: 'pending',
        attempts: 0,
        provider_id: 'p-tc',
        dead_reason: null,
      });
      // The window, not the backoff (capped at 10 minutes), sets the next try.
      expect(new Date(deferred.next_attempt_at ?? 0).getTime()).toBe(t0 + HOUR);
      expect(deferred.last_error).toContain('vendor_LimitExceeded.PhoneNumberOneHourLimit');
      expect(deferred.last_error).toContain(`tried again at ${new Date(t0 + HOUR).toISOString()}`);
      // Within the window nothing more reaches the vendor.
      now = t0 + HOUR - 1000;
      await new Promise((r) => setTimeout(r, 300));
      expect(vendor.requests).toHaveLength(1);
      expect(await rowOf(key)).toMatchObject({ status: 'pending', attempts: 0 });

      now = t0 + HOUR + 1000;
      await until(async () => (await rowOf(key)).status === 'sent');
      expect(await rowOf(key)).toMatchObject({
        attempts: 1,
        provider_id: 'p-tc',
        provider_message_id: '2028:2',
      });
      expect(vendor.requests).toHaveLength(2);
      const sent = (await readMessageLog(srv.rt.control, 0, 10_000)).filter((e) => e.idempotencyKey === key);
      expect(sent.map((e) => e.kind)).toEqual(['sent']);
    } finally {
      await worker.stop();
      await vendor.close();
    }
  });

  it('a deferred marketing SMS keeps to quiet hours (21:30 + 1 h in Shanghai → 08:00–10:00); a transactional one is not held', async () => {
    const vendor = await fakeTencent(() => 'LimitExceeded.PhoneNumberOneHourLimit');
    const evening = Date.UTC(2026, 10, 21, 13, 30); // 21:30 Asia/Shanghai; the default quiet hours are 22:00–08:00
    now = evening;
    const marketing = await plan('cmp_quiet_m', 'u3', evening - 1000);
    const transactional = await plan('cmp_quiet_t', 'u3', evening - 1000, 'transactional');
    const worker = startDeliveryWorker(rt, registryOf([tencent('p-tc', vendor.url)]), {
      idleMs: 20,
      loops: 1,
    });
    try {
      await until(async () =>
        (await Promise.all([rowOf(marketing), rowOf(transactional)])).every(
          (r) => r.next_attempt_at !== null,
        ),
      );
      const m = await rowOf(marketing);
      // Held to the morning and spread over the window's first two hours (the default
      // quietSpreadMinutes 120), so held users do not all go out at 08:00:00.
      const morning = Date.UTC(2026, 10, 22, 0); // 08:00 in Shanghai
      const at = new Date(m.next_attempt_at ?? 0).getTime();
      expect(at).toBeGreaterThanOrEqual(morning);
      expect(at).toBeLessThan(morning + 2 * HOUR);
      expect(m).toMatchObject({ status: 'pending', attempts: 0 });
      expect(m.last_error).toContain("when the user's quiet hours and the channel's send window allow");
      expect(m.last_error).toContain(
        `the provider would take it at ${new Date(evening + HOUR).toISOString()}`,
      );
      const t = await rowOf(transactional);
      expect(new Date(t.next_attempt_at ?? 0).getTime()).toBe(evening + HOUR);
    } finally {
      await worker.stop();
      await vendor.close();
    }
  });

  it('a deferral past the planned send time + 72 h is given up: dead deferred_too_long, saying why', async () => {
    const vendor = await fakeTencent(() => 'LimitExceeded.PhoneNumberDailyLimit');
    const key = await plan('cmp_too_long', 'u2', now - 71 * HOUR);
    const worker = startDeliveryWorker(rt, registryOf([tencent('p-tc', vendor.url)]), {
      idleMs: 20,
      loops: 1,
    });
    try {
      await until(async () => (await rowOf(key)).status === 'dead');
      const dead = await rowOf(key);
      expect(dead).toMatchObject({ attempts: 0, dead_reason: 'deferred_too_long' });
      expect(dead.last_error).toContain('vendor_LimitExceeded.PhoneNumberDailyLimit');
      expect(dead.last_error).toContain('planned send time + 72 h');
      expect(vendor.requests).toHaveLength(1);
    } finally {
      await worker.stop();
      await vendor.close();
    }
  });

  it('Aliyun isv.DAY_LIMIT_CONTROL on the first provider: the second SMS provider sends it at once', async () => {
    const aliyun = await startFakeVendor((req, res) => {
      const action = new URL(req.url, 'http://x').searchParams.get('Action');
      if (action !== 'SendSms' && action !== 'SendBatchSms')
        return json(res, 400, { Code: 'InvalidAction.NotFound', Message: 'm', RequestId: 'r' });
      // Dysms: a business error is HTTP 200 with its Code and Message.
      json(res, 200, {
        RequestId: 'F655A8D5-B967-440B-8683-DAD6FF8DE990',
        Code: 'isv.DAY_LIMIT_CONTROL',
        Message: '触发日发送限额',
      });
    });
    const backup = await fakeTencent(() => 'Ok');
    const ali: ProviderHandle = {
      id: 'p-ali',
      channel: 'sms',
      ratePerSecond: 0,
      priority: 0,
      adapter: aliyunSmsAdapter(
        'p-ali',
        { endpoint: `${aliyun.url}/`, templateCode: 'SMS_1', templateParams: { content: 'text' } },
        { accessKeyId: 'AK1', accessKeySecret: 'SK1' },
        { fetch, now: () => now, nonce: () => crypto.randomUUID() },
      ),
    };
    const key = await plan('cmp_failover', 'u3', now - 1000);
    const worker = startDeliveryWorker(rt, registryOf([ali, tencent('p-tc2', backup.url, 1)]), {
      idleMs: 20,
      loops: 1,
    });
    try {
      await until(
        async () => (await rowOf(key)).status !== 'pending' && (await rowOf(key)).status !== 'sending',
      );
      // Sent through the second provider in the same pass: the clock never moved.
      expect(await rowOf(key)).toMatchObject({
        status: 'sent',
        attempts: 2,
        provider_id: 'p-tc2',
        provider_message_id: '2028:1',
        last_error: null,
      });
      expect(aliyun.requests).toHaveLength(1);
      expect(backup.requests).toHaveLength(1);
    } finally {
      await worker.stop();
      await aliyun.close();
      await backup.close();
    }
  });
});
