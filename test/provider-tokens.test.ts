import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ChannelContent } from '../src/core/content/schema.ts';
import type { ChannelAdapter, OutgoingMessage } from '../src/core/delivery/message.ts';
import { buildAdapter } from '../src/delivery/providers/adapter-factory.ts';
import { REFRESH_BEFORE_MS } from '../src/delivery/providers/adapters/access-token.ts';
import { fcmAdapter } from '../src/delivery/providers/adapters/fcm.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { startFakeWechatOa, startFakeWecom, type FakeWechat } from './support/fake-wechat.ts';

/**
 * Access tokens that live (issue 14): one token per credential, shared by adapter instances
 * (a registry rebuild) and by worker processes (separate database clients), stored sealed in the
 * control database, refreshed before expiry, and replaced once — not once per send — when the
 * vendor refuses it.
 */

const T0 = Date.UTC(2026, 10, 20, 3, 0);
const never = new AbortController().signal;
const HOUR = 3600_000;

const msg = (n: number, content?: ChannelContent): OutgoingMessage => ({
  idempotencyKey: `c1:r1:s1:u${n}`,
  workspaceId: 'default',
  campaignId: 'c1',
  runId: 'r1',
  step: 's1',
  variant: null,
  channel: content?.channel ?? 'wecom',
  class: 'marketing',
  recipient: { userId: `u${n}`, wecomOpenId: 'oOPEN42', wecomUserId: 'zhangsan', pushToken: 'tok-1' },
  content: content ?? { channel: 'wecom', templateId: 'TPL1', fields: { thing1: `第${n}条` } },
});

const opened: SqlClient[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

/**
 * PostgreSQL: each "worker" is its own client (own pool) on one schema, as separate processes
 * are. PGlite belongs to one process, so its workers share the client.
 */
const backends = {
  postgres: async () => {
    const schema = `tok_${randomBytes(4).toString('hex')}`;
    const open = async () => {
      const c = await openSqlClient({ databaseUrl: inject('postgresUrl'), pgliteDir: '', schema });
      opened.push(c);
      return c;
    };
    const first = await open();
    await migrate(first);
    return { first, another: open };
  },
  pglite: async () => {
    const db = await openSqlClient({ pgliteDir: 'memory://' });
    opened.push(db);
    await migrate(db);
    return { first: db, another: async () => db };
  },
};

describe.each(Object.entries(backends))('shared access tokens on %s', (_name, backend) => {
  let oa: FakeWechat;
  let wecom: FakeWechat;
  beforeAll(async () => {
    oa = await startFakeWechatOa('wx123', 'app-secret', ['oOPEN42']);
    wecom = await startFakeWecom('ww-corp', 'corp-secret', 1000002, ['zhangsan']);
  });
  afterAll(async () => {
    await oa.close();
    await wecom.close();
  });

  // A fresh fake per test would be cleaner, but the counts below are deltas, which is enough.
  const wechatOn = (db: SqlClient, clock: () => number): ChannelAdapter =>
    buildAdapter(
      'p-wx',
      'wechat_oa',
      { appId: 'wx123', apiBaseUrl: oa.url },
      { appSecret: 'app-secret' },
      {
        db,
        fetch,
        now: clock,
      },
    );
  const wecomOn = (db: SqlClient, clock: () => number): ChannelAdapter =>
    buildAdapter(
      'p-wecom',
      'wecom',
      { corpId: 'ww-corp', agentId: 1000002, apiBaseUrl: wecom.url },
      { corpSecret: 'corp-secret' },
      { db, fetch, now: clock },
    );

  it.each([
    ['wechat_oa', () => oa, wechatOn],
    ['wecom', () => wecom, wecomOn],
  ] as const)(
    '%s: two workers and a rebuilt adapter with one credential fetch one token',
    async (_k, fake, make) => {
      const { first, another } = await backend();
      const before = fake().tokenFetches();
      const workerA = make(first, () => T0);
      const workerB = make(await another(), () => T0);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? workerA : workerB).send(msg(i), never)),
      );
      expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
      const rebuilt = make(first, () => T0);
      expect(await rebuilt.send(msg(99), never)).toMatchObject({ kind: 'accepted' });
      expect(fake().tokenFetches() - before).toBe(1);
      const rows = await first.query<{ token_enc: string; fetch_count: string | number }>(
        'SELECT token_enc, fetch_count FROM provider_access_tokens',
      );
      expect(rows.map((r) => Number(r.fetch_count))).toEqual([1]);
      // Sealed: the token the vendor issued is nowhere in the row.
      expect(rows[0]?.token_enc).toMatch(/^v1\./);
      expect(rows[0]?.token_enc).not.toContain('TOKEN-');
    },
  );

  it('60 sends over an hour fetch one token (expires_in 7200); it is refreshed a few minutes before expiry', async () => {
    const { first } = await backend();
    let now = T0;
    const a = wechatOn(first, () => now);
    const before = oa.tokenFetches();
    for (let i = 0; i < 60; i++) {
      now = T0 + i * 60_000;
      expect(await a.send(msg(i), never)).toMatchObject({ kind: 'accepted' });
    }
    expect(oa.tokenFetches() - before).toBe(1);
    now = T0 + 2 * HOUR - REFRESH_BEFORE_MS - 60_000;
    expect(await a.send(msg(61), never)).toMatchObject({ kind: 'accepted' });
    expect(oa.tokenFetches() - before).toBe(1);
    now = T0 + 2 * HOUR - REFRESH_BEFORE_MS + 60_000;
    expect(await a.send(msg(62), never)).toMatchObject({ kind: 'accepted' });
    expect(oa.tokenFetches() - before).toBe(2);
    // A worker that started later reads the refreshed token instead of fetching its own.
    const later = wechatOn(first, () => now);
    expect(await later.send(msg(63), never)).toMatchObject({ kind: 'accepted' });
    expect(oa.tokenFetches() - before).toBe(2);
  });

  it('a refused token (40001) seen by 20 concurrent sends on two workers is refetched exactly once', async () => {
    const { first, another } = await backend();
    const workerA = wechatOn(first, () => T0);
    const workerB = wechatOn(await another(), () => T0);
    expect(await workerA.send(msg(0), never)).toMatchObject({ kind: 'accepted' });
    expect(await workerB.send(msg(0), never)).toMatchObject({ kind: 'accepted' });
    const before = oa.tokenFetches();
    oa.revokeToken();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? workerA : workerB).send(msg(i), never)),
    );
    expect(outcomes.filter((o) => o.kind !== 'accepted')).toEqual([]);
    expect(oa.tokenFetches() - before).toBe(1);
  });
});

describe('FCM OAuth2 token', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const push: ChannelContent = { channel: 'push', title: 'Hi', body: 'Back?' };

  it('a plain 401 refreshes the token and retries once; a 401 THIRD_PARTY_AUTH_ERROR fails over', async () => {
    const db = await openSqlClient({ pgliteDir: 'memory://' });
    opened.push(db);
    await migrate(db);
    let tokens = 0;
    let valid = '';
    let answer: [number, unknown] | null = null;
    const vendor = await startFakeVendor((r, res) => {
      if (r.url === '/token') {
        tokens++;
        valid = `ya29.t${tokens}`;
        return json(res, 200, { access_token: valid, expires_in: 3599, token_type: 'Bearer' });
      }
      if (answer) {
        const [status, body] = answer;
        answer = null;
        return json(res, status, body);
      }
      if (r.headers.authorization !== `Bearer ${valid}`)
        return json(res, 401, {
          error: {
            code: 401,
            message: 'Request had invalid authentication credentials.',
            status: 'UNAUTHENTICATED',
          },
        });
      json(res, 200, { name: 'projects/demo/messages/0:1' });
    });
    const a = fcmAdapter(
      'p-fcm',
      { projectId: 'demo', tokenUrl: `${vendor.url}/token`, apiBaseUrl: vendor.url },
      { clientEmail: 'sa@demo.iam.gserviceaccount.com', privateKey: pem },
      { db, fetch, now: () => T0 },
    );
    expect(await a.send(msg(1, push), never)).toMatchObject({ kind: 'accepted' });
    valid = 'revoked-elsewhere';
    expect(await a.send(msg(2, push), never)).toMatchObject({ kind: 'accepted' });
    expect(tokens).toBe(2);
    answer = [
      401,
      {
        error: {
          code: 401,
          message: 'Auth error from APNS or Web Push Service',
          status: 'UNAUTHENTICATED',
          details: [
            {
              '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError',
              errorCode: 'THIRD_PARTY_AUTH_ERROR',
            },
          ],
        },
      },
    ];
    expect(await a.send(msg(3, push), never)).toMatchObject({
      retry: 'next_provider',
      code: 'vendor_THIRD_PARTY_AUTH_ERROR',
    });
    expect(tokens).toBe(2);
    await vendor.close();
  });
});
