import { createHash, createPrivateKey } from 'node:crypto';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { ChannelAdapter, OutgoingMessage, SendOutcome } from '../../../core/delivery/message.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { failed, type Failed } from './http-outcome.ts';

/**
 * E-mail over SMTP with a pooled nodemailer transport. Marketing mail carries RFC 8058 one-click
 * unsubscribe headers; with a DKIM key in the provider's secrets every message is signed, those
 * headers included. The `Message-ID` is derived from the idempotency key, so a retried send is
 * recognisably the same message (and receipts / bounces can be matched back).
 */

/** `<hash of key>@<sender domain>`: stable per planned message, reveals nothing about the user. */
export const messageIdFor = (idempotencyKey: string, from: string): string => {
  const domain = from.split('@')[1] ?? 'rekindle.local';
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`;
};

export const smtpMail = (cfg: ConfigOf<'smtp'>, m: OutgoingMessage): Mail.Options | Failed => {
  if (m.content.channel !== 'email')
    return failed('never', 'wrong_channel', `an email provider got ${m.content.channel} content`);
  const to = m.recipient.email;
  if (!to) return failed('never', 'no_address', 'the user has no e-mail address');
  const headers: Record<string, string> = {};
  if (m.class === 'marketing') {
    if (!m.unsubscribeUrl)
      return failed('never', 'no_unsubscribe_url', 'a marketing e-mail needs an unsubscribe URL');
    headers['List-Unsubscribe'] = `<${m.unsubscribeUrl}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  return {
    from: m.content.fromName ? { name: m.content.fromName, address: cfg.from } : cfg.from,
    to,
    ...(cfg.replyTo ? { replyTo: cfg.replyTo } : {}),
    subject: m.content.subject,
    html: m.content.html,
    // nodemailer leaves the text part out when absent; the content engine normally fills it.
    ...(m.content.text === undefined ? {} : { text: m.content.text }),
    messageId: messageIdFor(m.idempotencyKey, cfg.from),
    headers,
  };
};

import { classifySmtpError } from './smtp-failures.ts';

/**
 * The header fields every DKIM signature covers, when present: RFC 8058 §3.1 makes one-click
 * unsubscribe valid only if both `List-Unsubscribe` and `List-Unsubscribe-Post` are signed.
 */
export const DKIM_SIGNED_HEADERS = [
  'From',
  'Sender',
  'Reply-To',
  'To',
  'Cc',
  'Subject',
  'Date',
  'Message-ID',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
].join(':');

type Dkim = NonNullable<SecretsOf<'smtp'>['dkim']>;

/**
 * Why this DKIM key cannot sign (null: it can). nodemailer sends a message unsigned when its key
 * fails to sign, so a bad key is caught here instead of in receivers' spam folders.
 */
export const dkimKeyProblem = (dkim: Dkim): string | null => {
  try {
    const key = createPrivateKey(dkim.privateKey);
    return key.asymmetricKeyType === 'rsa' ? null : `an RSA key is needed, not ${key.asymmetricKeyType}`;
  } catch {
    return 'not a readable PEM private key';
  }
};

/** nodemailer's DKIM options for the provider's key (rsa-sha256, relaxed/relaxed). */
export const dkimOptions = (dkim: Dkim) => ({
  domainName: dkim.domainName,
  keySelector: dkim.keySelector,
  privateKey: dkim.privateKey,
  headerFieldNames: DKIM_SIGNED_HEADERS,
});

export const smtpAdapter = (
  providerId: string,
  cfg: ConfigOf<'smtp'>,
  secrets: SecretsOf<'smtp'>,
): ChannelAdapter => {
  const transport = nodemailer.createTransport({
    pool: true,
    host: cfg.host,
    port: cfg.port,
    secure: cfg.secure,
    maxConnections: cfg.maxConnections ?? 5,
    connectionTimeout: 15_000,
    socketTimeout: 30_000,
    ...(secrets.username ? { auth: { user: secrets.username, pass: secrets.password ?? '' } } : {}),
    // Every message is signed with the provider's key (RFC 6376), unsubscribe headers included.
    ...(secrets.dkim ? { dkim: dkimOptions(secrets.dkim) } : {}),
  });
  const badKey = secrets.dkim ? dkimKeyProblem(secrets.dkim) : null;
  return {
    providerId,
    channel: 'email',
    send: async (m): Promise<SendOutcome> => {
      // Unsigned mail from a domain that publishes a key is what spam filters reject: never send it.
      if (badKey !== null) return failed('next_provider', 'dkim_key_invalid', `smtp: DKIM key: ${badKey}`);
      const mail = smtpMail(cfg, m);
      if ('kind' in mail) return mail;
      try {
        const info = await transport.sendMail(mail);
        return { kind: 'accepted', providerMessageId: String(info.messageId) };
      } catch (e) {
        return classifySmtpError(e);
      }
    },
    close: async () => {
      transport.close();
    },
  };
};
