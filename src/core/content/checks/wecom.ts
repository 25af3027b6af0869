import type { WecomContent } from '../schema.ts';
import { IssueList } from './issues.ts';
import { checkLandingUrl } from './urls.ts';

/**
 * `wecom` channel content: a template id and fields (WeChat Official Account template
 * messages), optionally a title / description (WeCom application messages, which otherwise show
 * the field values), an https landing page.
 */
export const checkWecom = (c: WecomContent): IssueList => {
  const list = new IssueList('wecom');
  list.required('templateId', c.templateId);
  const entries = Object.entries(c.fields);
  const ownText = (c.title ?? '').trim() !== '' || (c.description ?? '').trim() !== '';
  if (entries.length === 0 && !ownText)
    list.error('fields', 'required', 'wecom.fields is empty: the template has nothing to show');
  for (const [key, value] of entries)
    if (value.trim() === '')
      list.warning(`fields.${key}`, 'empty_field', `wecom.fields.${key} renders as empty`);
  if (c.landingUrl !== undefined && list.required('landingUrl', c.landingUrl))
    checkLandingUrl(list, 'landingUrl', c.landingUrl, { deepLinks: false });
  return list;
};
