/** Expected failures of the notification, catalog and alert services (the HTTP layer maps them). */
export type AutomationFailure =
  | { type: 'invalid'; message: string; errors: { path: string; message: string }[] }
  | { type: 'not_found'; what: string }
  | { type: 'forbidden'; reason: string }
  | { type: 'conflict'; reason: string };

export const invalidField = (path: string, message: string): AutomationFailure => ({
  type: 'invalid',
  message: `invalid request: ${path}: ${message}`,
  errors: [{ path, message }],
});
