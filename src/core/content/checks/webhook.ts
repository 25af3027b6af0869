import type { WebhookContent } from '../schema.ts';
import { describeJsonError, jsonSyntaxError } from '../json-body.ts';
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
    const bad = jsonSyntaxError(c.body);
    if (bad !== null)
      list.error(
        'body',
        'invalid_json',
        `webhook.body does not render to valid JSON: ${describeJsonError(bad)} (put Liquid inside string values, e.g. "{{ user.city }}")`,
        bad.index,
      );
  }
  return list;
};
