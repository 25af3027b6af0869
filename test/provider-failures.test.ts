import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY } from '../src/core/delivery/backoff.ts';
import { decide, type DeliveryState } from '../src/core/delivery/decide.ts';
import type { OutgoingMessage, SendOutcome } from '../src/core/delivery/message.ts';
import { classifyFcm, FCM_FAILURES, type FcmRow } from '../src/delivery/providers/adapters/fcm-failures.ts';
import {
  ALIYUN_FAILURES,
  classifyAliyun,
  type AliyunRow,
} from '../src/delivery/providers/adapters/sms-aliyun-failures.ts';
import {
  classifyTencent,
  TENCENT_FAILURES,
  type TencentRow,
} from '../src/delivery/providers/adapters/sms-tencent-failures.ts';
import { smtpAdapter } from '../src/delivery/providers/adapters/smtp.ts';
import {
  classifySmtpError,
  parseSmtpReply,
  SMTP_FAILURES,
  type SmtpRow,
} from '../src/delivery/providers/adapters/smtp-failures.ts';
import type { FailureRow } from '../src/delivery/providers/adapters/failure-table.ts';
import { outgoingMessage } from './support/outgoing-message.ts';

/**
 * Each adapter's failure table, row by row: the vendor's answer as its documentation shows it
 * (HTTP status and body, or an SMTP server's reply through nodemailer) classified as the row says.
 */

const HOUR = 3_600_000;

/** What a row promises: the decision, the wait it carries, the address to forget. */
const expectRow = (out: SendOutcome, row: FailureRow, retryAfter?: number) => {
  expect(out).toMatchObject({ kind: 'failed', retry: row.retry });
  if (out.kind !== 'failed') return;
  if (row.retry === 'later') expect(out.retryAfterMs).toBe(row.waitMs);
  else if (row.waitMs !== undefined || retryAfter !== undefined)
    expect(out.retryAfterMs).toBe(Math.max(row.waitMs ?? 0, retryAfter ?? 0));
  else expect(out.retryAfterMs).toBeUndefined();
  expect(out.forgetAddress).toBe(row.forgetAddress);
};

const label = (r: FailureRow & { message?: string }) => `${r.code}${r.message ? ` (${r.message})` : ''}`;

describe('Aliyun Dysms SendSms failures', () => {
  /** Dysms answers `{RequestId, Code, Message}`; gateway errors add HostId and Recommend. */
  const answer = (r: AliyunRow) =>
    JSON.stringify({
      RequestId: 'F655A8D5-B967-440B-8683-DAD6FF8DE990',
      Code: r.code,
      Message: r.message,
      ...(r.status === 200
        ? {}
        : { HostId: 'dysmsapi.aliyuncs.com', Recommend: 'https://api.aliyun.com/troubleshoot' }),
    });

  it.each(ALIYUN_FAILURES.map((r) => [label(r), r] as const))('%s', (_name, row) => {
    const out = classifyAliyun(row.status, answer(row));
    expectRow(out, row);
    expect(out).toMatchObject({ code: `vendor_${row.code}` });
  });

  it('no row shadows another: one code has several rows only when its Message tells them apart', () => {
    ALIYUN_FAILURES.forEach((r, i) => {
      const later = ALIYUN_FAILURES.slice(i + 1).some((o) => o.code === r.code);
      if (later) expect(r.when, r.message).toBeDefined();
    });
  });

  it('the daily cap fails over; per-number limits wait out the window they name; throttling waits', () => {
    const of = (Code: string, Message: string, status = 200) =>
      classifyAliyun(status, JSON.stringify({ RequestId: 'r', Code, Message }));
    expect(of('isv.DAY_LIMIT_CONTROL', '触发日发送限额')).toMatchObject({ retry: 'next_provider' });
    expect(of('isv.BUSINESS_LIMIT_CONTROL', '触发分钟级流控Permits:1')).toMatchObject({
      retry: 'later',
      retryAfterMs: 60_000,
    });
    expect(of('isv.BUSINESS_LIMIT_CONTROL', '触发小时级流控Permits:5')).toMatchObject({
      retry: 'later',
      retryAfterMs: HOUR,
    });
    expect(of('isv.BUSINESS_LIMIT_CONTROL', '触发天级流控Permits:10')).toMatchObject({
      retry: 'later',
      retryAfterMs: 24 * HOUR,
    });
    expect(of('isv.BUSINESS_LIMIT_CONTROL', 'something new')).toMatchObject({
      retry: 'later',
      retryAfterMs: HOUR,
    });
    expect(of('Throttling.User', 'Request was denied due to user flow control.', 400)).toMatchObject({
      retry: 'same_provider',
      retryAfterMs: 10_000,
    });
    // Undocumented: a server error is transient, anything else is this provider's problem.
    expect(classifyAliyun(502, '<html>bad gateway</html>')).toMatchObject({ retry: 'same_provider' });
    expect(of('isv.SOMETHING_NEW', 'x')).toMatchObject({ retry: 'next_provider' });
  });
});

describe('Tencent Cloud SMS SendSms failures', () => {
  /** Always HTTP 200: a request-level error in `Response.Error`, a per-number one in its status. */
  const answer = (r: TencentRow) =>
    JSON.stringify({
      Response:
        r.in === 'Error'
          ? { Error: { Code: r.code, Message: r.message }, RequestId: 'a0aabda6-cf91-4f3e-a81f-9198114a2279' }
          : {
              SendStatusSet: [
                {
                  SerialNo: '',
                  PhoneNumber: '+8613812345678',
                  Fee: 0,
                  SessionContext: 'c1:r1:s1:u42',
                  Code: r.code,
                  Message: r.message,
                  IsoCode: 'CN',
                },
              ],
              RequestId: 'a0aabda6-cf91-4f3e-a81f-9198114a2279',
            },
    });

  it.each(TENCENT_FAILURES.map((r) => [label(r), r] as const))('%s', (_name, row) => {
    const out = classifyTencent(200, answer(row));
    expectRow(out, row);
    expect(out).toMatchObject({ code: `vendor_${row.code}` });
  });

  it('no row shadows another', () => {
    expect(new Set(TENCENT_FAILURES.map((r) => r.code)).size).toBe(TENCENT_FAILURES.length);
  });

  it('per-number limits are deferred past their window, never dead; a sub-code takes its family row', () => {
    const status = (Code: string) =>
      classifyTencent(200, JSON.stringify({ Response: { SendStatusSet: [{ Code, Message: 'm' }] } }));
    expect(status('LimitExceeded.PhoneNumberThirtySecondLimit')).toMatchObject({
      retry: 'later',
      retryAfterMs: 30_000,
    });
    expect(status('LimitExceeded.PhoneNumberOneHourLimit')).toMatchObject({
      retry: 'later',
      retryAfterMs: HOUR,
    });
    expect(status('LimitExceeded.PhoneNumberDailyLimit')).toMatchObject({
      retry: 'later',
      retryAfterMs: 24 * HOUR,
    });
    const error = (Code: string) =>
      classifyTencent(200, JSON.stringify({ Response: { Error: { Code, Message: 'm' } } }));
    expect(error('RequestLimitExceeded.UinLimitExceeded')).toMatchObject({
      retry: 'same_provider',
      retryAfterMs: 10_000,
    });
    expect(error('InternalError.OtherError')).toMatchObject({ retry: 'same_provider' });
    expect(error('FailedOperation.InsufficientBalanceInSmsPackage')).toMatchObject({
      retry: 'next_provider',
    });
    expect(error('InvalidParameterValue.IncorrectPhoneNumber')).toMatchObject({ retry: 'never' });
  });
});

describe('FCM HTTP v1 failures', () => {
  /** The documented error shape; an FcmError detail only where FCM sends one. */
  const answer = (r: FcmRow) =>
    JSON.stringify({
      error: {
        code: r.status,
        message: r.meaning,
        status: r.rpcStatus,
        ...(r.by === 'errorCode'
          ? {
              details: [
                { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: r.code },
              ],
            }
          : {}),
      },
    });

  it.each(FCM_FAILURES.map((r) => [label(r), r] as const))('%s', (_name, row) => {
    const out = classifyFcm(row.status, answer(row));
    expectRow(out, row);
    expect(out).toMatchObject({ code: `vendor_${row.code}` });
    // With a Retry-After the provider asked for, a retried row waits at least that long.
    if (row.retry === 'same_provider') expectRow(classifyFcm(row.status, answer(row), 300_000), row, 300_000);
  });

  it('no row shadows another', () => {
    expect(new Set(FCM_FAILURES.map((r) => `${r.by}:${r.code}`)).size).toBe(FCM_FAILURES.length);
  });

  it('THIRD_PARTY_AUTH_ERROR fails over; UNREGISTERED forgets the token; quota waits a minute or Retry-After', () => {
    const fcm = (status: number, rpc: string, errorCode: string, retryAfter?: number) =>
      classifyFcm(
        status,
        JSON.stringify({
          error: {
            code: status,
            message: 'm',
            status: rpc,
            details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }],
          },
        }),
        retryAfter,
      );
    expect(fcm(401, 'UNAUTHENTICATED', 'THIRD_PARTY_AUTH_ERROR')).toMatchObject({ retry: 'next_provider' });
    expect(fcm(404, 'NOT_FOUND', 'UNREGISTERED')).toMatchObject({
      retry: 'never',
      forgetAddress: 'push_token',
    });
    expect(fcm(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT')).not.toHaveProperty('forgetAddress');
    expect(fcm(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED')).toMatchObject({ retryAfterMs: 60_000 });
    expect(fcm(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED', 90_000)).toMatchObject({ retryAfterMs: 90_000 });
    expect(fcm(503, 'UNAVAILABLE', 'UNAVAILABLE', 5_000)).toMatchObject({
      retry: 'same_provider',
      retryAfterMs: 5_000,
    });
    expect(classifyFcm(200, '{"name":"projects/demo/messages/0:1"}')).toEqual({
      kind: 'accepted',
      providerMessageId: 'projects/demo/messages/0:1',
    });
    expect(classifyFcm(502, 'bad gateway')).toMatchObject({ retry: 'same_provider' });
  });
});

describe('SMTP failures, as a server says them through nodemailer', () => {
  let current: SmtpRow | undefined;
  let server: SMTPServer;
  let port = 0;
  /** The row's reply line as the error smtp-server turns into it (`<code> <text>`). */
  const refusal = (r: SmtpRow) => {
    const [code, ...text] = r.code.split(' ');
    return Object.assign(new Error(text.join(' ')), { responseCode: Number(code) });
  };
  const at = (stage: SmtpRow['stage']) => (current?.stage === stage ? refusal(current) : undefined);

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onConnect: (_s: SMTPServerSession, cb) => cb(at('CONNECT')),
      onAuth: (auth, _s, cb) => {
        const no = at('AUTH');
        if (no) cb(no);
        else cb(null, { user: auth.username });
      },
      onMailFrom: (_a, _s, cb) => cb(at('MAIL')),
      onRcptTo: (_a, _s, cb) => cb(at('RCPT')),
      onData: (stream, _s, cb) => {
        stream.on('data', () => undefined);
        stream.on('end', () => cb(at('DATA') ?? null));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const email: OutgoingMessage = outgoingMessage(
    { channel: 'email', subject: 'Hi', html: '<p>Hi</p>', text: 'Hi' },
    { class: 'transactional', recipient: { email: 'ann@example.com' } },
  );

  const sendThrough = async (row: SmtpRow): Promise<SendOutcome> => {
    current = row;
    const a = smtpAdapter(
      'p-smtp',
      { host: '127.0.0.1', port, secure: false, from: 'news@shop.example.com' },
      { username: 'mailer', password: 's3cret' },
    );
    try {
      return await a.send(email, new AbortController().signal);
    } finally {
      current = undefined;
      await a.close?.();
    }
  };

  it.each(SMTP_FAILURES.map((r) => [`${r.stage}: ${r.code}`, r] as const))('%s', async (_name, row) => {
    const out = await sendThrough(row);
    expectRow(out, row);
    const reply = parseSmtpReply(row.code);
    expect(out).toMatchObject({
      code: `smtp_${reply?.reply}${reply?.enhanced ? `_${reply.enhanced}` : ''}`,
      // The row that decided is this one, and the server's text is kept without the address.
      reason: expect.stringMatching(new RegExp(`^${row.meaning.replace(/[()]/g, '\\$&')}`)),
    });
    expect(JSON.stringify(out)).not.toContain('ann@example.com');
  });

  it('a message the server accepts is sent', async () => {
    const a = smtpAdapter(
      'p-smtp',
      { host: '127.0.0.1', port, secure: false, from: 'news@shop.example.com' },
      {},
    );
    expect(await a.send(email, new AbortController().signal)).toMatchObject({ kind: 'accepted' });
    await a.close?.();
  });

  it('parses reply and enhanced codes; relay denied fails over, an unknown mailbox is dead', () => {
    expect(parseSmtpReply('554 5.7.1 <a@b>: Relay access denied')).toEqual({ reply: 554, enhanced: '5.7.1' });
    expect(parseSmtpReply('550-5.1.1 The email account that you tried to reach does not exist.')).toEqual({
      reply: 550,
      enhanced: '5.1.1',
    });
    expect(parseSmtpReply('421 Service not available')).toEqual({ reply: 421 });
    const err = (response: string, command = 'RCPT TO') =>
      classifySmtpError({ code: 'EENVELOPE', response, responseCode: Number(response.slice(0, 3)), command });
    expect(err('554 5.7.1 <a@b>: Relay access denied')).toMatchObject({ retry: 'next_provider' });
    expect(err('550 5.1.1 <a@b>: User unknown')).toMatchObject({ retry: 'never' });
    expect(err('452 4.2.2 Mailbox full')).toMatchObject({ retry: 'later', retryAfterMs: 6 * HOUR });
    expect(err('550 5.1.8 Sender address rejected: Domain not found', 'MAIL FROM')).toMatchObject({
      retry: 'next_provider',
    });
    expect(err('450 4.2.0 Greylisted, try again', 'RCPT TO')).toMatchObject({ retry: 'same_provider' });
    expect(classifySmtpError({ code: 'ETIMEDOUT', message: 'Timeout' })).toMatchObject({
      retry: 'same_provider',
    });
    expect(classifySmtpError({ code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:1' })).toMatchObject(
      {
        retry: 'next_provider',
        code: 'connect_failed',
      },
    );
  });
});

describe("decide: a provider's 'later'", () => {
  const T = Date.UTC(2026, 11, 6, 12, 0, 0);
  const state = (over: Partial<DeliveryState> = {}): DeliveryState => ({
    idempotencyKey: 'k',
    attempts: 0,
    providerId: 'p1',
    pinned: false,
    dueAt: T,
    ...over,
  });
  const later = (retryAfterMs?: number): SendOutcome => ({
    kind: 'failed',
    retry: 'later',
    code: 'vendor_LimitExceeded.PhoneNumberOneHourLimit',
    reason: 'tencent: 单个手机号1小时内下发短信条数超过设定的上限',
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
  const policy = DEFAULT_RETRY_POLICY;

  it('waits out the window on the same provider, uncapped by maxDelayMs, and uses no attempt', () => {
    const d = decide(state({ attempts: 3 }), 'p1', later(HOUR), ['p1', 'p2'], policy, T);
    expect(HOUR).toBeGreaterThan(policy.maxDelayMs);
    expect(d).toMatchObject({ kind: 'retry', providerId: 'p1', pinned: false, at: T + HOUR, attempts: 3 });
    if (d.kind === 'retry') {
      expect(d.error).toContain('vendor_LimitExceeded.PhoneNumberOneHourLimit');
      expect(d.error).toContain('tried again at 2026-12-06T13:00:00.000Z');
      expect(d.error).toContain('not counted as an attempt');
    }
    // A pinned message stays pinned: only its provider may have it.
    expect(decide(state({ pinned: true }), 'p1', later(HOUR), ['p1', 'p2'], policy, T)).toMatchObject({
      pinned: true,
      providerId: 'p1',
    });
    // Without a window: an hour.
    expect(decide(state(), 'p1', later(), ['p1'], policy, T)).toMatchObject({ at: T + HOUR });
  });

  it('is never killed by the attempt limit, however often it comes', () => {
    let s = state({ attempts: policy.maxAttempts - 1 });
    let now = T;
    for (let i = 0; i < 20; i++) {
      const d = decide(s, 'p1', later(60_000), ['p1'], policy, now);
      expect(d.kind).toBe('retry');
      if (d.kind !== 'retry') return;
      s = { ...s, attempts: d.attempts, providerId: d.providerId, pinned: d.pinned };
      now = d.at;
    }
    expect(s.attempts).toBe(policy.maxAttempts - 1);
    // The same per-number answer as a same_provider failure would have killed it at once.
    expect(
      decide(s, 'p1', { ...later(60_000), retry: 'same_provider' } as SendOutcome, ['p1'], policy, now),
    ).toMatchObject({ kind: 'dead', reason: 'max_attempts' });
  });

  it('past the planned send time + 72 h it dies deferred_too_long, saying when it would have gone', () => {
    const now = T + 71 * HOUR;
    expect(decide(state(), 'p1', later(HOUR), ['p1'], policy, now)).toMatchObject({
      kind: 'retry',
      at: T + 72 * HOUR,
    });
    const d = decide(state({ attempts: 2 }), 'p1', later(24 * HOUR), ['p1'], policy, now);
    expect(d).toMatchObject({ kind: 'dead', reason: 'deferred_too_long', attempts: 2 });
    if (d.kind === 'dead') {
      expect(d.error).toContain('would take it only at 2026-12-10T11:00:00.000Z');
      expect(d.error).toContain('2026-12-09T12:00:00.000Z (planned send time + 72 h)');
    }
    // A shorter bound from the policy.
    expect(decide(state(), 'p1', later(2 * HOUR), ['p1'], { ...policy, maxDeferMs: HOUR }, T)).toMatchObject({
      kind: 'dead',
      reason: 'deferred_too_long',
    });
  });
});
