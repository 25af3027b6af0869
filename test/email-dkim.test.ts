import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../src/core/delivery/message.ts';
import { dkimKeyProblem, smtpAdapter } from '../src/delivery/providers/adapters/smtp.ts';
import { outgoingMessage } from './support/outgoing-message.ts';

/**
 * DKIM signing in the SMTP adapter: a real SMTP server captures the bytes the adapter sent, and
 * a real verifier (mailauth) checks them against the public key, which a local resolver answers
 * for `<selector>._domainkey.<domain>` (nothing reaches the network).
 */

const DOMAIN = 'shop.example.com';
const SELECTOR = 'rk2026';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicTxt = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
const never = new AbortController().signal;

const lookups: string[] = [];
/** DNS as the verifier sees it: the one key record, NXDOMAIN for anything else. */
const resolver = async (name: string, rrtype: string): Promise<string[][]> => {
  lookups.push(`${rrtype} ${name}`);
  if (rrtype === 'TXT' && name === `${SELECTOR}._domainkey.${DOMAIN}`) return [[publicTxt]];
  throw Object.assign(new Error(`no ${rrtype} record for ${name}`), { code: 'ENOTFOUND' });
};
const verify = async (raw: Buffer) => (await dkimVerify(raw, { resolver })).results;

const email: OutgoingMessage = outgoingMessage(
  {
    channel: 'email',
    subject: '我们想你了, Ann',
    html: '<p>回来看看: <a href="https://r.example.com/l/x1">shop</a></p>',
    text: '回来看看: https://r.example.com/l/x1',
    fromName: 'Shop',
  },
  { recipient: { email: 'ann@example.com' }, unsubscribeUrl: 'https://r.example.com/u/abc.def' },
);

describe('DKIM signing of e-mail (RFC 6376, RFC 8058 §3.1)', () => {
  const received: Buffer[] = [];
  let server: SMTPServer;
  let port = 0;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push(Buffer.concat(chunks));
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const cfg = () => ({ host: '127.0.0.1', port, secure: false, from: `news@${DOMAIN}` });
  const dkim = { domainName: DOMAIN, keySelector: SELECTOR, privateKey: privatePem };

  /** Sends one message through a fresh adapter; returns the bytes the server received. */
  const sendOne = async (secrets: Parameters<typeof smtpAdapter>[2], m = email) => {
    const before = received.length;
    const a = smtpAdapter('p-smtp', cfg(), secrets);
    const out = await a.send(m, never);
    await a.close?.();
    return { out, raw: received.length > before ? received[received.length - 1] : undefined };
  };

  it('signs every message so that a verifier passes it, From … Message-ID and both unsubscribe headers covered', async () => {
    const { out, raw } = await sendOne({ dkim });
    expect(out).toMatchObject({ kind: 'accepted' });
    expect(raw).toBeDefined();
    const results = await verify(raw!);
    expect(results).toHaveLength(1);
    // mailauth 4's typings lack `algo` and `signingHeaders`, which its verifier returns.
    const r = results[0]! as (typeof results)[number] & { algo?: string; signingHeaders?: { keys?: string } };
    expect(r.status.result, JSON.stringify(r.status)).toBe('pass');
    expect(r.signingDomain).toBe(DOMAIN);
    expect(r.selector).toBe(SELECTOR);
    expect(r.algo).toBe('rsa-sha256');
    const signed = (r.signingHeaders?.keys ?? '').toLowerCase().split(': ').join(':').split(':');
    for (const h of [
      'from',
      'to',
      'subject',
      'date',
      'message-id',
      'list-unsubscribe',
      'list-unsubscribe-post',
    ])
      expect(signed, h).toContain(h);
    // The key was looked up where the signature says, and nowhere else.
    expect(lookups).toContain(`TXT ${SELECTOR}._domainkey.${DOMAIN}`);
    expect(lookups.every((l) => l === `TXT ${SELECTOR}._domainkey.${DOMAIN}`)).toBe(true);
  });

  it('fails verification once List-Unsubscribe or List-Unsubscribe-Post is altered on the way', async () => {
    const { raw } = await sendOne({ dkim });
    const text = raw!.toString('latin1');
    expect(text).toMatch(/^List-Unsubscribe: <https:\/\/r\.example\.com\/u\/abc\.def>\r$/m);
    const tampered = Buffer.from(
      text.replace('https://r.example.com/u/abc.def', 'https://evil.example.net/u/abc.def'),
      'latin1',
    );
    expect((await verify(tampered))[0]?.status.result).toBe('fail');
    const noOneClick = Buffer.from(
      text.replace('List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'List-Unsubscribe-Post: nothing'),
      'latin1',
    );
    expect((await verify(noOneClick))[0]?.status.result).toBe('fail');
    // The same bytes untouched still pass: the failures come from the edits alone.
    expect((await verify(raw!))[0]?.status.result).toBe('pass');
  });

  it('transactional mail (no unsubscribe headers) is signed too', async () => {
    const { raw } = await sendOne({ dkim }, { ...email, class: 'transactional', unsubscribeUrl: undefined });
    const [r] = await verify(raw!);
    expect(r?.status.result).toBe('pass');
    expect(raw!.toString('latin1')).not.toMatch(/^List-Unsubscribe/m);
  });

  it('without a DKIM key nothing is signed', async () => {
    const { out, raw } = await sendOne({});
    expect(out).toMatchObject({ kind: 'accepted' });
    expect(raw!.toString('latin1')).not.toMatch(/^DKIM-Signature:/im);
  });

  it('a key that cannot sign sends nothing (never unsigned mail) and names the problem', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(dkimKeyProblem({ ...dkim, privateKey: ec })).toMatch(/RSA key is needed/);
    const garbled = privatePem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!');
    expect(dkimKeyProblem({ ...dkim, privateKey: garbled })).toMatch(/not a readable PEM/);
    expect(dkimKeyProblem(dkim)).toBeNull();
    const { out, raw } = await sendOne({ dkim: { ...dkim, privateKey: ec } });
    expect(out).toMatchObject({ kind: 'failed', retry: 'next_provider', code: 'dkim_key_invalid' });
    expect(raw).toBeUndefined();
  });
});
