import type { WecomContent } from '../schema.ts';
import { IssueList } from './issues.ts';
import { checkLandingUrl } from './urls.ts';

/** WeCom template messages: a template id, at least one field, an https landing page. */
export const checkWecom = (c: WecomContent): IssueList => {
  const list = new IssueList('wecom');
  list.required('templateId', c.templateId);
  const entries = Object.entries(c.fields);
  if (entries.length === 0)
    list.error('fields', 'required', 'wecom.fields is empty: the template has nothing to show');
  for (const [key, value] of entries)
    if (value.trim() === '')
      list.warning(`fields.${key}`, 'empty_field', `wecom.fields.${key} renders as empty`);
  if (c.landingUrl !== undefined && list.required('landingUrl', c.landingUrl))
    checkLandingUrl(list, 'landingUrl', c.landingUrl, { deepLinks: false });
  return list;
};
