import { statSync } from 'node:fs';
import { join } from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProviderRegistry } from '../src/delivery/providers/registry.ts';
import { rotateProviderSecrets } from '../src/delivery/providers/provider-service.ts';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { keyId, loadMasterKeys, openSecrets, sealSecrets, sealedWith } from '../src/lib/secret-box.ts';
import { auditFor } from '../src/storage/control/audit-log.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { buildServer } from '../src/server/app.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { tempDir } from './support/tmp.ts';

/** Provider configuration (features.md F2): encrypted secrets, the admin-only API, the registry. */

const NOW = Date.UTC(2026, 10, 20, 3, 30);
const SMTP_PASSWORD = 'pw-VERY-secret-1234';
const ALI_SECRET = 'ali-SECRET-abcdef-987';

describe('secret box', () => {
  it('seals with AES-256-GCM, refuses altered ciphertext, and keeps old keys readable during rotation', () => {
    const tmp = tempDir();
    try {
      const keys = loadMasterKeys({}, tmp.dir);
      expect(statSync(join(tmp.dir, 'master.key')).mode & 0o777).toBe(0o600);
      expect(loadMasterKeys({}, tmp.dir).current.equals(keys.current)).toBe(true);
      const sealed = sealSecrets(keys, { password: 'p' });
      expect(sealed).not.toContain('"p"');
      expect(openSecrets(keys, sealed)).toEqual({ password: 'p' });
      const parts = sealed.split('.');
      const data = Buffer.from(parts[4]!, 'base64url');
      data[0] = (data[0] ?? 0) ^ 1;
      parts[4] = data.toString('base64url');
      expect(() => openSecrets(keys, parts.join('.'))).toThrow();
      const next = Buffer.alloc(32, 7).toString('base64');
      const rotated = loadMasterKeys(
        { REKINDLE_MASTER_KEY: next, REKINDLE_MASTER_KEY_PREVIOUS: keys.current.toString('base64') },
        tmp.dir,
      );
      expect(openSecrets(rotated, sealed)).toEqual({ password: 'p' });
      expect(() => openSecrets({ current: rotated.current, previous: [] }, sealed)).toThrow(/not configured/);
      expect(() => loadMasterKeys({ REKINDLE_MASTER_KEY: 'c2hvcnQ=' }, tmp.dir)).toThrow(/32 bytes/);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('provider API', () => {
  let server: TestServer;
  let admin = '';
  let operator = '';

  beforeAll(async () => {
    server = await startTestServer({ clock: () => NOW });
    const u = await createUser(server.rt.control, { name: 'root', role: 'admin' });
    const o = await createUser(server.rt.control, { name: 'op', role: 'operator' });
    if (!u.ok || !o.ok) throw new Error('users');
    admin = await issueApiToken(server.rt.control, u.value.id);
    operator = await issueApiToken(server.rt.control, o.value.id);
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  const call = async (method: string, path: string, body?: unknown, token = admin) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) as Record<string, unknown> };
  };

  const smtp = {
    kind: 'smtp',
    name: 'Main SMTP',
    priority: 1,
    ratePerSecond: 20,
    config: { host: 'smtp.example.com', port: 587, secure: false, from: 'news@example.com' },
    secrets: { username: 'mailer', password: SMTP_PASSWORD },
  };

  it('creates, lists, updates and deletes; secrets never come back and are stored encrypted', async () => {
    const created = await call('POST', '/v1/providers', smtp);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      kind: 'smtp',
      channel: 'email',
      name: 'Main SMTP',
      priority: 1,
      ratePerSecond: 20,
      secretsSet: ['password', 'username'],
      version: 1,
    });
    expect(created.text).not.toContain(SMTP_PASSWORD);
    const id = String(created.json['id']);
    const stored = await server.rt.control.query<{ secrets_enc: string; config: unknown }>(
      'SELECT secrets_enc, config FROM providers WHERE id = $1',
      [id],
    );
    expect(stored[0]!.secrets_enc).not.toContain(SMTP_PASSWORD);
    expect(JSON.stringify(stored[0]!.config)).not.toContain(SMTP_PASSWORD);
    const list = await call('GET', '/v1/providers');
    expect(list.text).not.toContain(SMTP_PASSWORD);
    expect((list.json['providers'] as unknown[]).length).toBe(1);
    const one = await call('GET', `/v1/providers/${id}`);
    expect(one.text).not.toContain(SMTP_PASSWORD);

    const upd = await call('PATCH', `/v1/providers/${id}`, {
      version: 1,
      priority: 5,
      secrets: { password: 'new-password-2' },
    });
    expect(upd.status).toBe(200);
    expect(upd.json).toMatchObject({ priority: 5, version: 2, secretsSet: ['password', 'username'] });
    expect(upd.text).not.toContain('new-password-2');
    expect((await call('PATCH', `/v1/providers/${id}`, { version: 1, priority: 6 })).status).toBe(409);
    const removed = await call('PATCH', `/v1/providers/${id}`, { version: 2, secrets: { username: null } });
    expect(removed.json['secretsSet']).toEqual(['password']);

    const audit = await auditFor(server.rt.control, 'default', 'provider', id);
    expect(audit.map((a) => a.action)).toEqual(['provider.create', 'provider.update', 'provider.update']);
    expect(audit[1]!.details).toEqual({ changed: ['priority'], secretsChanged: ['password'] });
    expect(JSON.stringify(audit)).not.toContain(SMTP_PASSWORD);
    expect(JSON.stringify(audit)).not.toContain('new-password-2');

    expect((await call('DELETE', `/v1/providers/${id}`)).status).toBe(200);
    expect((await call('GET', `/v1/providers/${id}`)).status).toBe(404);
  });

  it('gives precise validation errors per kind', async () => {
    const bad = await call('POST', '/v1/providers', {
      kind: 'sms_aliyun',
      name: 'Ali',
      config: { templateCode: 'SMS_1', templateParams: { code: 'nonsense' }, endpoint: 'ftp://x' },
      secrets: { accessKeyId: 'AK' },
    });
    expect(bad.status).toBe(400);
    const paths = (bad.json['errors'] as { path: string }[]).map((e) => e.path);
    expect(paths).toContain('config.endpoint');
    expect(paths).toContain('config.templateParams.code');
    expect(paths).toContain('secrets.accessKeySecret');
    const unknownKind = await call('POST', '/v1/providers', {
      kind: 'pigeon',
      name: 'x',
      config: {},
      secrets: {},
    });
    expect(unknownKind.status).toBe(400);
    expect(unknownKind.text).toContain('kind');
    const extra = await call('POST', '/v1/providers', {
      ...smtp,
      name: 'x',
      config: { ...smtp.config, password: 'oops' },
    });
    expect(extra.status).toBe(400);
    expect((extra.json['errors'] as { path: string }[]).map((e) => e.path)).toContain('config.password');
    expect((await call('POST', '/v1/providers', smtp)).status).toBe(201);
    expect((await call('POST', '/v1/providers', smtp)).status).toBe(409);
  });

  it('is admin-only', async () => {
    expect((await call('GET', '/v1/providers', undefined, operator)).status).toBe(403);
    expect((await call('POST', '/v1/providers', { ...smtp, name: 'op' }, operator)).status).toBe(403);
  });

  it('never logs secrets, even at trace level', async () => {
    // Fastify's pino writes to fd 1 through fs.write / fs.writeSync (not process.stdout.write).
    const captured: string[] = [];
    const origSync = fs.writeSync;
    const origWrite = fs.write;
    const keep = (data: unknown) => {
      captured.push(typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString() : String(data));
    };
    fs.writeSync = ((fd: number, data: unknown, ...rest: unknown[]) => {
      if (fd === 1 || fd === 2) keep(data);
      return (origSync as (...a: unknown[]) => number)(fd, data, ...rest);
    }) as typeof fs.writeSync;
    fs.write = ((fd: number, data: unknown, ...rest: unknown[]) => {
      if (fd === 1 || fd === 2) keep(data);
      return (origWrite as (...a: unknown[]) => void)(fd, data, ...rest);
    }) as typeof fs.write;
    const app = buildServer(server.rt, { logLevel: 'trace' });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${url}/v1/providers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          kind: 'sms_aliyun',
          name: 'Ali log',
          priority: 9,
          config: { templateCode: 'T', templateParams: {} },
          secrets: { accessKeyId: 'AK', accessKeySecret: ALI_SECRET },
        }),
      });
      expect(res.status).toBe(201);
      expect(await res.text()).not.toContain(ALI_SECRET);
      // A failing request logs its error; still no secret.
      await fetch(`${url}/v1/providers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: `{"kind":"sms_aliyun","secrets":{"accessKeySecret":"${ALI_SECRET}"`,
      });
    } finally {
      await app.close();
      fs.writeSync = origSync;
      fs.write = origWrite;
    }
    expect(captured.join('')).toContain('Server listening');
    expect(captured.join('')).not.toContain(ALI_SECRET);
  });

  it('registry: enabled providers in failover order, cached, rebuilt after a change', async () => {
    const ctx = providersOf(server.rt).context;
    const reg = providersOf(server.rt).registry;
    const a = await call('POST', '/v1/providers', {
      kind: 'sms_http',
      name: 'gw-b',
      priority: 2,
      config: { url: 'http://127.0.0.1:9/x' },
      secrets: { authValue: 'v' },
    });
    await call('POST', '/v1/providers', {
      kind: 'sms_http',
      name: 'gw-a',
      priority: 1,
      config: { url: 'http://127.0.0.1:9/y' },
      secrets: { authValue: 'v' },
    });
    const first = await reg.providersFor('default', 'sms');
    // 'Ali log' (priority 9) is the SMS provider of the previous test.
    expect(first.map((p) => p.priority)).toEqual([1, 2, 9]);
    expect(await reg.providersFor('default', 'sms')).toBe(first);
    await call('PATCH', `/v1/providers/${String(a.json['id'])}`, { version: 1, enabled: false });
    const after = await reg.providersFor('default', 'sms');
    expect(after).not.toBe(first);
    expect(after.map((p) => p.priority)).toEqual([1, 9]);
    expect(after[0]!.adapter.channel).toBe('sms');
    // A separate registry (another process) sees changes after its TTL.
    let t = NOW;
    const other = openProviderRegistry(server.rt.control, {
      masterKeys: ctx.masterKeys,
      clock: () => t,
      recheckMs: 1000,
    });
    expect((await other.providersFor('default', 'sms')).length).toBe(2);
    await call('PATCH', `/v1/providers/${String(a.json['id'])}`, { version: 2, enabled: true });
    expect((await other.providersFor('default', 'sms')).length).toBe(2);
    t += 1001;
    expect((await other.providersFor('default', 'sms')).length).toBe(3);
    await other.close();

    // Rotation: re-sealed under a new key, readable with it alone afterwards.
    const newKeys = { current: Buffer.alloc(32, 9), previous: [ctx.masterKeys.current] };
    expect(await rotateProviderSecrets(server.rt.control, newKeys)).toBeGreaterThan(0);
    const rows = await server.rt.control.query<{ secrets_enc: string }>('SELECT secrets_enc FROM providers');
    for (const r of rows) {
      expect(sealedWith(r.secrets_enc)).toBe(keyId(newKeys.current));
      openSecrets({ current: newKeys.current, previous: [] }, r.secrets_enc);
    }
  });
});
