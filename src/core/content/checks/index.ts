import type { ContentIssue } from '../issue.ts';
import type { ChannelContent } from '../schema.ts';
import type { SmsCount } from '../sms.ts';
import { checkEmail } from './email.ts';
import { IssueList } from './issues.ts';
import type { CheckOptions } from './options.ts';
import { checkPush } from './push.ts';
import { checkSms } from './sms.ts';
import { checkWebhook } from './webhook.ts';
import { checkWecom } from './wecom.ts';

export interface ContentCheck {
  issues: ContentIssue[];
  /** SMS only: encoding, characters and segments of signature + text. */
  sms?: SmsCount;
}

/** The channel's rules on rendered content (run after rendering and link rewriting). */
export const checkContent = (c: ChannelContent, options: CheckOptions): ContentCheck => {
  switch (c.channel) {
    case 'push':
    case 'in_app':
      return { issues: checkPush(c, options).issues };
    case 'email':
      return { issues: checkEmail(c, options).issues };
    case 'sms': {
      const { issues, count } = checkSms(c, options);
      return { issues: issues.issues, sms: count };
    }
    case 'wecom':
      return { issues: checkWecom(c).issues };
    case 'webhook':
      return { issues: checkWebhook(c).issues };
    case 'call': {
      const list = new IssueList('call');
      list.required('script', c.script);
      return { issues: list.issues };
    }
  }
};

export * from './options.ts';
export { findBlockedWords, type BlockedWordHit } from './blocked-words.ts';
export { DEFAULT_SMS_BLOCKED_WORDS } from './blocked-words-zh.ts';
