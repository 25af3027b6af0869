import { placeholder } from '../scope.ts';
import type { EmailContent } from '../schema.ts';
import { IssueList } from './issues.ts';
import type { CheckOptions } from './options.ts';

/**
 * E-mail: subject and HTML present; marketing mail carries the unsubscribe placeholder (in the
 * rendered HTML, so one inside a branch this user does not take counts as missing).
 */
export const checkEmail = (c: EmailContent, options: CheckOptions): IssueList => {
  const list = new IssueList('email');
  list.required('subject', c.subject);
  const hasHtml = list.required('html', c.html);
  if (options.messageClass !== 'marketing') return list;
  const unsubscribe = placeholder('unsubscribe_url');
  if (hasHtml && !c.html.includes(unsubscribe))
    list.error(
      'html',
      'unsubscribe_missing',
      `marketing e-mail needs an unsubscribe link: add <a href="{{ unsubscribe_url }}">…</a> to email.html`,
    );
  if (c.text !== undefined && c.text.trim() !== '' && !c.text.includes(unsubscribe))
    list.warning('text', 'unsubscribe_missing', 'the text part has no {{ unsubscribe_url }}');
  return list;
};
