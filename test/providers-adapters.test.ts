import { createHash, createHmac, createVerify, generateKeyPairSync } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelContent } from '../src/core/content/schema.ts';
import type { OutgoingMessage } from '../src/core/delivery/message.ts';
import { fcmAdapter } from '../src/delivery/providers/adapters/fcm.ts';
import { classifyFcm } from '../src/delivery/providers/adapters/fcm-failures.ts';
import { maskPhonesIn, transportFailure } from '../src/delivery/providers/adapters/http-outcome.ts';
import { aliyunSignature, aliyunSmsAdapter } from '../src/delivery/providers/adapters/sms-aliyun.ts';
import { classifyAliyun } from '../src/delivery/providers/adapters/sms-aliyun-failures.ts';
import { smsHttpAdapter } from '../src/delivery/providers/adapters/sms-http.ts';
import { tencentSmsAdapter } from '../src/delivery/providers/adapters/sms-tencent.ts';
import { classifyTencent } from '../src/delivery/providers/adapters/sms-tencent-failures.ts';
import { messageIdFor, smtpAdapter, smtpMail } from '../src/delivery/providers/adapters/smtp.ts';
import { classifySmtpError } from '../src/delivery/providers/adapters/smtp-failures.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { closedPort, json, startFakeVendor } from './support/fake-vendor.ts';
import { outgoingMessage } from './support/outgoing-message.ts';

/**
 * Channel adapters (features.md F2): each vendor's request as built (signatures checked the way the
 * vendor checks them), its answers classified, and the adapter against a fake vendor on loopback
 * (a real SMTP server for e-mail).
 */

const NOW = Date.UTC(2026, 10, 20, 3, 30);
const PHONE = '+8613812345678';

const message = (content: ChannelContent, over: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  ...outgoingMessage(content, {
    recipient: { phone: PHONE, email: 'ann@example.com', pushToken: 'tok-1', wecomOpenId: 'oOPEN42' },
    unsubscribeUrl: 'https://r.example.com/u/abc.def',
  }),
  ...over,
});

const sms = message({ channel: 'sms', text: 'Your coupon awaits', signature: '【Rekindle】' });
const never = new AbortController().signal;

describe('SMTP e-mail', () => {
  const received: { from: string; to: string[]; raw: string; user: string | undefined }[] = [];
  let server: SMTPServer;
  let port = 0;
  let reject: (to: string) => { code: number; message: string } | null = () => null;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth: (auth, _s, cb) =>
        auth.username === 'mailer' && auth.password === 's3cret-pass'
          ? cb(null, { user: auth.username })
          : cb(Object.assign(new Error('bad credentials'), { responseCode: 535 })),
      onRcptTo: (addr, _s, cb) => {
        const r = reject(addr.address);
        cb(r ? Object.assign(new Error(r.message), { responseCode: r.code }) : undefined);
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            user: session.user,
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const cfg = () => ({ host: '127.0.0.1', port, secure: false, from: 'news@shop.example.com' });
  const email = message({
    channel: 'email',
    subject: 'We miss you, Ann',
    html: '<p>Come back: <a href="https://r.example.com/l/x1">shop</a></p>',
    text: 'Come back: https://r.example.com/l/x1',
    fromName: 'Shop',
  });

  it('sends html + text with RFC 8058 one-click headers and a Message-ID from the idempotency key', async () => {
    const a = smtpAdapter('p-smtp', cfg(), { username: 'mailer', password: 's3cret-pass' });
    const out = await a.send(email, never);
    await a.close?.();
    const id = messageIdFor(email.idempotencyKey, 'news@shop.example.com');
    expect(out).toEqual({ kind: 'accepted', providerMessageId: id });
    expect(received).toHaveLength(1);
    const mail = received[0]!;
    expect(mail.user).toBe('mailer');
    expect(mail.to).toEqual(['ann@example.com']);
    expect(mail.from).toBe('news@shop.example.com');
    expect(mail.raw).toMatch(/^Subject: We miss you, Ann\r$/m);
    expect(mail.raw).toMatch(/^List-Unsubscribe: <https:\/\/r\.example\.com\/u\/abc\.def>\r$/m);
    expect(mail.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    expect(mail.raw).toContain(`Message-ID: ${id}`);
    expect(mail.raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(mail.raw).toMatch(/Content-Type: text\/plain[\s\S]*Come back: https:\/\/r\.example\.com\/l\/x1/);
    expect(mail.raw).toMatch(/Content-Type: text\/html[\s\S]*<p>Come back:/);
    expect(id).toMatch(/^<[0-9a-f]{32}@shop\.example\.com>$/);
  });

  it('leaves the unsubscribe headers off transactional mail and refuses marketing mail without a URL', () => {
    const t = smtpMail(cfg(), { ...email, class: 'transactional', unsubscribeUrl: undefined });
    expect('headers' in t && t.headers).toEqual({});
    expect(smtpMail(cfg(), { ...email, unsubscribeUrl: undefined })).toMatchObject({
      retry: 'never',
      code: 'no_unsubscribe_url',
    });
    expect(smtpMail(cfg(), { ...email, recipient: { userId: 'u1' } })).toMatchObject({
      retry: 'never',
      code: 'no_address',
    });
  });

  it('5xx from the server is never, 4xx is the same provider, bad credentials and refused connections fail over', async () => {
    const a = smtpAdapter('p-smtp', cfg(), { username: 'mailer', password: 's3cret-pass' });
    reject = () => ({ code: 550, message: 'no such user' });
    expect(await a.send(email, never)).toMatchObject({ kind: 'failed', retry: 'never', code: 'smtp_550' });
    reject = () => ({ code: 451, message: 'try later' });
    expect(await a.send(email, never)).toMatchObject({
      kind: 'failed',
      retry: 'same_provider',
      code: 'smtp_451',
    });
    reject = () => null;
    await a.close?.();
    const wrong = smtpAdapter('p-smtp', cfg(), { username: 'mailer', password: 'wrong' });
    expect(await wrong.send(email, never)).toMatchObject({ kind: 'failed', retry: 'next_provider' });
    await wrong.close?.();
    const nobody = smtpAdapter('p-smtp', { ...cfg(), port: await closedPort() }, {});
    expect(await nobody.send(email, never)).toMatchObject({
      kind: 'failed',
      retry: 'next_provider',
      code: 'connect_failed',
    });
    await nobody.close?.();
    expect(classifySmtpError({ code: 'ETIMEDOUT', message: 'Timeout' })).toMatchObject({
      retry: 'same_provider',
    });
  });
});

describe('generic HTTP SMS gateway', () => {
  it('posts {to, text, idempotencyKey} with the auth header and classifies the answer', async () => {
    let status = 200;
    const vendor = await startFakeVendor((_r, res) =>
      json(res, status, status === 200 ? { id: 'gw-1' } : { error: 'x' }, { 'retry-after': '3' }),
    );
    const a = smsHttpAdapter(
      'p-sms',
      { url: `${vendor.url}/send`, authHeader: 'x-api-key' },
      { authValue: 'k-123' },
      { fetch, now: () => NOW },
    );
    expect(await a.send(sms, never)).toEqual({ kind: 'accepted', providerMessageId: 'gw-1' });
    const r = vendor.requests[0]!;
    expect(r.headers['x-api-key']).toBe('k-123');
    expect(r.headers['idempotency-key']).toBe('c1:r1:s1:u42');
    expect(JSON.parse(r.body)).toEqual({
      to: PHONE,
      text: '【Rekindle】Your coupon awaits',
      idempotencyKey: 'c1:r1:s1:u42',
    });
    status = 503;
    expect(await a.send(sms, never)).toMatchObject({
      retry: 'same_provider',
      code: 'http_503',
      retryAfterMs: 3000,
    });
    status = 400;
    expect(await a.send(sms, never)).toMatchObject({ retry: 'never', code: 'http_400' });
    status = 401;
    expect(await a.send(sms, never)).toMatchObject({ retry: 'next_provider' });
    await vendor.close();
    const gone = smsHttpAdapter(
      'p-sms',
      { url: `http://127.0.0.1:${await closedPort()}/send` },
      { authValue: 'k' },
      { fetch, now: () => NOW },
    );
    expect(await gone.send(sms, never)).toMatchObject({ retry: 'next_provider', code: 'connect_failed' });
    expect(await a.send({ ...sms, recipient: { userId: 'u1' } }, never)).toMatchObject({
      retry: 'never',
      code: 'no_address',
    });
  });

  it('masks phone numbers in any text that may be shown', () => {
    expect(maskPhonesIn('invalid number +8613812345678 and 13812345678')).toBe(
      'invalid number +86138****5678 and 138****5678',
    );
    expect(transportFailure(Object.assign(new Error('x'), { cause: { code: 'ECONNRESET' } }))).toMatchObject({
      retry: 'same_provider',
    });
  });
});

describe('Aliyun Dysms SendSms', () => {
  it('signs like the documented example (HMAC-SHA1 over the sorted, percent-encoded query)', () => {
    // The example in Aliyun's SendSms signature documentation.
    const sig = aliyunSignature(
      {
        AccessKeyId: 'testId',
        Action: 'SendSms',
        Format: 'XML',
        OutId: '123',
        PhoneNumbers: '15300000001',
        RegionId: 'cn-hangzhou',
        SignName: '阿里云短信测试专用',
        SignatureMethod: 'HMAC-SHA1',
        SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466',
        SignatureVersion: '1.0',
        TemplateCode: 'SMS_71390007',
        TemplateParam: '{"customer":"test"}',
        Timestamp: '2017-07-12T02:42:19Z',
        Version: '2017-05-25',
      },
      'testSecret',
    );
    expect(sig).toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=');
  });

  it('sends the template with mapped params and OutId = key; classifies vendor codes', async () => {
    let answer: unknown = { Code: 'OK', BizId: '900619746936498440^0', RequestId: 'r' };
    const vendor = await startFakeVendor((_r, res) => json(res, 200, answer));
    const a = aliyunSmsAdapter(
      'p-ali',
      {
        endpoint: `${vendor.url}/`,
        templateCode: 'SMS_1',
        templateParams: { content: 'text', uid: 'user_id', brand: { literal: 'Shop' } },
      },
      { accessKeyId: 'AK1', accessKeySecret: 'SK1' },
      { fetch, now: () => NOW, nonce: () => 'nonce-1' },
    );
    // Aliyun names a message by BizId and number (a batch's numbers share the BizId).
    expect(await a.send(sms, never)).toEqual({
      kind: 'accepted',
      providerMessageId: '900619746936498440^0:13812345678',
    });
    const q = new URL(vendor.requests[0]!.url, vendor.url).searchParams;
    expect(q.get('Action')).toBe('SendSms');
    expect(q.get('PhoneNumbers')).toBe('13812345678');
    expect(q.get('SignName')).toBe('Rekindle');
    expect(q.get('OutId')).toBe('c1:r1:s1:u42');
    expect(JSON.parse(q.get('TemplateParam')!)).toEqual({
      content: 'Your coupon awaits',
      uid: 'u42',
      brand: 'Shop',
    });
    expect(q.get('Timestamp')).toBe('2026-11-20T03:30:00Z');
    // The vendor's check: recompute over every parameter but the signature.
    const params = Object.fromEntries([...q.entries()].filter(([k]) => k !== 'Signature'));
    expect(q.get('Signature')).toBe(aliyunSignature(params, 'SK1'));
    answer = { Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: `invalid mobile ${PHONE}` };
    const bad = await a.send(sms, never);
    expect(bad).toMatchObject({ retry: 'never', code: 'vendor_isv.MOBILE_NUMBER_ILLEGAL' });
    expect(JSON.stringify(bad)).not.toContain('13812345678');
    await vendor.close();
    expect(classifyAliyun(200, JSON.stringify({ Code: 'isv.AMOUNT_NOT_ENOUGH' }))).toMatchObject({
      retry: 'next_provider',
    });
    expect(classifyAliyun(200, JSON.stringify({ Code: 'isp.SYSTEM_ERROR' }))).toMatchObject({
      retry: 'same_provider',
    });
    expect(classifyAliyun(502, 'bad gateway')).toMatchObject({ retry: 'same_provider' });
  });
});

describe('Tencent Cloud SMS SendSms', () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const h = (k: Buffer | string, s: string) => createHmac('sha256', k).update(s).digest();

  it('sends a TC3-HMAC-SHA256 signed JSON body that the vendor check accepts', async () => {
    let answer: unknown = {
      Response: {
        SendStatusSet: [{ SerialNo: '2028:abc', Code: 'Ok', Message: 'send success' }],
        RequestId: 'r',
      },
    };
    const vendor = await startFakeVendor((r, res) => {
      // Tencent's server-side check, written out from the documentation.
      const ts = Number(r.headers['x-tc-timestamp']);
      const date = new Date(ts * 1000).toISOString().slice(0, 10);
      const canonical = `POST\n/\n\ncontent-type:${String(r.headers['content-type'])}\nhost:${String(r.headers.host)}\n\ncontent-type;host\n${sha(r.body)}`;
      const toSign = `TC3-HMAC-SHA256\n${ts}\n${date}/sms/tc3_request\n${sha(canonical)}`;
      const key = h(h(h('TC3SK2', date), 'sms'), 'tc3_request');
      const expected = `TC3-HMAC-SHA256 Credential=AK2/${date}/sms/tc3_request, SignedHeaders=content-type;host, Signature=${createHmac('sha256', key).update(toSign).digest('hex')}`;
      if (r.headers.authorization !== expected)
        return json(res, 200, {
          Response: { Error: { Code: 'AuthFailure.SignatureFailure', Message: 'bad' } },
        });
      json(res, 200, answer);
    });
    const a = tencentSmsAdapter(
      'p-tc',
      {
        endpoint: `${vendor.url}/`,
        smsSdkAppId: '1400000001',
        templateId: '449739',
        templateParams: ['text', { literal: '5' }],
      },
      { secretId: 'AK2', secretKey: 'SK2' },
      { fetch, now: () => NOW },
    );
    expect(await a.send(sms, never)).toEqual({ kind: 'accepted', providerMessageId: '2028:abc' });
    const r = vendor.requests[0]!;
    expect(r.headers['x-tc-action']).toBe('SendSms');
    expect(JSON.parse(r.body)).toEqual({
      PhoneNumberSet: [PHONE],
      SmsSdkAppId: '1400000001',
      SignName: 'Rekindle',
      TemplateId: '449739',
      TemplateParamSet: ['Your coupon awaits', '5'],
      SessionContext: 'c1:r1:s1:u42',
    });
    answer = {
      Response: {
        SendStatusSet: [{ Code: 'InvalidParameterValue.IncorrectPhoneNumber', Message: `bad ${PHONE}` }],
      },
    };
    const bad = await a.send(sms, never);
    expect(bad).toMatchObject({ retry: 'never' });
    expect(JSON.stringify(bad)).not.toContain('13812345678');
    const forged = tencentSmsAdapter(
      'p-tc',
      { endpoint: `${vendor.url}/`, smsSdkAppId: '1', templateId: '2', templateParams: [] },
      { secretId: 'AK2', secretKey: 'wrong' },
      { fetch, now: () => NOW },
    );
    expect(await forged.send(sms, never)).toMatchObject({
      retry: 'next_provider',
      code: 'vendor_AuthFailure.SignatureFailure',
    });
    await vendor.close();
    expect(
      classifyTencent(200, JSON.stringify({ Response: { Error: { Code: 'InternalError.Timeout' } } })),
    ).toMatchObject({ retry: 'same_provider' });
    expect(
      classifyTencent(
        200,
        JSON.stringify({ Response: { Error: { Code: 'FailedOperation.InsufficientBalanceInSmsPackage' } } }),
      ),
    ).toMatchObject({ retry: 'next_provider' });
  });
});

describe('FCM HTTP v1', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // Where the access token is shared between workers (see test/provider-tokens.test.ts).
  let db: SqlClient;
  beforeAll(async () => {
    db = await openSqlClient({ pgliteDir: 'memory://' });
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
  });

  it('exchanges a service-account JWT for a token once, sends, and maps UNREGISTERED to never', async () => {
    let sendAnswer: [number, unknown] = [200, { name: 'projects/demo/messages/0:123' }];
    const vendor = await startFakeVendor((r, res) => {
      if (r.url === '/token') {
        const assertion = new URLSearchParams(r.body).get('assertion') ?? '';
        const [head, claims, sig] = assertion.split('.');
        const ok = createVerify('RSA-SHA256')
          .update(`${head}.${claims}`)
          .verify(publicKey, Buffer.from(sig ?? '', 'base64url'));
        const c = JSON.parse(Buffer.from(claims ?? '', 'base64url').toString()) as Record<string, unknown>;
        if (!ok || c['iss'] !== 'sa@demo.iam.gserviceaccount.com' || c['aud'] !== `${vendor.url}/token`)
          return json(res, 400, { error: 'invalid_grant' });
        return json(res, 200, { access_token: 'ya29.token', expires_in: 3600 });
      }
      if (r.headers.authorization !== 'Bearer ya29.token') return json(res, 401, {});
      json(res, sendAnswer[0], sendAnswer[1]);
    });
    const a = fcmAdapter(
      'p-fcm',
      { projectId: 'demo', tokenUrl: `${vendor.url}/token`, apiBaseUrl: vendor.url },
      { clientEmail: 'sa@demo.iam.gserviceaccount.com', privateKey: pem },
      { db, fetch, now: () => NOW },
    );
    const push = message({ channel: 'push', title: 'Hi', body: 'Back?', landingUrl: 'myapp://coupon/1' });
    expect(await a.send(push, never)).toEqual({
      kind: 'accepted',
      providerMessageId: 'projects/demo/messages/0:123',
    });
    expect(await a.send(push, never)).toMatchObject({ kind: 'accepted' });
    expect(vendor.requests.filter((r) => r.url === '/token')).toHaveLength(1);
    const sent = vendor.requests.find((r) => r.url === '/v1/projects/demo/messages:send')!;
    expect(JSON.parse(sent.body)).toEqual({
      message: {
        token: 'tok-1',
        notification: { title: 'Hi', body: 'Back?' },
        data: { landing_url: 'myapp://coupon/1', idempotency_key: 'c1:r1:s1:u42' },
      },
    });
    sendAnswer = [
      404,
      {
        error: {
          status: 'NOT_FOUND',
          message: 'Requested entity was not found.',
          details: [{ errorCode: 'UNREGISTERED' }],
        },
      },
    ];
    expect(await a.send(push, never)).toMatchObject({ retry: 'never', code: 'vendor_UNREGISTERED' });
    await vendor.close();
    expect(
      classifyFcm(
        429,
        JSON.stringify({
          error: { status: 'RESOURCE_EXHAUSTED', details: [{ errorCode: 'QUOTA_EXCEEDED' }] },
        }),
        120_000,
      ),
    ).toMatchObject({ retry: 'same_provider', retryAfterMs: 120_000 });
    expect(classifyFcm(503, '')).toMatchObject({ retry: 'same_provider' });
  });
});
