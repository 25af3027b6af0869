import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { publicUrlForEmail } from '../src/core/tracking/unsubscribe-https.ts';
import { createProviderAs, updateProviderAs } from '../src/delivery/providers/provider-service.ts';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { openRuntime } from '../src/runtime.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startChildServer } from './support/child-server.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { tempDir } from './support/tmp.ts';

/**
 * RFC 8058 one-click unsubscribe needs an HTTPS URI (and Gmail and Yahoo require it of bulk
 * senders): e-mail providers are refused while the public URL is plain public HTTP, and a server
 * started with enabled e-mail providers and a non-HTTPS public URL says so at start.
 */

const WARNING = 'WARNING: e-mail unsubscribe links are not HTTPS';

const smtp = (name: string, extra: Record<string, unknown> = {}) => ({
  kind: 'smtp',
  name,
  config: { host: 'smtp.example.com', port: 587, secure: false, from: 'news@example.com' },
  secrets: { username: 'mailer', password: 'pw-0123456789' },
  ...extra,
});

describe('which public URLs make HTTPS unsubscribe links', () => {
  it.each([
    ['https://r.example.com', 'https'],
    ['https://127.0.0.1:8443', 'https'],
    ['http://127.0.0.1:8080', 'http_loopback'],
    ['http://127.9.0.2:8080', 'http_loopback'],
    ['http://localhost:8080', 'http_loopback'],
    ['http://app.localhost', 'http_loopback'],
    ['http://[::1]:8080', 'http_loopback'],
    ['http://r.example.com', 'http_public'],
    ['http://10.0.0.5:8080', 'http_public'],
    ['http://localhost.example.com', 'http_public'],
    ['http://127.0.0.1.nip.io', 'http_public'],
  ])('%s → %s', (url, kind) => {
    expect(publicUrlForEmail(url).kind).toBe(kind);
  });
});

describe('the provider API and a plain-HTTP public URL', () => {
  let server: TestServer;
  let admin = '';

  beforeAll(async () => {
    server = await startTestServer({ config: { publicUrl: 'http://mail.example.com' } });
    const u = await createUser(server.rt.control, { name: 'root', role: 'admin' });
    if (!u.ok) throw new Error('user');
    admin = await issueApiToken(server.rt.control, u.value.id);
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  const call = async (method: 'POST' | 'PATCH', path: string, body: unknown) => {
    const res = await server.app.inject({
      method,
      url: path,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    return { status: res.statusCode, json: res.json<Record<string, unknown>>() };
  };

  it('refuses to create or enable an smtp provider, saying what to set; disabled ones and other kinds are fine', async () => {
    const refused = await call('POST', '/v1/providers', smtp('Main SMTP'));
    expect(refused.status).toBe(400);
    const errors = refused.json['errors'] as { path: string; message: string }[];
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('enabled');
    expect(errors[0]?.message).toContain('http://mail.example.com');
    expect(errors[0]?.message).toContain('REKINDLE_PUBLIC_URL');
    expect(errors[0]?.message).toMatch(/RFC 8058/);
    expect(String(refused.json['error'])).toContain('HTTPS');

    const disabled = await call('POST', '/v1/providers', smtp('Main SMTP', { enabled: false }));
    expect(disabled.status).toBe(201);
    const id = String(disabled.json['id']);
    // Editing a disabled provider is fine; enabling it is what is refused.
    expect((await call('PATCH', `/v1/providers/${id}`, { version: 1, priority: 3 })).status).toBe(200);
    const enable = await call('PATCH', `/v1/providers/${id}`, { version: 2, enabled: true });
    expect(enable.status).toBe(400);
    expect(JSON.stringify(enable.json)).toContain('REKINDLE_PUBLIC_URL');
    const sms = await call('POST', '/v1/providers', {
      kind: 'sms_http',
      name: 'SMS',
      config: { url: 'http://127.0.0.1:9/sms' },
      secrets: { authValue: 'Bearer sms-0123456789' },
    });
    expect(sms.status, JSON.stringify(sms.json)).toBe(201);

    // The public URL is read at each change (serve --port 0 learns it only once listening).
    server.rt.config.publicUrl = 'https://mail.example.com';
    const enabled = await call('PATCH', `/v1/providers/${id}`, { version: 2, enabled: true });
    expect(enabled.status, JSON.stringify(enabled.json)).toBe(200);
    expect(enabled.json['enabled']).toBe(true);

    // Plain HTTP on this machine stays allowed: local trials and the test suite.
    for (const local of ['http://127.0.0.1:8080', 'http://localhost:8080']) {
      server.rt.config.publicUrl = local;
      const ok = await call('POST', '/v1/providers', smtp(`Local ${local}`));
      expect(ok.status, JSON.stringify(ok.json)).toBe(201);
    }
    server.rt.config.publicUrl = 'http://mail.example.com';
  });

  it('refuses a DKIM key that could not sign (nodemailer would send such mail unsigned)', async () => {
    server.rt.config.publicUrl = 'https://mail.example.com';
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const dkim = { domainName: 'example.com', keySelector: 'rk', privateKey: ec };
    const res = await call('POST', '/v1/providers', {
      ...smtp('Signed'),
      secrets: { username: 'mailer', password: 'pw-0123456789', dkim },
    });
    expect(res.status).toBe(400);
    expect(res.json['errors']).toEqual([
      { path: 'secrets.dkim.privateKey', message: expect.stringMatching(/RSA key is needed/) as unknown },
    ]);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const good = await call('POST', '/v1/providers', {
      ...smtp('Signed'),
      secrets: { username: 'mailer', password: 'pw-0123456789', dkim: { ...dkim, privateKey: rsa } },
    });
    expect(good.status, JSON.stringify(good.json)).toBe(201);
    expect(good.json['secretsSet']).toEqual(['dkim', 'password', 'username']);
    server.rt.config.publicUrl = 'http://mail.example.com';
  });
});

describe('rekindle serve with e-mail providers and a non-HTTPS public URL', () => {
  const tmp = tempDir('rekindle-email-https-');
  afterAll(() => tmp.cleanup());

  const quiet = {
    REKINDLE_PLANNER_POLL_SECONDS: '0',
    REKINDLE_SCORE_EVERY_MINUTES: '0',
    REKINDLE_FACT_SHIP_MS: '0',
    REKINDLE_ATTRIBUTE_EVERY_MINUTES: '0',
    REKINDLE_ALERT_EVERY_SECONDS: '0',
    REKINDLE_DELIVERY: '0',
  };

  /** Sets up the data directory with one smtp provider (enabled or not) through the provider service. */
  const withSmtpProvider = async (enabled: boolean) => {
    const rt = await openRuntime(loadConfig({}, { dataDir: tmp.dir, logLevel: 'error' }));
    try {
      const ctx = providersOf(rt).context;
      const [existing] = await rt.control.query<{ id: string; version: number }>(
        'SELECT id, version FROM providers',
      );
      const admin = await createUser(rt.control, { name: `admin-${Date.now()}`, role: 'admin' });
      if (!admin.ok) throw new Error('admin');
      const actor = { userId: admin.value.id, workspaceId: 'default', name: 'admin', role: 'admin' as const };
      const r = existing
        ? await updateProviderAs(ctx, actor, existing.id, { version: existing.version, enabled })
        : await createProviderAs(ctx, actor, smtp('Newsletter SMTP', { enabled }));
      if (!r.ok) throw new Error(JSON.stringify(r.error));
    } finally {
      await rt.close();
    }
  };

  /**
   * Serves with this public URL, stops it once the start is over, returns what the process wrote.
   * The stop is graceful only once `serve` has registered its SIGTERM handler, after the check:
   * 'SIGTERM: stopping' in stdout proves the check ran.
   */
  const serveWith = async (publicUrl: string, expectOnStderr?: string) => {
    const server = await startChildServer({
      REKINDLE_DATA_DIR: tmp.dir,
      REKINDLE_PUBLIC_URL: publicUrl,
      ...quiet,
    });
    const deadline = Date.now() + (expectOnStderr === undefined ? 5_000 : 30_000);
    while (Date.now() < deadline && !(expectOnStderr && server.output().stderr.includes(expectOnStderr)))
      await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGTERM');
    await server.exited;
    return server.output();
  };

  it(
    'warns once on stderr, in plain words, naming the URL, the providers and the setting',
    { timeout: 120_000 },
    async () => {
      await withSmtpProvider(true);
      const out = await serveWith('http://mail.example.com', WARNING);
      expect(out.stdout).toContain('SIGTERM: stopping');
      expect(out.stderr.split(WARNING)).toHaveLength(2);
      expect(out.stderr).toContain('public URL is http://mail.example.com');
      expect(out.stderr).toContain('Newsletter SMTP');
      expect(out.stderr).toContain('Set REKINDLE_PUBLIC_URL to the https:// address');
      expect(out.stdout).not.toContain(WARNING);
    },
  );

  it(
    'says nothing with an HTTPS public URL, or with no e-mail provider enabled',
    { timeout: 120_000 },
    async () => {
      const https = await serveWith('https://mail.example.com');
      expect(https.stdout).toContain('SIGTERM: stopping');
      expect(https.stderr).not.toContain(WARNING);
      await withSmtpProvider(false);
      const disabled = await serveWith('http://mail.example.com');
      expect(disabled.stdout).toContain('SIGTERM: stopping');
      expect(disabled.stderr).not.toContain(WARNING);
    },
  );
});
