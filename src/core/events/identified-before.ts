/**
 * "Was this id sent as a userId?" as of a time (identity stitching, features.md A1): an implicit
 * link needs the anonymous id to be fresh *when the call that asks for it arrived*. Where links are
 * decided after the records are stored (the ClickHouse warehouse's stitching pass), only records
 * received before that call count, so the call's own batch and anything later never decide it.
 *
 * `asUser`: the first event stored under the id that was not its anonymousId; `traits`: its first
 * trait history; `asAnonymous`: the first event that carried it as anonymousId. Times are the
 * records' received_at (ms); null when there is none. The rule is DuckDB's `knownUsersAmong`.
 */
export interface Identification {
  asUser: number | null;
  traits: number | null;
  asAnonymous: number | null;
}

export const identifiedBefore = (i: Identification | undefined, cutoff: number): boolean => {
  if (i === undefined) return false;
  const before = (t: number | null) => t !== null && t < cutoff;
  return before(i.asUser) || (before(i.traits) && !before(i.asAnonymous));
};
