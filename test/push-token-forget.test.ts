import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CHANNELS, type Channel } from '../src/core/channels/channels.ts';
import { createProviderAs } from '../src/delivery/providers/provider-service.ts';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { startDeliveryWorker } from '../src/delivery/worker.ts';
import { planUsersByIds } from '../src/planner/plan-profiles.ts';
import type { WarehouseSql } from '../src/storage/warehouse-sql.ts';
import { createUser } from '../src/storage/control/users.ts';
import { approvedCampaign, fillOutbox } from './support/delivery-fixtures.ts';
import { json, startFakeVendor, type Recorded } from './support/fake-vendor.ts';
import { postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Dead push tokens are removed (issue 14 §5): FCM answers UNREGISTERED for a token, the delivery
 * worker records the message dead and clears the token from the user's warehouse profile, so the
 * planner stops counting the user as reachable by push. FCM is faked on loopback with the HTTP v1
 * answers its reference documents; everything else is the real stores and the real worker.
 */

/** FCM HTTP v1's answer for a token that is no longer valid (ErrorCode reference). */
const UNREGISTERED = {
  error: {
    code: 404,
    message: 'Requested entity was not found.',
    status: 'NOT_FOUND',
    details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }],
  },
};

const PUSH = 1 << CHANNELS.indexOf('push');

const backends = {
  pglite: () => ({}),
  postgres: () => ({
    config: { databaseUrl: inject('postgresUrl') },
    controlSchema: `ptk_${randomBytes(4).toString('hex')}`,
  }),
};

describe.each(Object.entries(backends))('dead push tokens on %s', (_name, backend) => {
  let srv: TestServer;
  let vendor: Awaited<ReturnType<typeof startFakeVendor>>;
  /** Tokens FCM no longer knows; and what to do before answering for a token (the app moving on). */
  const dead = new Set<string>();
  const before = new Map<string, () => Promise<void>>();
  let campaignSeq = 0;

  const tokenOf = (r: Recorded) =>
    r.url.endsWith('messages:send')
      ? ((JSON.parse(r.body) as { message?: { token?: string } }).message?.token ?? '')
      : '';
  const answer = async (r: Recorded, res: ServerResponse) => {
    if (r.url === '/token') return json(res, 200, { access_token: 'ya29.push', expires_in: 3600 });
    const token = tokenOf(r);
    await before.get(token)?.();
    if (dead.has(token)) return json(res, 404, UNREGISTERED);
    json(res, 200, { name: `projects/rk/messages/${vendor.requests.length}` });
  };

  beforeAll(async () => {
    srv = await startTestServer(backend());
    vendor = await startFakeVendor((r, res) => void answer(r, res));
    const admin = await createUser(srv.rt.control, { name: 'root', role: 'admin' });
    if (!admin.ok) throw new Error('admin');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const created = await createProviderAs(
      providersOf(srv.rt).context,
      { userId: admin.value.id, workspaceId: 'default', name: 'root', role: 'admin' },
      {
        kind: 'fcm',
        name: 'push',
        ratePerSecond: 1000,
        config: { projectId: 'rk', tokenUrl: `${vendor.url}/token`, apiBaseUrl: vendor.url },
        secrets: {
          clientEmail: 'sa@rk.iam.gserviceaccount.com',
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
      },
    );
    if (!created.ok) throw new Error(JSON.stringify(created.error));
  }, 60_000);
  afterAll(async () => {
    await providersOf(srv.rt).registry.close();
    await vendor.close();
    await srv.stop();
    srv.cleanup();
  });

  const identify = async (userId: string, timestamp: string, traits: Record<string, unknown>) => {
    const r = await postJson(`${srv.url}/v1/identify`, { userId, timestamp, traits });
    expect(r.status).toBe(200);
  };

  const profile = async (userId: string) =>
    (
      await srv.rt.warehouse.query<{ push_token: string | null; traits: string }>(
        'SELECT push_token, CAST(traits AS VARCHAR) AS traits FROM profiles WHERE user_id = $1',
        [userId],
      )
    )[0];

  /** Whether the planner counts each user as reachable by push. */
  const pushReach = async (ids: string[]) => {
    const cols = await planUsersByIds(srv.rt.warehouse, ids, new Map<string, 'all'>(), []);
    return Object.fromEntries(cols.ids.map((id, i) => [id, ((cols.reach[i] ?? 0) & PUSH) !== 0]));
  };

  /** One push campaign to these users, delivered by a real worker until nothing is due. */
  const deliver = async (users: string[], warehouse: WarehouseSql = srv.rt.warehouse) => {
    const id = `cmp_push${++campaignSeq}`;
    await approvedCampaign(srv.rt.control, id, [{ channel: 'push', title: 'Hi', body: 'Come back' }]);
    await fillOutbox(
      srv.rt.control,
      users.map((u) => ({
        key: `${id}:run1:main:${u}`,
        campaignId: id,
        userId: u,
        channel: 'push' as Channel,
        sendAt: Date.now() - 1000,
      })),
    );
    const logged: string[] = [];
    const worker = startDeliveryWorker({ ...srv.rt, warehouse }, providersOf(srv.rt).registry, {
      idleMs: 20,
      log: (m, e) => logged.push(`${m}: ${e instanceof Error ? e.message : String(e)}`),
    });
    await worker.drained();
    await worker.stop();
    const rows = await srv.rt.control.query<{ user_id: string; status: string; last_error: string | null }>(
      'SELECT user_id, status, last_error FROM outbox WHERE campaign_id = $1 ORDER BY user_id',
      [id],
    );
    const status = Object.fromEntries(rows.map((r) => [r.user_id, r.status]));
    return { id, status, logged, stats: { ...worker.stats } };
  };

  it('UNREGISTERED clears the token that was refused, and the planner stops counting the user for push', async () => {
    await identify('u1', '2026-11-01T00:00:00Z', { pushToken: 'tok-dead-u1', city: 'Hangzhou' });
    await identify('u2', '2026-11-01T00:00:00Z', { pushToken: 'tok-live-u2' });
    await identify('u3', '2026-11-01T00:00:00Z', { pushToken: 'tok-old-u3' });
    dead.add('tok-dead-u1');
    dead.add('tok-old-u3');
    // While FCM refuses u3's old token, the app has registered a new one: it must survive.
    before.set('tok-old-u3', () => identify('u3', '2026-11-02T00:00:00Z', { pushToken: 'tok-new-u3' }));
    expect(await pushReach(['u1', 'u2', 'u3'])).toEqual({ u1: true, u2: true, u3: true });

    const run = await deliver(['u1', 'u2', 'u3']);
    expect(run.status).toEqual({ u1: 'dead', u2: 'sent', u3: 'dead' });
    expect(run.logged).toEqual([]);
    const [u1, u2, u3] = [await profile('u1'), await profile('u2'), await profile('u3')];
    expect(u1?.push_token).toBeNull();
    // The trait copy goes too (templates read traits); the other traits stay.
    expect(JSON.parse(u1?.traits ?? '{}')).toEqual({ city: 'Hangzhou' });
    expect(u2?.push_token).toBe('tok-live-u2');
    expect(u3?.push_token).toBe('tok-new-u3');
    expect(await pushReach(['u1', 'u2', 'u3'])).toEqual({ u1: false, u2: true, u3: true });

    // The next campaign does not call FCM for u1 at all: the composer finds no address.
    const calls = vendor.requests.length;
    const again = await deliver(['u1']);
    expect(again.status).toEqual({ u1: 'dead' });
    expect(vendor.requests.length).toBe(calls);
  });

  it('no identify applied later brings a cleared token back; a newer, different one is taken', async () => {
    // Replays: the call that set the dead token, an older one with an older token, and both in
    // one batch with a newer call that has no token.
    await identify('u1', '2026-11-01T00:00:00Z', { pushToken: 'tok-dead-u1' });
    await identify('u1', '2026-10-15T00:00:00Z', { pushToken: 'tok-older-u1' });
    const batch = await postJson(`${srv.url}/v1/batch`, {
      batch: [
        {
          type: 'identify',
          userId: 'u1',
          timestamp: '2026-10-20T00:00:00Z',
          traits: { pushToken: 'tok-older-u1' },
        },
        { type: 'identify', userId: 'u1', timestamp: '2026-11-20T00:00:00Z', traits: { city: 'Ningbo' } },
      ],
    });
    expect(batch.status).toBe(200);
    // The app sends the refused token again with a newer call: FCM said it is gone for good.
    await identify('u1', '2026-11-25T00:00:00Z', { deviceToken: 'tok-dead-u1' });
    const after = await profile('u1');
    expect(after?.push_token).toBeNull();
    expect(JSON.parse(after?.traits ?? '{}')).toEqual({ city: 'Ningbo' });
    expect(await pushReach(['u1'])).toEqual({ u1: false });

    await identify('u1', '2026-12-01T00:00:00Z', { pushToken: 'tok-fresh-u1' });
    expect((await profile('u1'))?.push_token).toBe('tok-fresh-u1');
    expect(await pushReach(['u1'])).toEqual({ u1: true });
    // Other users' calls are untouched by u1's refused tokens.
    await identify('u9', '2026-10-01T00:00:00Z', { pushToken: 'tok-dead-u1' });
    expect((await profile('u9'))?.push_token).toBe('tok-dead-u1');
  });

  it('a failure to clear is logged; the outcome is recorded once and the message is not sent again', async () => {
    await identify('u4', '2026-11-01T00:00:00Z', { pushToken: 'tok-dead-u4' });
    dead.add('tok-dead-u4');
    // The warehouse refuses the clearing write; reads (the composer's) still work.
    const failing = Object.create(srv.rt.warehouse) as WarehouseSql;
    failing.transaction = () => Promise.reject(new Error('warehouse is read-only'));
    const calls = vendor.requests.filter((r) => tokenOf(r) === 'tok-dead-u4').length;
    const run = await deliver(['u4'], failing);
    expect(run.status).toEqual({ u4: 'dead' });
    expect(run.stats).toMatchObject({ dead: 1, sent: 0, retried: 0 });
    expect(run.logged).toEqual([
      'clearing 1 refused push token(s) failed; the outcomes are recorded: warehouse is read-only',
    ]);
    expect(vendor.requests.filter((r) => tokenOf(r) === 'tok-dead-u4').length).toBe(calls + 1);
    const log = await srv.rt.control.query<{ kind: string; n: number }>(
      `SELECT kind, count(*)::int AS n FROM message_log WHERE idempotency_key = $1 GROUP BY kind`,
      [`${run.id}:run1:main:u4`],
    );
    expect(log).toEqual([{ kind: 'dead', n: 1 }]);
    // Not cleared this time; the next refusal clears it.
    expect((await profile('u4'))?.push_token).toBe('tok-dead-u4');
    await deliver(['u4']);
    expect((await profile('u4'))?.push_token).toBeNull();
  });
});
