import type { InAppContent, PushContent } from '../schema.ts';
import { charCount, IssueList } from './issues.ts';
import type { CheckOptions } from './options.ts';
import { checkLandingUrl } from './urls.ts';

const checkLength = (list: IssueList, field: string, value: string, max: number): void => {
  const n = charCount(value);
  if (n > max) list.error(field, 'too_long', `${list.channel}.${field} has ${n} characters, at most ${max}`);
};

/** Push and in-app messages: title and body present and short enough, a safe landing page. */
export const checkPush = (c: PushContent | InAppContent, options: CheckOptions): IssueList => {
  const list = new IssueList(c.channel);
  const { push } = options;
  if (list.required('title', c.title)) checkLength(list, 'title', c.title, push.titleMaxChars);
  if (list.required('body', c.body)) checkLength(list, 'body', c.body, push.bodyMaxChars);
  if (c.landingUrl !== undefined && list.required('landingUrl', c.landingUrl))
    checkLandingUrl(list, 'landingUrl', c.landingUrl, { deepLinks: true, appSchemes: push.appSchemes });
  if (c.channel === 'in_app' && c.imageUrl !== undefined && list.required('imageUrl', c.imageUrl))
    checkLandingUrl(list, 'imageUrl', c.imageUrl, { deepLinks: false });
  return list;
};
