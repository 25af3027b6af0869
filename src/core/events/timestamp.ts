/**
 * ISO-8601 text to epoch milliseconds. A date-time without a zone designator is read as UTC:
 * `Date.parse` would read it in the server's local zone, so the same file imported on two
 * machines would store different times.
 */
const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i;
const hasTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

export const parseTimestamp = (text: string): number => {
  // SDKs send `…Z` almost always: skip the regular expressions on the ingestion hot path.
  if (text.endsWith('Z') && text.charCodeAt(10) === 84 /* T */) return Date.parse(text);
  if (hasTime.test(text) && !hasZone.test(text)) return Date.parse(`${text.replace(' ', 'T')}Z`);
  return Date.parse(text.replace(' ', 'T'));
};
