import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { afterRestart, INTERRUPTED, MAX_JOB_ATTEMPTS, RESTART_POLICY } from '../src/core/jobs/restart.ts';
import { ok } from '../src/core/result.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import { recoverJobs } from '../src/jobs/job-kinds.ts';
import { JobRegistry, jobsOf, type JobView } from '../src/jobs/job-registry.ts';
import { openRuntime } from '../src/runtime.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startChildServer } from './support/child-server.ts';
import { startTestServer } from './support/runtime.ts';
import { tempDir } from './support/tmp.ts';

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Work that never ends here: the process "dies" while it runs. */
const forever = new Promise<never>(() => undefined);

const getJob = async (url: string, token: string, id: string) => {
  const res = await fetch(`${url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, job: (await res.json()) as JobView };
};

const operator = async (db: SqlClient, name: string) => {
  const u = await createUser(db, { name, role: 'operator' });
  if (!u.ok) throw new Error('user');
  return { id: u.value.id, token: await issueApiToken(db, u.value.id) };
};

describe('jobs survive a restart (same data directory, embedded PGlite)', () => {
  const tmp = tempDir('rekindle-jobs-restart-');
  afterAll(() => tmp.cleanup());

  it('after closing the runtime mid-job, a new one reports the job, resumes a score and fails an import', async () => {
    const s1 = await startTestServer({ dataDir: tmp.dir });
    await loadDemo(s1.rt.warehouse, { size: 300, seed: 7, now: Math.floor(Date.now() / DAY) * DAY });
    const olga = await operator(s1.rt.control, 'olga');
    const jobs1 = jobsOf(s1.rt, { progressMs: 10 });
    const who = { workspaceId: 'default', userId: olga.id };
    const score = await jobs1.start('score', who, async (progress) => {
      progress({ phase: 'features', done: 1, total: 3 });
      return forever;
    });
    const upload = join(tmp.dir, 'uploads', 'pending.ndjson');
    mkdirSync(join(tmp.dir, 'uploads'), { recursive: true });
    writeFileSync(upload, '{"type":"track"}\n');
    const imp = await jobs1.start('import', who, async () => forever, {
      path: upload,
      format: 'ndjson',
      size: 17,
    });
    if (!score.ok || !imp.ok) throw new Error('not started');
    // The progress reached the table before the "crash".
    await expect
      .poll(
        async () =>
          (
            await s1.rt.control.query<{ phase: string }>('SELECT phase FROM jobs WHERE id = $1', [
              score.value.id,
            ])
          )[0]?.phase,
      )
      .toBe('features');
    await s1.stop();

    const s2 = await startTestServer({ dataDir: tmp.dir });
    try {
      // GET /v1/jobs/{id} answers from the table in the new process.
      const before = await getJob(s2.url, olga.token, score.value.id);
      expect(before.status).toBe(200);
      expect(before.job).toMatchObject({
        status: 'running',
        phase: 'features',
        done: 1,
        total: 3,
        attempts: 1,
      });
      // Still the one running score job of the workspace: another start is refused.
      expect((await jobsOf(s2.rt).start('score', who, async () => ok(null))).ok).toBe(false);

      const report = await recoverJobs(s2.rt, { all: true });
      expect(report).toEqual({ resumed: [score.value.id], failed: [imp.value.id] });
      await jobsOf(s2.rt).idle();

      const resumed = await getJob(s2.url, olga.token, score.value.id);
      expect(resumed.job).toMatchObject({ status: 'done', attempts: 2, error: null });
      expect((resumed.job.result as { users: number }).users).toBe(300);
      const failed = await getJob(s2.url, olga.token, imp.value.id);
      expect(failed.job).toMatchObject({ status: 'failed', error: INTERRUPTED });
      expect(failed.job.finishedAt).not.toBeNull();
      // Nobody will import the upload now: it is removed.
      expect(existsSync(upload)).toBe(false);
      // Nothing is left to recover.
      expect(await recoverJobs(s2.rt, { all: true })).toEqual({ resumed: [], failed: [] });
    } finally {
      await s2.stop();
    }
  }, 120_000);
});

describe('jobs across processes (two registries on one PostgreSQL control plane)', () => {
  const schema = `jobs_${process.pid}_${Date.now() % 1_000_000}`;
  let a: SqlClient;
  let b: SqlClient;
  afterAll(async () => {
    await a?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await a?.close();
    await b?.close();
  });

  it('one job of a kind per workspace across processes; a stale job is taken over once, and its old owner cannot finish it', async () => {
    const url = inject('postgresUrl');
    a = await openSqlClient({ databaseUrl: url, pgliteDir: '', schema });
    await migrate(a);
    b = await openSqlClient({ databaseUrl: url, pgliteDir: '', schema });
    let now = 1_000_000;
    const clock = () => now;
    const p1 = new JobRegistry(a, clock, { staleMs: 30_000, heartbeatMs: 60_000 });
    const p2 = new JobRegistry(b, clock, { staleMs: 30_000, heartbeatMs: 60_000 });
    const who = { workspaceId: 'default', userId: 1 };
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));

    // Both "processes" start a plan at once: exactly one wins.
    const [x, y] = await Promise.all([
      p1.start('plan', who, async () => {
        await gate;
        return ok('p1');
      }),
      p2.start('plan', who, async () => {
        await gate;
        return ok('p2');
      }),
    ]);
    expect([x.ok, y.ok].filter(Boolean)).toHaveLength(1);
    const winner = x.ok ? x.value : y.ok ? y.value : null;
    const [owner, other] = x.ok ? [p1, p2] : [p2, p1];
    if (!winner) throw new Error('nobody started');
    const loser = x.ok ? y : x;
    if (loser.ok) throw new Error('both started');
    expect(loser.error.running.id).toBe(winner.id);

    const handlers = { resume: async () => ok(async () => ok('taken over')) };
    // Its heartbeat is fresh: the other process leaves it alone.
    now += 10_000;
    expect(await other.recover(handlers)).toEqual({ resumed: [], failed: [] });
    // The owner stopped beating (it hangs or died): after the stale limit the other takes over.
    now += 30_001;
    const [r1, r2] = await Promise.all([other.recover(handlers), other.recover(handlers)]);
    expect([...r1.resumed, ...r2.resumed]).toEqual([winner.id]);
    await other.idle();
    // The old owner comes back and finishes: its answer no longer counts.
    release();
    await owner.idle();
    expect(await owner.get('default', winner.id)).toMatchObject({
      status: 'done',
      result: 'taken over',
      attempts: 2,
    });
  }, 60_000);

  it("a live owner's heartbeat keeps its job from being taken over, however long it runs", async () => {
    let now = 5_000_000;
    const clock = () => now;
    const p1 = new JobRegistry(a, clock, { staleMs: 30_000, heartbeatMs: 20, progressMs: 10 });
    const p2 = new JobRegistry(b, clock, { staleMs: 30_000 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const started = await p1.start('score', { workspaceId: 'default', userId: 1 }, async () => {
      await gate;
      return ok('mine');
    });
    if (!started.ok) throw new Error('not started');
    now += 60_000;
    await expect
      .poll(async () => {
        const [r] = await a.query<{ at: Date }>('SELECT heartbeat_at AS at FROM jobs WHERE id = $1', [
          started.value.id,
        ]);
        return r ? new Date(r.at).getTime() : 0;
      })
      .toBe(now);
    expect(await p2.recover({ resume: async () => ok(async () => ok('stolen')) })).toEqual({
      resumed: [],
      failed: [],
    });
    release();
    await p1.idle();
    expect(await p2.get('default', started.value.id)).toMatchObject({
      status: 'done',
      result: 'mine',
      attempts: 1,
    });
  });
});

describe('what a restart does to each kind', () => {
  it('resumes plan, score and train up to the attempt limit; fails an import at once', () => {
    expect(afterRestart(RESTART_POLICY.plan, 1)).toEqual({ action: 'resume' });
    expect(afterRestart(RESTART_POLICY.score, 2)).toEqual({ action: 'resume' });
    expect(afterRestart(RESTART_POLICY.train, MAX_JOB_ATTEMPTS)).toEqual({
      action: 'fail',
      error: `${INTERRUPTED} (${MAX_JOB_ATTEMPTS} times; not resumed again)`,
    });
    expect(afterRestart(RESTART_POLICY.import, 1)).toEqual({ action: 'fail', error: INTERRUPTED });
  });
});

describe('jobs across kill -9 of `rekindle serve`', () => {
  const tmp = tempDir('rekindle-jobs-kill-');
  afterAll(() => tmp.cleanup());

  it('an import running when the server is killed is reported failed by the restarted server, its upload removed', async () => {
    const config = loadConfig({}, { dataDir: tmp.dir, logLevel: 'error' });
    const setup = await openRuntime(config);
    const olga = await operator(setup.control, 'olga');
    await setup.close();
    const env = {
      REKINDLE_DATA_DIR: tmp.dir,
      REKINDLE_PLANNER_POLL_SECONDS: '0',
      REKINDLE_SCORE_EVERY_MINUTES: '0',
      REKINDLE_FACT_SHIP_MS: '0',
      REKINDLE_ATTRIBUTE_EVERY_MINUTES: '0',
      REKINDLE_DELIVERY: '0',
    };
    // Big enough that importing it takes far longer than the kill below.
    const body = Array.from({ length: 200_000 }, (_, i) =>
      JSON.stringify({
        type: 'track',
        userId: `k-${i % 5000}`,
        event: 'app_open',
        messageId: `kill-msg-${i}`,
        timestamp: '2026-01-01T00:00:00Z',
      }),
    ).join('\n');

    const first = await startChildServer(env);
    const res = await fetch(`${first.url}/v1/jobs/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${olga.token}`, 'content-type': 'application/x-ndjson' },
      body,
    });
    const started = (await res.json()) as JobView;
    expect(res.status, JSON.stringify(started)).toBe(202);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(await readdir(join(tmp.dir, 'uploads'))).toHaveLength(1);

    const second = await startChildServer(env);
    try {
      // Recovery runs at start: the job is failed with the reason, not left running for ever.
      let job: JobView | undefined;
      for (let i = 0; i < 200; i++) {
        const r = await getJob(second.url, olga.token, started.id);
        expect(r.status).toBe(200);
        job = r.job;
        if (job.status !== 'running') break;
        await sleep(50);
      }
      expect(job).toMatchObject({ id: started.id, kind: 'import', status: 'failed', error: INTERRUPTED });
      expect(await readdir(join(tmp.dir, 'uploads'))).toEqual([]);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 180_000);
});
