/**
 * A scope key a compose extension sets to say "do not send this message": its value is the
 * reason. The composer turns it into a dead letter with that reason.
 */
export const SKIP_SCOPE_KEY = '$skip';

/** The skip reason an extension put into a message's extra scope, if any. */
export const skipReasonOf = (extra: Readonly<Record<string, unknown>> | undefined): string | null => {
  const v = extra?.[SKIP_SCOPE_KEY];
  return typeof v === 'string' ? v : null;
};
