import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../core/clock.ts';
import type { Progress, ProgressFn } from '../core/jobs/progress.ts';
import { publicErrorMessage } from '../core/jobs/public-error.ts';
import { afterRestart, RESTART_POLICY } from '../core/jobs/restart.ts';
import { err, ok, type Result } from '../core/result.ts';
import {
  claimOrphanedJobs,
  staleJobOwners,
  failRecoveredJob,
  finishJob,
  insertRunningJob,
  jobById,
  latestJobs,
  markJobResuming,
  runningJobOfKind,
  writeJobProgress,
} from '../storage/control/jobs.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';

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
  /** 1 for the first run; each resume after a restart adds one. */
  attempts: number;
}

/** A job as stored, with what a new process needs to run it again. */
export interface JobRecord extends JobView {
  params: Record<string, unknown>;
}

/** What a job's work returns: its result, or an expected failure to show as the job's error. */
export type JobOutcome = Result<unknown, { message: string }>;

export type JobWork = (progress: ProgressFn) => Promise<JobOutcome>;

/** How recovery runs an orphaned job again, or cleans up after one it fails. */
export interface JobRecoveryHandlers {
  /** The work that runs the job again, or why it cannot be (the job then fails with it). */
  resume(job: JobRecord): Promise<Result<JobWork, string>>;
  /** Called for a job failed by recovery (e.g. remove an uploaded file nobody will import). */
  discard?(job: JobRecord): Promise<void>;
}

export interface JobRegistryOptions {
  /** How often a running job's owner says it is alive. */
  heartbeatMs?: number;
  /** A running job whose heartbeat is older than this belongs to a dead process. */
  staleMs?: number;
  /** How often reported progress is written (a job may report thousands of steps). */
  progressMs?: number;
}

export interface RecoveryReport {
  resumed: string[];
  failed: string[];
}

const LIST_LIMIT = 50;

interface Live {
  view: JobView;
  dirty: boolean;
  lastWrite: number;
  timer: NodeJS.Timeout;
  /** Writes of this job, in order (a late progress write must not follow the final one). */
  writes: Promise<void>;
  done: Promise<void>;
}

const toView = (r: Record<string, unknown>): JobRecord => ({
  id: String(r['id']),
  kind: r['kind'] as JobKind,
  workspaceId: String(r['workspace_id']),
  startedBy: Number(r['started_by']),
  status: r['status'] as JobView['status'],
  phase: String(r['phase']),
  done: Number(r['done']),
  total: Number(r['total']),
  startedAt: new Date(r['started_at'] as string).getTime(),
  finishedAt: r['finished_at'] === null ? null : new Date(r['finished_at'] as string).getTime(),
  result: r['result_json'] === null ? null : JSON.parse(String(r['result_json'])),
  error: r['error'] === null ? null : String(r['error']),
  attempts: Number(r['attempts']),
  params: JSON.parse(String(r['params_json'])) as Record<string, unknown>,
});

const publicView = (j: JobRecord | JobView): JobView => {
  const { params: _params, ...view } = j as JobRecord;
  return view;
};

/**
 * Long operations run as jobs (features.md I1: "long operations show progress"): started by a request
 * that answers at once with the job, run in this process, polled for their progress. Jobs are
 * rows of the control plane's `jobs` table, so they outlive the process: a restart keeps every
 * job's status and result, and a job whose process died is resumed or failed by the next one
 * (`recover`; which, per kind, in src/core/jobs/restart.ts). One job of a kind per workspace at a
 * time, across processes: a unique index on the running rows (a second plan while one runs would
 * only wait for the planner's lock).
 */
export class JobRegistry {
  /** This process, as the owner of the jobs it runs. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly live = new Map<string, Live>();
  private readonly heartbeatMs: number;
  private readonly staleMs: number;
  private readonly progressMs: number;

  constructor(
    private readonly db: SqlClient,
    private readonly clock: Clock,
    options: JobRegistryOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.staleMs = options.staleMs ?? 30_000;
    this.progressMs = options.progressMs ?? 250;
  }

  async start(
    kind: JobKind,
    who: { workspaceId: string; userId: number },
    work: JobWork,
    params: Record<string, unknown> = {},
  ): Promise<Result<JobView, { running: JobView }>> {
    // The running one may finish between the refused insert and the read: then try again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const row = await insertRunningJob(this.db, {
        id: `job_${randomBytes(6).toString('hex')}`,
        workspaceId: who.workspaceId,
        kind,
        startedBy: who.userId,
        paramsJson: JSON.stringify(params),
        at: this.clock(),
        owner: this.owner,
      });
      if (row) {
        const job = toView(row);
        this.run(job, work);
        return ok(publicView(job));
      }
      const running = await runningJobOfKind(this.db, who.workspaceId, kind);
      if (running) return err({ running: this.fresh(toView(running)) });
    }
    throw new Error(`could not start a ${kind} job: the running one kept changing`);
  }

  async get(workspaceId: string, id: string): Promise<JobView | undefined> {
    const r = await jobById(this.db, workspaceId, id);
    return r ? this.fresh(toView(r)) : undefined;
  }

  async list(workspaceId: string): Promise<JobView[]> {
    return (await latestJobs(this.db, workspaceId, LIST_LIMIT)).map((r) => this.fresh(toView(r)));
  }

  /**
   * Takes over the running jobs of dead processes: those whose heartbeat is older than the stale
   * limit, or (`all`, for a process that knows it is the only one: embedded PGlite) every running
   * job it does not run itself. Each is claimed by one conditional update, so of several
   * processes recovering at once exactly one gets it; then it is resumed or failed per its kind.
   */
  async recover(
    handlers: JobRecoveryHandlers,
    o: {
      all?: boolean;
      /**
       * Whether a job's owner process still lives, asked of the stale ones (several processes on
       * PostgreSQL: src/cluster/members.ts): a live owner's job is never taken over, even when
       * its heartbeat is late (an event loop blocked for a while).
       */
      ownerAlive?: (owner: string) => Promise<boolean>;
    } = {},
  ): Promise<RecoveryReport> {
    const now = this.clock();
    const all = o.all === true;
    const alive: string[] = [];
    if (o.ownerAlive)
      for (const owner of await staleJobOwners(this.db, this.owner, all, now - this.staleMs))
        if (await o.ownerAlive(owner)) alive.push(owner);
    const claimed = (await claimOrphanedJobs(this.db, this.owner, now, all, now - this.staleMs, alive)).map(
      toView,
    );
    const report: RecoveryReport = { resumed: [], failed: [] };
    for (const job of claimed) {
      const decision = afterRestart(RESTART_POLICY[job.kind], job.attempts);
      const work = decision.action === 'resume' ? await handlers.resume(job) : err(decision.error);
      if (work.ok) {
        const row = await markJobResuming(this.db, job.id, this.owner);
        if (!row) continue;
        this.run(toView(row), work.value);
        report.resumed.push(job.id);
      } else {
        // Cleaned up first: a failed job's leftovers are gone by the time anyone sees it failed
        // (and a crash in between leaves it running, to be cleaned up again).
        await handlers.discard?.(job);
        await failRecoveredJob(this.db, job.id, this.owner, work.error, this.clock());
        report.failed.push(job.id);
      }
    }
    return report;
  }

  /** Resolves when no job of this process runs (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.live.size > 0) await Promise.all([...this.live.values()].map((l) => l.done));
  }

  /** The stored row with this process's newer progress, if it runs the job. */
  private fresh(j: JobRecord): JobView {
    const l = this.live.get(j.id);
    const v = publicView(j);
    return l && v.status === 'running'
      ? { ...v, phase: l.view.phase, done: l.view.done, total: l.view.total }
      : v;
  }

  private run(job: JobRecord, work: JobWork): void {
    const live: Live = {
      view: publicView(job),
      dirty: false,
      lastWrite: performance.now(),
      timer: setInterval(() => this.flush(live), this.progressMs),
      writes: Promise.resolve(),
      done: Promise.resolve(),
    };
    live.timer.unref();
    this.live.set(job.id, live);
    const finish = (patch: Pick<JobView, 'status' | 'result' | 'error'>) => {
      clearInterval(live.timer);
      if (patch.status === 'done') Object.assign(live.view, { phase: 'done', done: live.view.total });
      return this.write(live, () =>
        finishJob(this.db, job.id, this.owner, {
          status: patch.status,
          resultJson:
            patch.result === null || patch.result === undefined ? null : JSON.stringify(patch.result),
          error: patch.error,
          at: this.clock(),
          phase: live.view.phase,
          done: live.view.done,
          total: live.view.total,
        }),
      );
    };
    const progress: ProgressFn = (p) => {
      Object.assign(live.view, { phase: p.phase, done: p.done, total: Math.max(1, p.total) });
      live.dirty = true;
    };
    live.done = Promise.resolve()
      .then(() => work(progress))
      .then(
        (r) =>
          r.ok
            ? finish({ status: 'done', result: r.value, error: null })
            : finish({ status: 'failed', result: null, error: r.error.message }),
        (e: unknown) =>
          // Shown to API clients: no server paths or stack from an unexpected error.
          finish({
            status: 'failed',
            result: null,
            error: publicErrorMessage(e instanceof Error ? e.message : String(e)),
          }),
      )
      .finally(() => {
        this.live.delete(job.id);
      });
  }

  /** Writes progress when some was reported, and the heartbeat when it is due. */
  private flush(live: Live): void {
    const due = performance.now() - live.lastWrite >= this.heartbeatMs;
    if (!live.dirty && !due) return;
    live.dirty = false;
    live.lastWrite = performance.now();
    const v = live.view;
    void this.write(live, () =>
      writeJobProgress(this.db, v.id, this.owner, {
        phase: v.phase,
        done: v.done,
        total: v.total,
        at: this.clock(),
      }),
    );
  }

  /**
   * Chains a write after this job's earlier ones. A failed write (the store closing under a
   * dying process) is dropped: the row keeps its last state and a later process recovers it.
   */
  private write(live: Live, q: () => Promise<unknown>): Promise<void> {
    live.writes = live.writes.then(q).then(
      () => undefined,
      () => undefined,
    );
    return live.writes;
  }
}

const registries = new WeakMap<object, JobRegistry>();

/** One registry per runtime. */
export const jobsOf = (
  rt: { clock: Clock; control: SqlClient },
  options?: JobRegistryOptions,
): JobRegistry => {
  let r = registries.get(rt);
  if (!r) registries.set(rt, (r = new JobRegistry(rt.control, rt.clock, options)));
  return r;
};
