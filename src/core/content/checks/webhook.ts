import type { WebhookContent } from '../schema.ts';
import { IssueList } from './issues.ts';

/**
 * Webhooks: a body that is JSON once rendered, and no target of their own. The endpoint is the
 * webhook provider's, configured by an admin: a campaign that named its URL could post every
 * recipient's profile (phone, e-mail) wherever its author liked.
 */
export const checkWebhook = (c: WebhookContent): IssueList => {
  const list = new IssueList('webhook');
  if (c.url !== undefined)
    list.error(
      'url',
      'url_not_allowed',
      "webhook.url is not allowed: webhook messages go to the endpoint of the workspace's webhook provider, which an admin configures",
    );
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
