import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Actor } from '../src/core/auth/roles.ts';
import type { ChannelContent } from '../src/core/content/schema.ts';
import type { OutgoingMessage, SendOutcome } from '../src/core/delivery/message.ts';
import { buildAdapter } from '../src/delivery/providers/adapter-factory.ts';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import {
  createProviderAs,
  updateProviderAs,
  type ProviderContext,
} from '../src/delivery/providers/provider-service.ts';
import { DEFAULT_RECHECK_MS, openProviderRegistry } from '../src/delivery/providers/registry.ts';
import type { SqlClient } from '../src/storage/control/sql-client.ts';
import { createUser } from '../src/storage/control/users.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { outgoingMessage } from './support/outgoing-message.ts';

/**
 * The provider registry (issue 14, point 2): an adapter lives as long as its provider's
 * configuration, a change replaces it without failing the sends already running on it, and a
 * change made by another process is seen within the re-check interval. On PGlite and PostgreSQL.
 */

const NOW = Date.UTC(2026, 10, 20, 3, 30);
const never = new AbortController().signal;

const backends = {
  pglite: () => ({}),
  postgres: () => ({
    config: { databaseUrl: inject('postgresUrl') },
    controlSchema: `reg_${randomBytes(4).toString('hex')}`,
  }),
};

const message = (content: ChannelContent, key: string): OutgoingMessage =>
  outgoingMessage(content, {
    idempotencyKey: key,
    recipient: { userId: 'u1', email: 'ann@example.com', wecomOpenId: 'oOPEN42', wecomUserId: 'ann' },
    unsubscribeUrl: 'https://r.example.com/u/abc.def',
  });

const email = (key: string) =>
  message({ channel: 'email', subject: 'We miss you', html: '<p>Come back</p>', text: 'Come back' }, key);

/** A real SMTP server that takes ~`delayMs` per message and records which connection brought it. */
const startSmtp = async (delayMs: number) => {
  const received: { session: string; from: string; at: number }[] = [];
  const opened: string[] = [];
  const closedAt = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect: (session, cb) => {
      opened.push(session.id);
      cb();
    },
    onClose: (session) => {
      closedAt.set(session.id, Date.now());
    },
    onData: (stream, session, cb) => {
      stream.resume();
      stream.on('end', () => {
        setTimeout(() => {
          received.push({
            session: session.id,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            at: Date.now(),
          });
          cb();
        }, delayMs);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    opened,
    closedAt,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const until = async (what: string, cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * WeChat Official Account on loopback, as documented: `GET /cgi-bin/token?grant_type=
 * client_credential&appid&secret` issues a new token (7200 s) and so invalidates the previous
 * one; `POST /cgi-bin/message/template/send?access_token=…` answers `errcode` 0 with a `msgid`,
 * or 40001 for a token that is not the latest.
 */
const startWechatOa = async (appId: string, appSecret: string) => {
  let fetches = 0;
  let current = '';
  let msgid = 1000;
  const vendor = await startFakeVendor((r, res) => {
    const u = new URL(r.url, 'http://fake');
    if (u.pathname === '/cgi-bin/token' && r.method === 'GET') {
      const q = u.searchParams;
      if (q.get('grant_type') !== 'client_credential')
        return json(res, 200, { errcode: 40002, errmsg: 'invalid grant_type' });
      if (q.get('appid') !== appId) return json(res, 200, { errcode: 40013, errmsg: 'invalid appid' });
      if (q.get('secret') !== appSecret)
        return json(res, 200, { errcode: 40001, errmsg: 'invalid credential' });
      fetches++;
      current = `TOKEN-${fetches}`;
      return json(res, 200, { access_token: current, expires_in: 7200 });
    }
    if (u.pathname === '/cgi-bin/message/template/send' && r.method === 'POST') {
      if (u.searchParams.get('access_token') !== current)
        return json(res, 200, {
          errcode: 40001,
          errmsg: 'invalid credential, access_token is invalid or not latest',
        });
      const body = JSON.parse(r.body) as { touser?: unknown; template_id?: unknown };
      if (typeof body.touser !== 'string' || typeof body.template_id !== 'string')
        return json(res, 200, { errcode: 47001, errmsg: 'data format error' });
      return json(res, 200, { errcode: 0, errmsg: 'ok', msgid: ++msgid });
    }
    json(res, 404, { errcode: -1, errmsg: 'not found' });
  });
  return { url: vendor.url, tokenFetches: () => fetches, close: vendor.close };
};

/** The control client, counting the registry's reads of `providers`. */
const counting = (db: SqlClient) => {
  const counter = { providerReads: 0 };
  const client: SqlClient = {
    kind: db.kind,
    query: (text, params) => {
      if (/FROM providers\b/.test(text)) counter.providerReads++;
      return db.query(text, params);
    },
    exec: (sql) => db.exec(sql),
    copyCsv: (t, c, csv) => db.copyCsv(t, c, csv),
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };
  return { client, counter };
};

describe.each(Object.entries(backends))('provider registry on %s', (_name, backend) => {
  let server: TestServer;
  let t = NOW;
  let actor: Actor;

  beforeAll(async () => {
    server = await startTestServer({ clock: () => t, ...backend() });
    const u = await createUser(server.rt.control, { name: 'root', role: 'admin' });
    if (!u.ok) throw new Error('admin');
    actor = { userId: u.value.id, workspaceId: 'default', name: 'root', role: 'admin' };
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  /**
   * A registry wired as provider-runtime.ts wires one (the provider service invalidates it), with
   * its adapter builds counted.
   */
  const openRegistry = () => {
    const base = providersOf(server.rt).context;
    const { client, counter } = counting(server.rt.control);
    const builds: string[] = [];
    const registry = openProviderRegistry(client, {
      masterKeys: base.masterKeys,
      clock: () => t,
      allowPrivateTargets: true,
      build: (...args) => {
        builds.push(args[0]);
        return buildAdapter(...args);
      },
    });
    const ctx: ProviderContext = { ...base, onChange: (ws) => registry.invalidate(ws) };
    return { registry, ctx, builds, counter };
  };

  it('a config change mid-batch: all 10 queued sends are delivered, later ones use the new config, the old pool closes after', async () => {
    const smtp = await startSmtp(200);
    const { registry, ctx, builds } = openRegistry();
    try {
      const cfg = { host: '127.0.0.1', port: smtp.port, secure: false, maxConnections: 1 };
      const created = await createProviderAs(ctx, actor, {
        kind: 'smtp',
        name: 'mail-a',
        config: { ...cfg, from: 'news@shop.example.com' },
        secrets: {},
      });
      if (!created.ok) throw new Error(JSON.stringify(created.error));
      const [handle] = await registry.providersFor('default', 'email');
      if (!handle) throw new Error('no handle');

      // Ten sends queued on one pool with one connection: ~2 s to drain.
      const batch = Array.from({ length: 10 }, (_, i) => handle.adapter.send(email(`k${i}`), never));
      await until('two messages through', () => smtp.received.length >= 2);
      const changed = await updateProviderAs(ctx, actor, created.value.id, {
        version: created.value.version,
        config: { ...cfg, from: 'offers@shop.example.com' },
      });
      expect(changed.ok).toBe(true);
      // The service invalidated the registry: this lookup re-checks at once (the clock stood still).
      const [after] = await registry.providersFor('default', 'email');
      expect(smtp.received.length).toBeLessThan(10);

      // A send on the handle looked up before the change goes to the replacement.
      const late = await handle.adapter.send(email('k10'), never);
      const outcomes: SendOutcome[] = await Promise.all(batch);
      expect(outcomes.map((o) => o.kind)).toEqual(Array(10).fill('accepted'));
      expect(late.kind).toBe('accepted');
      expect(builds).toEqual([created.value.id, created.value.id]);
      expect(after?.adapter).toBe(handle.adapter);

      const old = smtp.received.filter((r) => r.from === 'news@shop.example.com');
      expect(old).toHaveLength(10);
      const oldSession = smtp.opened[0]!;
      expect(new Set(old.map((r) => r.session))).toEqual(new Set([oldSession]));
      const fresh = smtp.received.filter((r) => r.from === 'offers@shop.example.com');
      expect(fresh).toHaveLength(1);
      expect(fresh[0]!.session).not.toBe(oldSession);

      // The old pool is closed once its last message went through, not before.
      await until('the old connection to end', () => smtp.closedAt.has(oldSession));
      expect(smtp.closedAt.get(oldSession)!).toBeGreaterThanOrEqual(Math.max(...old.map((r) => r.at)));
      expect(smtp.closedAt.has(fresh[0]!.session)).toBe(false);
    } finally {
      await registry.close();
      await smtp.close();
    }
  });

  it('close() waits for the sends running on its adapters', async () => {
    const smtp = await startSmtp(200);
    const { registry, ctx } = openRegistry();
    try {
      const created = await createProviderAs(ctx, actor, {
        kind: 'smtp',
        name: 'mail-close',
        priority: -1,
        config: {
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
          from: 'bye@shop.example.com',
          maxConnections: 1,
        },
        secrets: {},
      });
      if (!created.ok) throw new Error(JSON.stringify(created.error));
      const [handle] = await registry.providersFor('default', 'email');
      expect(handle?.id).toBe(created.value.id);
      const batch = Array.from({ length: 4 }, (_, i) => handle!.adapter.send(email(`c${i}`), never));
      await until('one message through', () => smtp.received.length >= 1);
      await registry.close();
      // Closed only after the last of them was taken.
      expect(smtp.received).toHaveLength(4);
      expect((await Promise.all(batch)).map((o) => o.kind)).toEqual(Array(4).fill('accepted'));
      await expect(registry.providersFor('default', 'email')).rejects.toThrow(/closed/);
      expect(await handle!.adapter.send(email('c9'), never)).toMatchObject({ code: 'provider_removed' });
      await until('the pool to close', () => smtp.closedAt.size === smtp.opened.length);
    } finally {
      await registry.close();
      await smtp.close();
      await server.rt.control.query("UPDATE providers SET enabled = false WHERE name = 'mail-close'");
    }
  });

  it('an unchanged provider keeps its adapter for an hour: one build, one token fetch, one small read per re-check', async () => {
    const wechat = await startWechatOa('wx5f3c0a1b2c3d4e5f', 'app-secret-0123456789');
    const { registry, ctx, builds, counter } = openRegistry();
    try {
      const created = await createProviderAs(ctx, actor, {
        kind: 'wechat_oa',
        name: 'wechat-oa',
        config: { appId: 'wx5f3c0a1b2c3d4e5f', apiBaseUrl: wechat.url },
        secrets: { appSecret: 'app-secret-0123456789' },
      });
      if (!created.ok) throw new Error(JSON.stringify(created.error));
      const first = await registry.providersFor('default', 'wecom');
      const handle = first.find((h) => h.id === created.value.id);
      if (!handle) throw new Error('no handle');
      const reads = counter.providerReads;
      const content: ChannelContent = { channel: 'wecom', templateId: 'TPL-1', fields: { thing1: 'x' } };
      for (let minute = 1; minute <= 60; minute++) {
        t += 60_000;
        const now = await registry.providersFor('default', 'wecom');
        expect(now).toBe(first);
        expect(now.find((h) => h.id === created.value.id)?.adapter).toBe(handle.adapter);
        expect(await handle.adapter.send(message(content, `w${minute}`), never)).toMatchObject({
          kind: 'accepted',
        });
      }
      expect(builds.filter((b) => b === created.value.id)).toHaveLength(1);
      expect(wechat.tokenFetches()).toBe(1);
      // Each minute is past the re-check interval: one fingerprint read, nothing more.
      expect(counter.providerReads - reads).toBe(60);
    } finally {
      await registry.close();
      await wechat.close();
      await server.rt.control.query("UPDATE providers SET enabled = false WHERE name = 'wechat-oa'");
    }
  });

  it('a change made directly in the database is seen within the re-check interval; a removed provider fails over', async () => {
    const smtp = await startSmtp(0);
    const { registry, ctx, builds, counter } = openRegistry();
    try {
      const created = await createProviderAs(ctx, actor, {
        kind: 'smtp',
        name: 'mail-b',
        priority: 5,
        config: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'one@shop.example.com' },
        secrets: {},
      });
      if (!created.ok) throw new Error(JSON.stringify(created.error));
      const id = created.value.id;
      const mine = async () => (await registry.providersFor('default', 'email')).filter((h) => h.id === id);
      const [handle] = await mine();
      if (!handle) throw new Error('no handle');
      const reads = counter.providerReads;

      // Another process edits the row (no `onChange` here); a hand edit that kept the version counts too.
      await server.rt.control.query(
        `UPDATE providers SET config = jsonb_set(config, '{from}', '"two@shop.example.com"') WHERE id = $1`,
        [id],
      );
      t += DEFAULT_RECHECK_MS - 1;
      for (let i = 0; i < 20; i++) await mine();
      expect(counter.providerReads).toBe(reads);
      expect(builds.filter((b) => b === id)).toHaveLength(1);
      t += 1;
      const [seen] = await mine();
      expect(builds.filter((b) => b === id)).toHaveLength(2);
      expect(seen?.adapter).toBe(handle.adapter);
      expect(await handle.adapter.send(email('d1'), never)).toMatchObject({ kind: 'accepted' });
      expect(smtp.received.map((r) => r.from)).toEqual(['two@shop.example.com']);

      // Only the priority changed: a new handle, the same adapter (its pool stays).
      await server.rt.control.query(
        'UPDATE providers SET priority = 6, version = version + 1, updated_at = now() WHERE id = $1',
        [id],
      );
      t += DEFAULT_RECHECK_MS;
      const [moved] = await mine();
      expect(moved?.priority).toBe(6);
      expect(moved?.adapter).toBe(handle.adapter);
      expect(builds.filter((b) => b === id)).toHaveLength(2);

      // Disabled elsewhere: it drops out, and a send on a handle held from before fails over.
      await server.rt.control.query(
        'UPDATE providers SET enabled = false, version = version + 1, updated_at = now() WHERE id = $1',
        [id],
      );
      t += DEFAULT_RECHECK_MS;
      expect(await mine()).toEqual([]);
      expect(await handle.adapter.send(email('d2'), never)).toMatchObject({
        kind: 'failed',
        retry: 'next_provider',
        code: 'provider_removed',
      });
      expect(smtp.received).toHaveLength(1);
      await until('the removed pool to close', () => smtp.closedAt.size === smtp.opened.length);
    } finally {
      await registry.close();
      await smtp.close();
    }
  });
});
