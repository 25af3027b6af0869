import { fromRow, HOUR, type FailureRow } from './failure-table.ts';
import { failed, type Failed } from './http-outcome.ts';

/**
 * What an SMTP server's refusal means for the message: the reply code (RFC 5321 §4.2) and, where
 * the server sends one, the enhanced status code (RFC 3463, `class.subject.detail`). Our SMTP
 * provider is a relay (submission server), so its refusals speak about our account as often as
 * about the recipient: a relay that will not relay for us, or refuses our credentials, is a
 * provider problem (another provider may send it); an unknown mailbox is the recipient's.
 */
export interface SmtpRow extends FailureRow {
  /** The reply line as a server sends it (Postfix, Exim, Gmail, Exchange wording). */
  code: string;
  /** The SMTP command the server refuses (the stage of the conversation). */
  stage: 'CONNECT' | 'AUTH' | 'MAIL' | 'RCPT' | 'DATA';
  /** The row applies when all the given parts match. */
  match: {
    /** The reply code, or its class (4 / 5). */
    reply?: number | readonly number[];
    replyClass?: 4 | 5;
    /** `5.7.1`, or `X.2.2` for either class. */
    enhanced?: string;
    text?: RegExp;
    /** Refused before any recipient (greeting, EHLO, AUTH, MAIL FROM): about us, not the user. */
    beforeRecipient?: true;
  };
}

/** A full mailbox empties slowly: come back in a few hours rather than burn the attempts. */
const MAILBOX_FULL_WAIT_MS = 6 * HOUR;

/** First match wins: specific enhanced codes and texts first, the reply classes last. */
export const SMTP_FAILURES: readonly SmtpRow[] = [
  {
    code: '554 5.7.1 <ann@example.com>: Relay access denied',
    stage: 'RCPT',
    match: { replyClass: 5, enhanced: '5.7.1' },
    meaning: 'delivery not authorised: the relay does not relay for us (or not to there)',
    retry: 'next_provider',
  },
  {
    code: '550 relay not permitted',
    stage: 'RCPT',
    match: { replyClass: 5, text: /relay(ing)? (access )?(denied|not permitted|prohibited)/i },
    meaning: 'relay denied, from a server without enhanced codes',
    retry: 'next_provider',
  },
  {
    code: '535 5.7.8 Error: authentication failed: authentication failure',
    stage: 'AUTH',
    match: { enhanced: '5.7.8' },
    meaning: 'our credentials are refused',
    retry: 'next_provider',
  },
  {
    code: '535 Authentication credentials invalid',
    stage: 'AUTH',
    match: { reply: 535 },
    meaning: 'our credentials are refused',
    retry: 'next_provider',
  },
  {
    code: '530 5.7.0 Authentication required',
    stage: 'MAIL',
    match: { reply: 530 },
    meaning: 'the relay wants authentication (or TLS) we did not give',
    retry: 'next_provider',
  },
  {
    code: '534 5.7.9 Authentication mechanism is too weak',
    stage: 'AUTH',
    match: { reply: 534 },
    meaning: 'the relay refuses our authentication mechanism',
    retry: 'next_provider',
  },
  {
    code: '538 5.7.11 Encryption required for requested authentication mechanism',
    stage: 'AUTH',
    match: { reply: 538 },
    meaning: 'the relay wants TLS before authentication',
    retry: 'next_provider',
  },
  {
    code: '504 5.5.4 Unrecognized authentication type',
    stage: 'AUTH',
    match: { replyClass: 5, beforeRecipient: true },
    meaning: 'refused before any recipient (our host, sender or login): this relay will not take it',
    retry: 'next_provider',
  },
  {
    code: '550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown in local recipient table',
    stage: 'RCPT',
    match: { replyClass: 5, enhanced: '5.1.1' },
    meaning: 'the mailbox does not exist',
    retry: 'never',
  },
  {
    code: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
    stage: 'RCPT',
    match: { replyClass: 5, enhanced: '5.1.10' },
    meaning: 'the recipient does not exist (null MX, RFC 7505, or not found)',
    retry: 'never',
  },
  {
    code: '550 5.1.2 <ann@example.invalid>: Recipient address rejected: Domain not found',
    stage: 'RCPT',
    match: { replyClass: 5, enhanced: '5.1.2' },
    meaning: "the recipient's domain does not exist",
    retry: 'never',
  },
  {
    code: '550 5.2.1 The email account that you tried to reach is disabled.',
    stage: 'RCPT',
    match: { replyClass: 5, enhanced: '5.2.1' },
    meaning: 'the mailbox is disabled',
    retry: 'never',
  },
  {
    code: '552 5.2.2 <ann@example.com>: Recipient address rejected: Mailbox full',
    stage: 'RCPT',
    match: { enhanced: 'X.2.2' },
    meaning: 'the mailbox is full (5.2.2, or 4.2.2 over quota): it may empty, so try again in a few hours',
    retry: 'later',
    waitMs: MAILBOX_FULL_WAIT_MS,
  },
  {
    code: '552 5.3.4 Error: message file too big',
    stage: 'DATA',
    match: { enhanced: '5.3.4' },
    meaning: 'the message is too big for the server',
    retry: 'never',
  },
  {
    code: '552 Message size exceeds fixed maximum message size',
    stage: 'DATA',
    match: { reply: 552 },
    meaning: 'exceeded storage allocation (the message is too big)',
    retry: 'never',
  },
  {
    code: '421 4.7.0 Too many concurrent SMTP connections; please try again later.',
    stage: 'CONNECT',
    match: { reply: 421 },
    meaning: 'the server is closing the connection: it did not take the message, retry later',
    retry: 'same_provider',
  },
  {
    code: '451 4.3.0 Error: queue file write error',
    stage: 'DATA',
    match: { replyClass: 4 },
    meaning: 'a temporary failure: the same server, later',
    retry: 'same_provider',
  },
  {
    code: '554 5.6.0 Transaction failed',
    stage: 'DATA',
    match: { replyClass: 5 },
    meaning: 'a permanent refusal of this message',
    retry: 'never',
  },
];

const REFUSED = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN/;

/** `554 5.7.1 <ann@example.com>: …` → reply 554, enhanced `5.7.1`. */
export const parseSmtpReply = (response: string): { reply: number; enhanced?: string } | undefined => {
  const m = /^([2-5]\d\d)[ -](?:([245])\.(\d{1,3})\.(\d{1,3})\b)?/.exec(response.trim());
  if (!m) return undefined;
  return { reply: Number(m[1]), ...(m[2] ? { enhanced: `${m[2]}.${m[3]}.${m[4]}` } : {}) };
};

/** nodemailer's `command` of the refused step; RCPT TO, DATA and the message itself come later. */
const BEFORE_RECIPIENT = /^(CONN|EHLO|HELO|LHLO|STARTTLS|AUTH|MAIL)/i;

interface Refusal {
  reply: number;
  enhanced: string | undefined;
  text: string;
  command: string;
}

const matches = (row: SmtpRow, { reply, enhanced, text, command }: Refusal): boolean => {
  const m = row.match;
  if (m.beforeRecipient && !BEFORE_RECIPIENT.test(command)) return false;
  if (m.reply !== undefined && !(typeof m.reply === 'number' ? [m.reply] : m.reply).includes(reply))
    return false;
  if (m.replyClass !== undefined && Math.floor(reply / 100) !== m.replyClass) return false;
  if (m.enhanced !== undefined) {
    if (enhanced === undefined) return false;
    const want = m.enhanced.split('.');
    const got = enhanced.split('.');
    if (want.some((w, i) => w !== 'X' && w !== got[i])) return false;
  }
  return m.text === undefined || m.text.test(text);
};

/** Addresses in a server's reply, reduced to their domain (reasons must not hold addresses). */
const maskAddresses = (text: string): string => text.replace(/[^\s<>@:;,"]+@/g, '…@');

/** What a nodemailer error says about the message. */
export const classifySmtpError = (e: unknown): Failed => {
  const err = e as {
    code?: unknown;
    responseCode?: unknown;
    response?: unknown;
    command?: unknown;
    message?: unknown;
  };
  const code = typeof err.code === 'string' ? err.code : 'error';
  const response = typeof err.response === 'string' ? err.response : '';
  const parsed = parseSmtpReply(response);
  const reply = typeof err.responseCode === 'number' ? err.responseCode : parsed?.reply;
  if (reply !== undefined && reply >= 400) {
    const enhanced = parsed?.reply === reply ? parsed.enhanced : undefined;
    const command = typeof err.command === 'string' ? err.command : '';
    const row = SMTP_FAILURES.find((r) => matches(r, { reply, enhanced, text: response, command }));
    const said = maskAddresses(response.replace(/\s+/g, ' ').trim()).slice(0, 200);
    const id = `smtp_${reply}${enhanced ? `_${enhanced}` : ''}`;
    if (row) return fromRow(row, id, `${row.meaning}${said ? ` (server: ${said})` : ''}`);
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
