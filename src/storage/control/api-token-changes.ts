/**
 * A counter bumped whenever what an API token means changes in this process: a member disabled,
 * given another role, or their tokens revoked. The API-token caches compare it on every lookup
 * and forget what they hold when it moved, so the change takes effect at once here (other
 * processes within their cache period). Bumped by the writes themselves and again by the
 * services after their transaction commits, so a lookup that ran between the write and the
 * commit is not kept.
 */
let generation = 0;

export const apiTokensChanged = (): void => {
  generation += 1;
};

export const apiTokenGeneration = (): number => generation;
