import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { apiCall, postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Issue 18: the team, write keys and delivery providers by API — admins only, every change
 * audited, keys shown once, a revoked key refused by ingest at once, provider secrets write-only.
 */

const NOW = Date.UTC(2026, 2, 10, 4, 0, 0);

let s: TestServer;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};

const auditOf = async (action: string) =>
  (
    await s.rt.control.query<{ actor_id: unknown; object_type: string; object_id: string; details: unknown }>(
      'SELECT actor_id, object_type, object_id, details FROM audit_log WHERE action = $1 ORDER BY id',
      [action],
    )
  ).map((r) => ({
    actorId: r.actor_id === null ? null : Number(r.actor_id),
    objectType: r.object_type,
    objectId: r.object_id,
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>,
  }));

const as = (who: string, method: string, path: string, body?: unknown) =>
  apiCall(s.url, tokens[who] ?? '', method, path, body);

const track = (key: string) =>
  postJson(`${s.url}/v1/track`, { userId: 'u1', event: 'Opened', messageId: `m-${Math.random()}` }, key);

beforeAll(async () => {
  s = await startTestServer({ clock: () => NOW });
  for (const [name, role] of [
    ['ada', 'admin'],
    ['olga', 'operator'],
    ['vic', 'viewer'],
  ] as const) {
    const u = await createUser(s.rt.control, { name, role });
    if (!u.ok) throw new Error('user');
    ids[name] = u.value.id;
    tokens[name] = await issueApiToken(s.rt.control, u.value.id);
  }
});
afterAll(async () => {
  await s.stop();
  s.cleanup();
});

describe('write keys', () => {
  it('an admin creates a key (shown once), lists prefixes only, revokes it; each audited', async () => {
    const made = await as('ada', 'POST', '/v1/write-keys', { name: 'iOS app' });
    expect(made.status).toBe(201);
    const key = String(made.json['key']);
    expect(key).toMatch(/^rk_[A-Za-z0-9_-]{20,}$/);
    expect(made.json).toMatchObject({ name: 'iOS app', prefix: key.slice(0, 6) });
    expect(made.json['createdAt']).toBe(new Date(NOW).toISOString());
    const id = Number(made.json['id']);

    const list = await as('ada', 'GET', '/v1/write-keys');
    expect(list.status).toBe(200);
    const keys = list.json['keys'] as Record<string, unknown>[];
    const mine = keys.find((k) => k['id'] === id);
    expect(mine).toEqual({
      id,
      prefix: key.slice(0, 6),
      name: 'iOS app',
      createdAt: new Date(NOW).toISOString(),
      revokedAt: null,
      lastUsedAt: null,
    });
    // The key itself never comes back.
    expect(JSON.stringify(list.json)).not.toContain(key);

    // Ingest accepts it (and caches the lookup) …
    const before = Date.now();
    expect((await track(key)).status).toBe(200);
    expect((await track(key)).status).toBe(200);
    // The list says when it was last used (ingest's cache notes it on the wall clock).
    const used = ((await as('ada', 'GET', '/v1/write-keys')).json['keys'] as Record<string, unknown>[]).find(
      (k) => k['id'] === id,
    );
    const usedAt = Date.parse(String(used?.['lastUsedAt']));
    expect(usedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(usedAt).toBeLessThanOrEqual(Date.now() + 1000);
    const revoked = await as('ada', 'POST', `/v1/write-keys/${id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.json).toEqual({ id, revokedAt: new Date(NOW).toISOString() });
    // … and refuses it right after the revocation, although the 30 s cache had it.
    expect((await track(key)).status).toBe(401);

    const again = await as('ada', 'POST', `/v1/write-keys/${id}/revoke`);
    expect(again.status).toBe(409);
    expect(String(again.json['error'])).toContain(`write key ${id} ('iOS app') was revoked already`);
    const missing = await as('ada', 'POST', '/v1/write-keys/99999/revoke');
    expect(missing.status).toBe(404);
    expect(missing.json['error']).toBe('write key 99999 not found');

    const created = await auditOf('write_key.created');
    expect(
      created.map((e) => [e.actorId, e.objectType, e.objectId, e.details['name'], e.details['prefix']]),
    ).toEqual([[ids['ada'], 'write_key', String(id), 'iOS app', key.slice(0, 6)]]);
    expect(JSON.stringify(created)).not.toContain(key);
    const gone = await auditOf('write_key.revoked');
    expect(gone.map((e) => [e.actorId, e.objectId, e.details['name']])).toEqual([
      [ids['ada'], String(id), 'iOS app'],
    ]);
    const listed = (await as('ada', 'GET', '/v1/write-keys')).json['keys'] as Record<string, unknown>[];
    expect(listed.find((k) => k['id'] === id)?.['revokedAt']).toBe(new Date(NOW).toISOString());
  });

  it('operators and viewers may not list, create or revoke keys; a blank name is refused', async () => {
    for (const who of ['olga', 'vic']) {
      expect((await as(who, 'GET', '/v1/write-keys')).status).toBe(403);
      const made = await as(who, 'POST', '/v1/write-keys', { name: 'x' });
      expect(made.status).toBe(403);
      expect(made.json['error']).toBe('only an admin may create write keys');
      expect((await as(who, 'POST', '/v1/write-keys/1/revoke')).status).toBe(403);
    }
    expect((await as('ada', 'POST', '/v1/write-keys', { name: '   ' })).status).toBe(400);
    expect((await as('ada', 'POST', '/v1/write-keys', {})).status).toBe(400);
  });
});

describe('providers: add, edit, enable/disable, test-send; secrets write-only', () => {
  it('an SMS gateway is added, its secret never returned, kept through an edit, and test-sent', async () => {
    // The fake gateway accepts 138…, refuses 139… (400) and refuses a wrong credential (401).
    const vendor = await startFakeVendor((r, res) => {
      const body = JSON.parse(r.body) as { to: string };
      if (r.headers['x-api-key'] !== 'secret-value-1234') return json(res, 401, { error: 'bad key' });
      if (body.to.includes('139')) return json(res, 400, { error: 'blocked number' });
      return json(res, 200, { id: 'vendor-msg-1' });
    });
    try {
      const made = await as('ada', 'POST', '/v1/providers', {
        kind: 'sms_http',
        name: '短信网关',
        config: { url: `${vendor.url}/send`, authHeader: 'x-api-key' },
        secrets: { authValue: 'secret-value-1234' },
      });
      expect(made.status).toBe(201);
      const id = String(made.json['id']);
      expect(made.json).toMatchObject({
        channel: 'sms',
        kind: 'sms_http',
        enabled: true,
        secretsSet: ['authValue'],
      });
      const one = await as('ada', 'GET', `/v1/providers/${id}`);
      expect(JSON.stringify(one.json)).not.toContain('secret-value-1234');
      expect(JSON.stringify((await as('ada', 'GET', '/v1/providers')).json)).not.toContain(
        'secret-value-1234',
      );

      // Edit the name and disable it without re-entering the secret: the secret stays.
      const edited = await as('ada', 'PATCH', `/v1/providers/${id}`, {
        version: 1,
        name: '短信网关（备用）',
        enabled: false,
      });
      expect(edited.status).toBe(200);
      expect(edited.json).toMatchObject({
        name: '短信网关（备用）',
        enabled: false,
        secretsSet: ['authValue'],
        version: 2,
      });

      // Test-send works on a disabled provider, with the kept secret.
      const sent = await as('ada', 'POST', `/v1/providers/${id}/test`, {
        to: '+8613812345678',
        text: '测试',
      });
      expect(sent.status).toBe(200);
      expect(sent.json).toMatchObject({
        accepted: true,
        providerMessageId: 'vendor-msg-1',
        to: '138****5678',
        code: null,
        words: { zhCN: '服务商已受理这条测试消息，请查看是否收到' },
      });
      const req = vendor.requests.at(-1);
      expect(req?.headers['x-api-key']).toBe('secret-value-1234');
      expect(JSON.parse(req?.body ?? '{}')).toMatchObject({ to: '+8613812345678', text: '【Rekindle】测试' });

      const refused = await as('ada', 'POST', `/v1/providers/${id}/test`, { to: '+8613912345678' });
      expect(refused.status).toBe(200);
      expect(refused.json).toMatchObject({
        accepted: false,
        code: 'http_400',
        words: { zhCN: '服务商拒收了这条消息（HTTP 400）' },
      });

      // A new secret replaces the old one: the gateway now refuses the credential, said in words.
      const rekeyed = await as('ada', 'PATCH', `/v1/providers/${id}`, {
        version: 2,
        secrets: { authValue: 'wrong' },
      });
      expect(rekeyed.status).toBe(200);
      const denied = await as('ada', 'POST', `/v1/providers/${id}/test`, { to: '13812345678' });
      expect(denied.json).toMatchObject({ accepted: false, code: 'http_401' });
      expect((denied.json['words'] as { zhCN: string }).zhCN).toContain('凭据');

      const reenabled = await as('ada', 'PATCH', `/v1/providers/${id}`, { version: 3, enabled: true });
      expect(reenabled.json).toMatchObject({ enabled: true, version: 4 });

      const audit = await auditOf('provider.test_send');
      expect(
        audit.map((e) => [e.actorId, e.objectId, e.details['to'], e.details['accepted'], e.details['code']]),
      ).toEqual([
        [ids['ada'], id, '138****5678', true, undefined],
        [ids['ada'], id, '139****5678', false, 'http_400'],
        [ids['ada'], id, '138****5678', false, 'http_401'],
      ]);
      expect(JSON.stringify(audit)).not.toContain('13812345678');
      const updates = await auditOf('provider.update');
      expect(updates.map((e) => e.details['secretsChanged'])).toEqual([[], ['authValue'], []]);

      // The fourth and fifth in the minute go; the sixth is refused with when to try again.
      expect((await as('ada', 'POST', `/v1/providers/${id}/test`, { to: '13812345678' })).status).toBe(200);
      expect((await as('ada', 'POST', `/v1/providers/${id}/test`, { to: '13812345678' })).status).toBe(200);
      const sixth = await as('ada', 'POST', `/v1/providers/${id}/test`, { to: '13812345678' });
      expect(sixth.status).toBe(429);
      expect(String(sixth.json['error'])).toMatch(
        /at most 5 test sends a minute per provider; try again in \d+ s/,
      );
      expect(vendor.requests).toHaveLength(5);
    } finally {
      await vendor.close();
    }
  });

  it('SMTP DKIM: domain and selector shown, the key write-only and kept through an edit; a bad key refused at its field', async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const dkim = { domainName: 'shop.example.com', keySelector: 'rk2026', privateKey: pem };
    const made = await as('ada', 'POST', '/v1/providers', {
      kind: 'smtp',
      name: '邮件 DKIM',
      enabled: false,
      config: { host: 'smtp.example.com', port: 465, secure: true, from: 'news@shop.example.com' },
      secrets: { password: 'p4ss', dkim, receiptSecret: 'receipt-secret-0123456789' },
    });
    expect(made.status).toBe(201);
    const id = String(made.json['id']);
    expect(made.json).toMatchObject({
      secretsSet: ['dkim', 'password', 'receiptSecret'],
      dkim: { domainName: 'shop.example.com', keySelector: 'rk2026' },
    });
    const read = await as('ada', 'GET', `/v1/providers/${id}`);
    expect(JSON.stringify(read.json)).not.toContain('PRIVATE KEY');
    expect(JSON.stringify((await as('ada', 'GET', '/v1/providers')).json)).not.toContain('PRIVATE KEY');

    // A new selector without the key: the stored key is kept (else the key would be missing).
    const reselected = await as('ada', 'PATCH', `/v1/providers/${id}`, {
      version: 1,
      secrets: { dkim: { domainName: 'shop.example.com', keySelector: 'rk2027' } },
    });
    expect(reselected.status).toBe(200);
    expect(reselected.json).toMatchObject({ dkim: { keySelector: 'rk2027' }, version: 2 });

    // A key that is no PEM, or not RSA: refused, naming the field, nothing changed.
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    for (const privateKey of ['x'.repeat(120), ec]) {
      const bad = await as('ada', 'PATCH', `/v1/providers/${id}`, {
        version: 2,
        secrets: { dkim: { ...dkim, privateKey } },
      });
      expect(bad.status).toBe(400);
      const errors = bad.json['errors'] as { path: string; message: string }[];
      expect(errors.map((e) => e.path)).toEqual(['secrets.dkim.privateKey']);
    }
    const badSelector = await as('ada', 'PATCH', `/v1/providers/${id}`, {
      version: 2,
      secrets: { dkim: { domainName: 'shop.example.com', keySelector: 'rk 2027' } },
    });
    expect(badSelector.status).toBe(400);
    expect((badSelector.json['errors'] as { path: string }[])[0]?.path).toBe('secrets.dkim.keySelector');
    expect((await as('ada', 'GET', `/v1/providers/${id}`)).json).toMatchObject({ version: 2 });
  });

  it('an optional secret is cleared with null (absent keeps it), a required one cannot be; both audited', async () => {
    const made = await as('ada', 'POST', '/v1/providers', {
      kind: 'webhook',
      name: '回调清除测试',
      config: { url: 'https://hooks.example.com/rk' },
      secrets: { secret: 'signing-secret-0123456789', receiptSecret: 'receipt-secret-0123456789' },
    });
    expect(made.status).toBe(201);
    const id = String(made.json['id']);

    // Absent: kept.
    const kept = await as('ada', 'PATCH', `/v1/providers/${id}`, { version: 1, priority: 3 });
    expect(kept.json).toMatchObject({ secretsSet: ['receiptSecret', 'secret'], version: 2 });

    // The required signing secret: refused in words, at its field; nothing changes.
    const required = await as('ada', 'PATCH', `/v1/providers/${id}`, {
      version: 2,
      secrets: { secret: null },
    });
    expect(required.status).toBe(400);
    expect(required.json['errors']).toEqual([
      { path: 'secrets.secret', message: 'required: it cannot be removed, only replaced by a new value' },
    ]);

    // The optional receipt secret: removed.
    const cleared = await as('ada', 'PATCH', `/v1/providers/${id}`, {
      version: 2,
      secrets: { receiptSecret: null },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.json).toMatchObject({ secretsSet: ['secret'], version: 3 });
    // Clearing what is not set is no change to the audit.
    const again = await as('ada', 'PATCH', `/v1/providers/${id}`, {
      version: 3,
      secrets: { receiptSecret: null },
    });
    expect(again.status).toBe(200);

    const updates = (await auditOf('provider.update')).filter((e) => e.objectId === id);
    expect(updates.map((e) => e.details)).toEqual([
      { changed: ['priority'], secretsChanged: [] },
      { changed: [], secretsChanged: [], secretsCleared: ['receiptSecret'] },
      { changed: [], secretsChanged: [] },
    ]);
    expect(updates.every((e) => e.actorId === ids['ada'])).toBe(true);
  });

  it('SMTP DKIM is removed as a whole with null, and the audit says so', async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const made = await as('ada', 'POST', '/v1/providers', {
      kind: 'smtp',
      name: '邮件 DKIM 清除',
      enabled: false,
      config: { host: 'smtp.example.com', port: 587, secure: false, from: 'news@shop.example.com' },
      secrets: { dkim: { domainName: 'shop.example.com', keySelector: 's1', privateKey: pem } },
    });
    const id = String(made.json['id']);
    const cleared = await as('ada', 'PATCH', `/v1/providers/${id}`, { version: 1, secrets: { dkim: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.json['secretsSet']).toEqual([]);
    expect(cleared.json['dkim']).toBeUndefined();
    const last = (await auditOf('provider.update')).filter((e) => e.objectId === id);
    expect(last.map((e) => e.details['secretsCleared'])).toEqual([['dkim']]);
  });

  it('test-send is for admins, names what is missing, and says which kinds cannot be tested', async () => {
    const made = await as('ada', 'POST', '/v1/providers', {
      kind: 'smtp',
      name: '邮件',
      enabled: false,
      config: { host: '127.0.0.1', port: 2525, secure: false, from: 'news@example.com' },
      secrets: { password: 'smtp-pass' },
    });
    expect(made.status).toBe(201);
    const id = String(made.json['id']);
    for (const who of ['olga', 'vic'])
      expect((await as(who, 'POST', `/v1/providers/${id}/test`, { to: 'a@example.com' })).status).toBe(403);
    const bad = await as('ada', 'POST', `/v1/providers/${id}/test`, { to: '13812345678' });
    expect(bad.status).toBe(400);
    expect(bad.json['errors']).toEqual([{ path: 'to', message: "'13812345678' is not an e-mail address" }]);
    expect((await as('ada', 'POST', '/v1/providers/prv_nope/test', { to: 'a@example.com' })).json).toEqual({
      error: 'provider prv_nope not found',
    });
    const inbox = await as('ada', 'POST', '/v1/providers', {
      kind: 'inbox',
      name: '站内信',
      config: {},
      secrets: {},
    });
    const untestable = await as('ada', 'POST', `/v1/providers/${String(inbox.json['id'])}/test`, {
      to: 'u1',
    });
    expect(untestable.status).toBe(400);
    expect(String(untestable.json['error'])).toContain('reaches no vendor');
  });
});

describe('team members', () => {
  const login = async (name: string, password: string) =>
    (
      await fetch(`${s.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, password }),
      })
    ).status;

  it('an admin lists the team with last logins, disables and enables a member; both audited', async () => {
    const made = await as('ada', 'POST', '/v1/team/members', {
      name: 'pia',
      role: 'operator',
      password: 'a-long-enough-password-1',
    });
    expect(made.status).toBe(201);
    const id = Number(made.json['id']);
    expect(await login('pia', 'a-long-enough-password-1')).toBe(200);

    const list = await as('ada', 'GET', '/v1/team/members');
    expect(list.status).toBe(200);
    const members = list.json['members'] as Record<string, unknown>[];
    expect(members.find((m) => m['id'] === id)).toEqual({
      id,
      name: 'pia',
      role: 'operator',
      disabled: false,
      hasPassword: true,
      createdAt: expect.any(String) as string,
      disabledAt: null,
      lastLoginAt: new Date(NOW).toISOString(),
    });
    expect(members.find((m) => m['name'] === 'vic')).toMatchObject({ hasPassword: false, lastLoginAt: null });
    expect(JSON.stringify(list.json)).not.toMatch(/scrypt|password_hash/);

    expect((await as('ada', 'POST', `/v1/team/members/${id}/disable`)).status).toBe(200);
    expect(await login('pia', 'a-long-enough-password-1')).toBe(401);
    const enabled = await as('ada', 'POST', `/v1/team/members/${id}/enable`);
    expect(enabled.status).toBe(200);
    expect(enabled.json).toMatchObject({ id, disabled: false });
    expect(await login('pia', 'a-long-enough-password-1')).toBe(200);
    const twice = await as('ada', 'POST', `/v1/team/members/${id}/enable`);
    expect(twice.status).toBe(409);
    expect(twice.json['error']).toBe("'pia' is not disabled");
    expect((await auditOf('user.enabled')).map((e) => [e.actorId, e.objectId, e.details['name']])).toEqual([
      [ids['ada'], String(id), 'pia'],
    ]);
  });

  it('a re-enabled member’s old API token stays revoked', async () => {
    const made = await as('ada', 'POST', '/v1/team/members', { name: 'tom', role: 'viewer' });
    const id = Number(made.json['id']);
    const token = await issueApiToken(s.rt.control, id);
    // (Not used before: the server caches a token's answer for a few seconds.)
    await as('ada', 'POST', `/v1/team/members/${id}/disable`);
    await as('ada', 'POST', `/v1/team/members/${id}/enable`);
    expect((await apiCall(s.url, token, 'GET', '/v1/auth/me')).status).toBe(401);
    const live = await s.rt.control.query(
      'SELECT id FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL',
      [id],
    );
    expect(live).toHaveLength(0);
  });

  it('only admins list the team or enable members', async () => {
    for (const who of ['olga', 'vic']) {
      const r = await as(who, 'GET', '/v1/team/members');
      expect(r.status).toBe(403);
      expect((await as(who, 'POST', `/v1/team/members/${ids['vic']}/enable`)).status).toBe(403);
    }
  });
});
