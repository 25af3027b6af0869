/**
 * What can happen to a planned message, as recorded in the message log and in the warehouse's
 * `message_facts.status`. `sent`: a provider accepted it; `delivered` / `failed`: the provider's
 * receipt; `dead`: given up after retries or a permanent error (the reason is in `properties`);
 * `unknown`: the worker died while a provider that does not de-duplicate may have been sending it,
 * so it was not sent again (it may or may not have reached the user);
 * `clicked`, `unsubscribed`: the recipient acted; `converted` is written by attribution in the
 * warehouse, never here.
 */
export const MESSAGE_LOG_KINDS = [
  'sent',
  'delivered',
  'failed',
  'dead',
  'unknown',
  'clicked',
  'unsubscribed',
] as const;
export type MessageLogKind = (typeof MESSAGE_LOG_KINDS)[number];
