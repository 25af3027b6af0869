import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'vitest';
import { providersOf } from '../../src/delivery/providers/provider-runtime.ts';
import { startDeliveryWorker } from '../../src/delivery/worker.ts';
import { shipFacts } from '../../src/facts/ship.ts';
import { runSlot } from '../../src/planner/run-slot.ts';
import { json, startFakeVendor } from './fake-vendor.ts';
import { apiCall, type TestServer } from './runtime.ts';
import { profile, seed } from './score-scenario.ts';

/**
 * One campaign on two channels whose money is worked out by hand (issue 18, "one money unit"):
 * three users reachable only by app push at ¥0.02 a message and three only by SMS at ¥0.05,
 * no coupon, no holdout — planned, sent through FCM and an SMS gateway faked on loopback, and
 * shipped to the warehouse. Every figure below is in fen.
 */
export const PUSH_FEN = 2;
export const SMS_FEN = 5;
export const PUSH_USERS = ['p1', 'p2', 'p3'];
export const SMS_USERS = ['s1', 's2', 's3'];
export const PUSH_COST = PUSH_USERS.length * PUSH_FEN; // 6
export const SMS_COST = SMS_USERS.length * SMS_FEN; // 15
export const TOTAL_COST = PUSH_COST + SMS_COST; // 21 fen = ¥0.21
export const DEPARTMENT = 'growth';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** An `Etc/GMT` zone where it is about noon at `at`, so no quiet hours hold the messages back. */
const noonZone = (at: number): string => {
  const offset = 12 - new Date(at).getUTCHours(); // −11 … +12
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
};

export interface MoneyCampaign {
  campaignId: string;
  /** The estimate the operator saw before launch. */
  estimate: Record<string, unknown>;
  /** When the messages went out (the server's real clock, shifted past the slot). */
  sentAt: number;
}

/**
 * Seeds the users, the providers, the prices (through the API, in fen), a department budget and
 * an approved campaign; estimates it, plans it and sends it. `tokens` holds the API tokens of an
 * admin (`ada`), an operator (`olga`) and a reviewer (`rita`).
 */
export const runMoneyCampaign = async (
  server: TestServer,
  tokens: Record<string, string>,
): Promise<MoneyCampaign> => {
  const call = (who: string, method: string, path: string, body?: unknown) =>
    apiCall(server.url, tokens[who] ?? '', method, path, body);
  const at = Date.now() + 2 * MINUTE;
  const zone = noonZone(at);
  const registered = at - 200 * 24 * HOUR;
  await seed(server.rt.warehouse, [
    ...PUSH_USERS.map((id, i) =>
      profile(id, registered, { acquisition_channel: 'money', timezone: zone, push_token: `token-${i}` }),
    ),
    ...SMS_USERS.map((id, i) =>
      profile(id, registered, {
        acquisition_channel: 'money',
        timezone: zone,
        phone: `+8613900000${String(i + 1).padStart(3, '0')}`,
        consent_sms: true,
      }),
    ),
  ]);
  const vendor = await startFakeVendor((r, res) => {
    if (r.url === '/token') return json(res, 200, { access_token: 'ya29.money', expires_in: 3600 });
    if (r.url.includes('messages:send'))
      return json(res, 200, { name: `projects/m/messages/${r.body.length}` });
    json(res, 200, { id: `sms-${vendor.requests.length}` });
  });
  try {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const body of [
      {
        kind: 'sms_http',
        name: 'gateway',
        ratePerSecond: 1000,
        config: { url: `${vendor.url}/sms` },
        secrets: { authValue: 'Bearer money' },
      },
      {
        kind: 'fcm',
        name: 'push',
        ratePerSecond: 1000,
        config: { projectId: 'm', tokenUrl: `${vendor.url}/token`, apiBaseUrl: vendor.url },
        secrets: {
          clientEmail: 'sa@m.iam.gserviceaccount.com',
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
      },
    ]) {
      const r = await call('ada', 'POST', '/v1/providers', body);
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    }
    for (const [channel, costCents] of [
      ['push', PUSH_FEN],
      ['sms', SMS_FEN],
    ] as const) {
      const r = await call('ada', 'PUT', `/v1/planner/quotas/${channel}`, { quota: 1000, costCents });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
    }
    expect(
      (await call('ada', 'PUT', `/v1/planner/budgets/${DEPARTMENT}`, { limitCents: 100_000 })).status,
    ).toBe(200);
    const aud = await call('olga', 'POST', '/v1/audiences', {
      name: 'Money users',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'money' },
    });
    expect(aud.status, JSON.stringify(aud.json)).toBe(201);
    const created = await call('olga', 'POST', '/v1/campaigns', {
      name: '双渠道召回',
      definition: {
        audienceId: String(aud.json['id']),
        timing: { kind: 'one_off', at: new Date(at).toISOString() },
        channels: ['push', 'sms'],
        content: [
          { channel: 'push', title: '好久不见', body: '回来看看新品' },
          {
            channel: 'sms',
            text: '老朋友，好久不见 https://example.com/a 回T退订',
            signature: '【Rekindle】',
          },
        ],
        holdoutShare: 0,
        goal: { event: 'order', withinDays: 3 },
        department: DEPARTMENT,
        budgetCents: 10_000,
      },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const campaignId = String(created.json['id']);
    expect((await call('olga', 'POST', `/v1/campaigns/${campaignId}/submit`, { version: 1 })).status).toBe(
      200,
    );
    const approved = await call('rita', 'POST', `/v1/campaigns/${campaignId}/review`, {
      decision: 'approve',
      version: 1,
    });
    expect(approved.status, JSON.stringify(approved.json)).toBe(200);

    const estimate = await call('olga', 'POST', `/v1/campaigns/${campaignId}/estimate`, {
      conversionRate: 0.05,
      baselineConversionRate: 0.02,
      averageOrderCents: 15_000,
      marginRate: 0.3,
    });
    expect(estimate.status, JSON.stringify(estimate.json)).toBe(200);

    await runSlot(server.rt, 'default', at);
    // Deliver once the last message is due (a slot may spread its sends).
    const [last] = await server.rt.control.query<{ at: Date | null }>(
      'SELECT max(send_at) AS at FROM outbox WHERE campaign_id = $1',
      [campaignId],
    );
    const shift = Math.max(at, last?.at?.getTime() ?? 0) + MINUTE - Date.now();
    const sendCtx = { ...server.rt, clock: () => Date.now() + shift };
    const sentAt = sendCtx.clock();
    const errors: string[] = [];
    const worker = startDeliveryWorker(sendCtx, providersOf(server.rt).registry, {
      idleMs: 20,
      log: (msg, e) => errors.push(`${msg}: ${e instanceof Error ? e.message : String(e)}`),
    });
    await worker.drained();
    await worker.stop();
    expect(errors).toEqual([]);
    expect(worker.stats.sent).toBe(PUSH_USERS.length + SMS_USERS.length);
    await shipFacts(server.rt.control, server.rt.warehouse, { clock: sendCtx.clock });
    return { campaignId, estimate: estimate.json, sentAt };
  } finally {
    await vendor.close();
  }
};
