import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { JobRegistry, jobsOf, type JobView } from '../src/jobs/job-registry.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient } from '../src/storage/control/sql-client.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import { err, ok } from '../src/core/result.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

const DAY = 86_400_000;

describe('JobRegistry', () => {
  it('shows progress while a job runs, one job of a kind at a time, and keeps failures as errors', async () => {
    const db = await openSqlClient({ pgliteDir: 'memory://' });
    await migrate(db);
    const jobs = new JobRegistry(db, () => 1_000, { progressMs: 10 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const who = { workspaceId: 'default', userId: 1 };
    const started = await jobs.start('plan', who, async (progress) => {
      progress({ phase: 'snapshots', done: 1, total: 4 });
      await gate;
      return ok({ messages: 3 });
    });
    if (!started.ok) throw new Error('not started');
    expect(await jobs.get('default', started.value.id)).toMatchObject({
      status: 'running',
      phase: 'snapshots',
      done: 1,
      total: 4,
    });
    expect(await jobs.get('other', started.value.id)).toBeUndefined();
    const second = await jobs.start('plan', who, async () => ok(null));
    expect(second.ok).toBe(false);
    // Another kind, or another workspace, may run meanwhile.
    expect((await jobs.start('plan', { workspaceId: 'w2', userId: 2 }, async () => ok(null))).ok).toBe(true);
    const failing = await jobs.start('score', who, async () =>
      err({ message: 'scores were computed later' }),
    );
    release();
    await jobs.idle();
    expect(await jobs.get('default', started.value.id)).toMatchObject({
      status: 'done',
      result: { messages: 3 },
      done: 4,
    });
    if (!failing.ok) throw new Error('not started');
    expect(await jobs.get('default', failing.value.id)).toMatchObject({
      status: 'failed',
      error: 'scores were computed later',
    });
    const thrown = await jobs.start('train', who, async () => {
      throw new Error('warehouse gone');
    });
    await jobs.idle();
    expect(thrown.ok && (await jobs.get('default', thrown.value.id))?.error).toBe('warehouse gone');
    await db.close();
  });
});

describe('jobs over HTTP', () => {
  let s: TestServer;
  let operator = '';
  let viewer = '';
  beforeAll(async () => {
    s = await startTestServer();
    await loadDemo(s.rt.warehouse, { size: 800, seed: 5, now: Math.floor(Date.now() / DAY) * DAY });
    const token = async (name: string, role: 'operator' | 'viewer') => {
      const u = await createUser(s.rt.control, { name, role });
      if (!u.ok) throw new Error('user');
      return issueApiToken(s.rt.control, u.value.id);
    };
    operator = await token('olga', 'operator');
    viewer = await token('vera', 'viewer');
  }, 60_000);
  afterAll(async () => {
    await s.stop();
    s.cleanup();
  });

  const call = async (
    method: string,
    url: string,
    token: string,
    body?: string,
    type = 'application/json',
  ) => {
    const res = await fetch(`${s.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body }),
    });
    return { status: res.status, json: (await res.json()) as JobView & { error?: string; job?: JobView } };
  };
  const finished = async (id: string, token: string) => {
    const seen: string[] = [];
    for (;;) {
      const r = await call('GET', `/v1/jobs/${id}`, token);
      expect(r.status).toBe(200);
      seen.push(r.json.phase);
      if (r.json.status !== 'running') return { job: r.json, seen };
      await new Promise((res) => setTimeout(res, 20));
    }
  };

  it('runs scoring as a job with its phases; viewers may not start one but may read jobs', async () => {
    expect((await call('POST', '/v1/jobs/score', viewer, '{}')).status).toBe(403);
    const r = await call('POST', '/v1/jobs/score', operator, '{}');
    expect(r.status).toBe(202);
    expect(r.json.status).toBe('running');
    const { job } = await finished(r.json.id, viewer);
    expect(job.status).toBe('done');
    expect(job.done).toBe(job.total);
    expect((job.result as { users: number }).users).toBe(800);
    const list = await call('GET', '/v1/jobs', viewer);
    expect((list.json as unknown as { jobs: JobView[] }).jobs.map((j) => j.id)).toContain(r.json.id);
    expect((await call('GET', '/v1/jobs/job_nope', viewer)).status).toBe(404);
  });

  it('imports an uploaded NDJSON file with byte progress, and names the bad records', async () => {
    const lines = Array.from({ length: 500 }, (_, i) =>
      JSON.stringify({
        type: 'track',
        userId: `upload-${i % 50}`,
        event: 'app_open',
        messageId: `upload-msg-${i}`,
        timestamp: new Date(Date.now() - i * 60_000).toISOString(),
      }),
    );
    lines.push('{"type":"track","event":"app_open","messageId":"no-user"}');
    expect(
      (await call('POST', '/v1/jobs/import', viewer, lines.join('\n'), 'application/x-ndjson')).status,
    ).toBe(403);
    expect((await call('POST', '/v1/jobs/import', operator, 'a,b', 'text/plain')).status).toBe(415);
    const r = await call('POST', '/v1/jobs/import', operator, lines.join('\n'), 'application/x-ndjson');
    expect(r.status).toBe(202);
    const { job } = await finished(r.json.id, operator);
    expect(job.status).toBe('done');
    expect(job.total).toBe(Buffer.byteLength(lines.join('\n')));
    const report = job.result as { accepted: number; rejected: number; errors: { index: number }[] };
    expect(report.accepted).toBe(500);
    expect(report.rejected).toBe(1);
    expect(report.errors[0]?.index).toBe(501);
    const [row] = await s.rt.warehouse.query<{ n: bigint }>(
      "SELECT count(*) AS n FROM events WHERE message_id LIKE 'upload-msg-%'",
    );
    expect(Number(row?.n)).toBe(500);
  });

  it('refuses a second import while one runs (409) and keeps no copy of the refused file', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const held = await jobsOf(s.rt).start('import', { workspaceId: 'default', userId: 1 }, async () => {
      await gate;
      return ok(null);
    });
    expect(held.ok).toBe(true);
    const r = await call('POST', '/v1/jobs/import', operator, '{"type":"track"}', 'application/x-ndjson');
    expect(r.status).toBe(409);
    expect(r.json.job?.kind).toBe('import');
    expect(readdirSync(join(s.dataDir, 'uploads'))).toEqual([]);
    release();
    await jobsOf(s.rt).idle();
  });

  it('plans the due slot as a job (nothing due: no campaigns, still done)', async () => {
    const r = await call('POST', '/v1/jobs/plan', operator, '{}');
    expect(r.status).toBe(202);
    const { job } = await finished(r.json.id, operator);
    expect(job).toMatchObject({ status: 'done', result: { campaigns: [] } });
  });
});
