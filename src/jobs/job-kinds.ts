import { rm } from 'node:fs/promises';
import type { Actor } from '../core/auth/roles.ts';
import { publicErrorMessage } from '../core/jobs/public-error.ts';
import { INTERRUPTED } from '../core/jobs/restart.ts';
import { err, ok, type Result } from '../core/result.ts';
import { importFile } from '../ingest/import/import-file.ts';
import { ImportFileError } from '../ingest/import/import-report.ts';
import { runSlot } from '../planner/run-slot.ts';
import type { Runtime } from '../runtime.ts';
import { every, type Loop } from '../scheduling/every.ts';
import { trainChurnModelAs } from '../scores/churn-model.ts';
import { computeScoresAs } from '../scores/run-scoring.ts';
import { findUserById } from '../storage/control/users.ts';
import {
  jobsOf,
  type JobKind,
  type JobOutcome,
  type JobRecord,
  type JobWork,
  type RecoveryReport,
} from './job-registry.ts';

/**
 * The work of each job kind, built from what the `jobs` row keeps (`params`), so the request that
 * starts a job and the process that resumes it after a restart run the same thing.
 */

export type ImportFormat = 'csv' | 'ndjson' | 'parquet';
export interface ImportParams {
  path: string;
  format: ImportFormat;
  size: number;
  /** How error messages name the file: the client's name for it, never `path`. */
  name: string;
}

const failed = (f: { reason?: string; message?: string; type: string }): JobOutcome =>
  err({ message: f.reason ?? f.message ?? f.type });

export const planWork =
  (rt: Runtime, actor: Actor): JobWork =>
  async (progress) => {
    const r = await runSlot(rt, actor.workspaceId, rt.clock(), { onProgress: progress });
    return ok({
      slotAt: new Date(r.slotAt).toISOString(),
      campaigns: r.campaigns.map((c) => ({
        campaignId: c.campaignId,
        messages: c.messages,
        holdout: c.holdout,
        skipped: c.skipped,
      })),
      ms: Math.round(r.ms.total),
    });
  };

export const scoreWork =
  (rt: Runtime, actor: Actor): JobWork =>
  async (progress) => {
    const r = await computeScoresAs(rt, actor, { onProgress: progress });
    return r.ok
      ? ok({ runId: r.value.runId, users: r.value.scores.users, ms: Math.round(r.value.ms.total) })
      : failed(r.error);
  };

export const trainWork =
  (rt: Runtime, actor: Actor): JobWork =>
  async (progress) => {
    const r = await trainChurnModelAs(rt, actor, { onProgress: progress });
    return r.ok
      ? ok({ id: r.value.id, version: r.value.version, metrics: r.value.metrics })
      : failed(r.error);
  };

/** Imports the uploaded file and removes it, whatever happens. */
export const importWork =
  (rt: Runtime, p: ImportParams): JobWork =>
  async (progress) => {
    try {
      progress({ phase: 'reading', done: 0, total: p.size });
      const report = await importFile(rt.warehouse, {
        path: p.path,
        format: p.format,
        onProgress: (ip) => progress({ phase: 'reading', done: ip.bytesRead, total: ip.totalBytes }),
      });
      return ok(report);
    } catch (e) {
      // The job's error reaches API clients: the upload by the client's name, no server path.
      const file = [{ path: p.path, name: p.name }];
      if (e instanceof ImportFileError) return err({ message: publicErrorMessage(e.message, file) });
      const why = e instanceof Error ? e.message : String(e);
      return err({ message: publicErrorMessage(`the import failed: ${why}`, file) });
    } finally {
      await rm(p.path, { force: true });
    }
  };

/** The work of a job kind that is resumed after a restart (see RESTART_POLICY). */
const workOf = (rt: Runtime, kind: JobKind, actor: Actor): JobWork | null => {
  switch (kind) {
    case 'plan':
      return planWork(rt, actor);
    case 'score':
      return scoreWork(rt, actor);
    case 'train':
      return trainWork(rt, actor);
    case 'import':
      return null;
  }
};

/**
 * Runs an orphaned job again as the user who started it, as they are now: a user disabled since
 * (or whose role no longer allows it, checked by the operation itself) does not get it resumed.
 */
const resume = async (rt: Runtime, job: JobRecord): Promise<Result<JobWork, string>> => {
  const user = await findUserById(rt.control, job.startedBy);
  if (!user || user.disabledAt !== null || user.workspaceId !== job.workspaceId)
    return err(`${INTERRUPTED}; not resumed: user ${job.startedBy} is no longer active`);
  const work = workOf(rt, job.kind, {
    userId: user.id,
    workspaceId: user.workspaceId,
    name: user.name,
    role: user.role,
  });
  return work ? ok(work) : err(INTERRUPTED);
};

/** A failed import's upload is never read again. */
const discard = async (job: JobRecord): Promise<void> => {
  const path = job.params['path'];
  if (job.kind === 'import' && typeof path === 'string') await rm(path, { force: true });
};

/** Resumes or fails the jobs of dead processes (see JobRegistry.recover). */
export const recoverJobs = (
  rt: Runtime,
  o: { all?: boolean; ownerAlive?: (owner: string) => Promise<boolean> } = {},
): Promise<RecoveryReport> => jobsOf(rt).recover({ resume: (j) => resume(rt, j), discard }, o);

/**
 * The recovery loop of `rekindle serve`: once at start and then every `everyMs`. At start on
 * embedded PGlite every running job is a dead process's (one process owns the data directory);
 * on PostgreSQL other processes may be alive, so a job is taken over only once its heartbeat is
 * stale and (with `ownerAlive`, src/cluster/members.ts) its process is gone.
 */
export const startJobRecovery = (
  rt: Runtime,
  o: {
    everyMs: number;
    log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
    ownerAlive?: (owner: string) => Promise<boolean>;
  },
): Loop => {
  let first = true;
  return every(
    o.everyMs,
    async () => {
      const all = first && rt.control.kind === 'pglite';
      first = false;
      const r = await recoverJobs(rt, { all, ...(o.ownerAlive ? { ownerAlive: o.ownerAlive } : {}) });
      if (r.resumed.length + r.failed.length > 0) o.log.info(r, 'jobs of a stopped process recovered');
    },
    { firstAfterMs: 0, onError: (e) => o.log.error({ err: e }, 'job recovery failed') },
  );
};
