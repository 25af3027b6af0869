import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Progress, ProgressFn } from '../core/jobs/progress.ts';
import { err, ok, type Result } from '../core/result.ts';

export const JOB_KINDS = ['plan', 'score', 'train', 'import'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export interface JobView extends Progress {
  id: string;
  kind: JobKind;
  workspaceId: string;
  startedBy: number;
  status: 'running' | 'done' | 'failed';
  startedAt: number;
  finishedAt: number | null;
  /** The operation's own answer (what its synchronous endpoint returns). */
  result: unknown;
  error: string | null;
}

/** What a job's work returns: its result, or an expected failure to show as the job's error. */
export type JobOutcome = Result<unknown, { message: string }>;

const KEEP = 50;

/**
 * Long operations run as jobs (SPEC I1: "long operations show progress"): started by a request
 * that answers at once with the job, run in this process, polled for their progress. One job of
 * a kind per workspace at a time (a second plan while one runs would only wait for the planner's
 * lock). Jobs live in memory: a restart forgets them, and the operations themselves are safe to
 * run again (the planner's slots, scoring and training are idempotent or versioned).
 */
export class JobRegistry {
  private readonly jobs = new Map<string, JobView>();

  constructor(private readonly clock: Clock) {}

  start(
    kind: JobKind,
    who: { workspaceId: string; userId: number },
    work: (progress: ProgressFn) => Promise<JobOutcome>,
  ): Result<JobView, { running: JobView }> {
    const running = [...this.jobs.values()].find(
      (j) => j.kind === kind && j.workspaceId === who.workspaceId && j.status === 'running',
    );
    if (running) return err({ running });
    const job: JobView = {
      id: `job_${randomBytes(6).toString('hex')}`,
      kind,
      workspaceId: who.workspaceId,
      startedBy: who.userId,
      status: 'running',
      phase: 'starting',
      done: 0,
      total: 1,
      startedAt: this.clock(),
      finishedAt: null,
      result: null,
      error: null,
    };
    this.jobs.set(job.id, job);
    this.forgetOld();
    const finish = (status: JobView['status'], patch: Partial<JobView>) =>
      Object.assign(job, { status, finishedAt: this.clock(), ...patch });
    void work((p) => Object.assign(job, { phase: p.phase, done: p.done, total: Math.max(1, p.total) })).then(
      (r) =>
        r.ok
          ? finish('done', { result: r.value, phase: 'done', done: job.total })
          : finish('failed', { error: r.error.message }),
      (e: unknown) => finish('failed', { error: e instanceof Error ? e.message : String(e) }),
    );
    return ok({ ...job });
  }

  get(workspaceId: string, id: string): JobView | undefined {
    const j = this.jobs.get(id);
    return j && j.workspaceId === workspaceId ? { ...j } : undefined;
  }

  list(workspaceId: string): JobView[] {
    return [...this.jobs.values()]
      .filter((j) => j.workspaceId === workspaceId)
      .sort((a, b) => b.startedAt - a.startedAt)
      .map((j) => ({ ...j }));
  }

  /** Resolves when no job runs (shutdown, tests). */
  async idle(): Promise<void> {
    while ([...this.jobs.values()].some((j) => j.status === 'running'))
      await new Promise((r) => setTimeout(r, 20));
  }

  private forgetOld(): void {
    const finished = [...this.jobs.values()]
      .filter((j) => j.status !== 'running')
      .sort((a, b) => a.startedAt - b.startedAt);
    for (const j of finished.slice(0, Math.max(0, this.jobs.size - KEEP))) this.jobs.delete(j.id);
  }
}

const registries = new WeakMap<object, JobRegistry>();

/** One registry per runtime. */
export const jobsOf = (rt: { clock: Clock }): JobRegistry => {
  let r = registries.get(rt);
  if (!r) registries.set(rt, (r = new JobRegistry(rt.clock)));
  return r;
};
