import type { WebhookContent } from '../schema.ts';
import { IssueList } from './issues.ts';
import { checkWebhookUrl } from './urls.ts';

/** Webhooks: an https target (http only to localhost) and a body that is JSON once rendered. */
export const checkWebhook = (c: WebhookContent): IssueList => {
  const list = new IssueList('webhook');
  if (list.required('url', c.url)) checkWebhookUrl(list, 'url', c.url);
  if (list.required('body', c.body)) {
    try {
      JSON.parse(c.body);
    } catch (e) {
      const reason = (e as Error).message;
      const position = /position (\d+)/.exec(reason)?.[1];
      list.error(
        'body',
        'invalid_json',
        `webhook.body does not render to valid JSON: ${reason} (quote values with | json)`,
        position === undefined ? undefined : Number(position),
      );
    }
  }
  return list;
};
