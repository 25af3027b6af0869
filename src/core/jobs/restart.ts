/**
 * What happens to a job whose process died while it ran (a crash, a deploy, `kill -9`): the next
 * process finds it `running` with a stale heartbeat and either runs it again or fails it.
 *
 * - plan: resumed. A slot is planned once per campaign (`campaign_runs` is unique per campaign and
 *   slot, and the planner re-reads what is still due under its lock), so running it again plans
 *   only what the dead run did not commit.
 * - score: resumed. A scoring run replaces the scores with a new run; running it again is harmless.
 * - train: resumed. Training writes a new model version; a half-trained one was never stored.
 * - import: failed. Part of the file may already be in the warehouse, and events outside the
 *   dedup window would be stored twice; the operator checks and sends the rest again.
 *
 * A job that keeps dying with its process (it may be what kills it) is not resumed forever.
 */

export type RestartPolicy = 'resume' | 'fail';

export const RESTART_POLICY = {
  plan: 'resume',
  score: 'resume',
  train: 'resume',
  import: 'fail',
} as const satisfies Record<string, RestartPolicy>;

/** Runs in all, the first included: a job is tried at most this many times. */
export const MAX_JOB_ATTEMPTS = 3;

/** The error of a job failed because its process stopped (neutral wording: shown in any locale). */
export const INTERRUPTED = 'interrupted by a server restart';

export type RestartDecision = { action: 'resume' } | { action: 'fail'; error: string };

export const afterRestart = (policy: RestartPolicy, attempts: number): RestartDecision => {
  if (policy === 'fail') return { action: 'fail', error: INTERRUPTED };
  if (attempts >= MAX_JOB_ATTEMPTS)
    return {
      action: 'fail',
      error: `${INTERRUPTED} (${attempts} times; not resumed again)`,
    };
  return { action: 'resume' };
};
