import { failed, type Failed } from './http-outcome.ts';

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
