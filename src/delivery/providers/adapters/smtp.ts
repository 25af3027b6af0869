import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { ChannelAdapter, OutgoingMessage, SendOutcome } from '../../../core/delivery/message.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { failed, type Failed } from './http-outcome.ts';

/**
 * E-mail over SMTP with a pooled nodemailer transport. Marketing mail carries RFC 8058 one-click
 * unsubscribe headers; the `Message-ID` is derived from the idempotency key, so a retried send is
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

const AUTH_CODES = new Set([530, 534, 535, 538]);
const REFUSED = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN/;

/** What a nodemailer error says about the message (SMTP reply codes, RFC 5321 §4.2.1). */
export const classifySmtpError = (e: unknown): Failed => {
  const err = e as { code?: unknown; responseCode?: unknown; message?: unknown };
  const reply = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const code = typeof err.code === 'string' ? err.code : 'error';
  if (reply !== undefined) {
    if (AUTH_CODES.has(reply) || code === 'EAUTH')
      return failed('next_provider', `smtp_${reply}`, 'the SMTP server refused our credentials');
    if (reply >= 500)
      return failed('never', `smtp_${reply}`, `the SMTP server rejected the message permanently (${reply})`);
    if (reply >= 400)
      return failed('same_provider', `smtp_${reply}`, `the SMTP server deferred the message (${reply})`);
  }
  if (code === 'EAUTH')
    return failed('next_provider', 'smtp_auth', 'the SMTP server refused our credentials');
  if (
    REFUSED.test(String(err.message ?? '')) ||
    (code === 'ECONNECTION' && !/timeout/i.test(String(err.message)))
  )
    return failed('next_provider', 'connect_failed', 'could not connect to the SMTP server');
  return failed('same_provider', `smtp_${code.toLowerCase()}`, 'the SMTP conversation broke off');
};

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
  });
  return {
    providerId,
    channel: 'email',
    send: async (m): Promise<SendOutcome> => {
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
