import { findTextLinks } from '../links.ts';
import type { SmsContent } from '../schema.ts';
import { countSms, smsText, type SmsCount } from '../sms.ts';
import { findBlockedWords } from './blocked-words.ts';
import { charCount, IssueList } from './issues.ts';
import type { CheckOptions } from './options.ts';

/** A carrier-registered signature: 【name】 (Chinese vendors) or [name] (international). */
const BRACKETED = /^(?:【[^【】]+】|\[[^[\]]+\])$/;
const SIGNATURE_CHARS = { min: 2, max: 12 };

const squash = (s: string) => s.replace(/\s+/g, '').toLowerCase();
const isSpace = (ch: string | undefined) => ch === undefined || /\s/.test(ch);

/** The SMS rules on a rendered SMS; the count is returned for the preview. */
export const checkSms = (c: SmsContent, options: CheckOptions): { issues: IssueList; count: SmsCount } => {
  const list = new IssueList('sms');
  const { sms } = options;
  list.required('text', c.text);

  const signature = c.signature.trim();
  if (signature === '') list.error('signature', 'signature_missing', 'sms.signature is empty');
  else if (!BRACKETED.test(signature))
    list.error(
      'signature',
      'signature_unbracketed',
      `sms.signature '${signature}' must be in brackets, e.g. 【Rekindle】`,
    );
  else {
    const inner = charCount(signature) - 2;
    if (inner < SIGNATURE_CHARS.min || inner > SIGNATURE_CHARS.max)
      list.warning(
        'signature',
        'signature_length',
        `sms.signature has ${inner} characters inside the brackets; carriers accept ${SIGNATURE_CHARS.min}–${SIGNATURE_CHARS.max}`,
      );
  }

  const count = countSms(smsText(c.signature, c.text));
  if (count.segments > sms.maxSegments)
    list.error(
      'text',
      'sms_segments',
      `the SMS with its signature is ${count.units} ${count.encoding === 'GSM-7' ? 'septets' : 'characters'} (${count.encoding}, ${count.perSegment} per segment): ${count.segments} segments, at most ${sms.maxSegments}`,
    );

  for (const link of findTextLinks(c.text)) {
    const before = c.text[link.start - 1];
    const after = c.text[link.end];
    const missing = [
      isSpace(before) ? '' : `before it ('${before}')`,
      isSpace(after) ? '' : `after it ('${after}')`,
    ]
      .filter((s) => s !== '')
      .join(' and ');
    if (missing !== '')
      list.error(
        'text',
        'link_spacing',
        `link ${link.url} needs a space ${missing}: carriers glue the neighbouring text to the URL`,
        link.start,
        link.url,
      );
  }

  for (const hit of findBlockedWords(c.text, sms.blockedWords))
    list.error(
      'text',
      'blocked_word',
      `blocked word '${hit.word}' at ${hit.index} ('${hit.found}')`,
      hit.index,
      hit.word,
    );

  if (options.messageClass === 'marketing') {
    const full = squash(smsText(c.signature, c.text));
    if (!sms.optOutHints.some((hint) => squash(hint) !== '' && full.includes(squash(hint))))
      list.warning(
        'text',
        'opt_out_missing',
        `marketing SMS should tell how to opt out, e.g. '${sms.optOutHints[0] ?? '回T退订'}'`,
      );
  }
  return { issues: list, count };
};
