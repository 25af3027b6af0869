import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicErrorMessage, uploadName } from '../src/core/jobs/public-error.ts';
import type { JobView } from '../src/jobs/job-registry.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Issue 13, point 5d: an import that fails tells the API client about its file as the client
 * knows it (the upload), never the server's path to it (`<data dir>/uploads/<random>.parquet`),
 * nor a stack.
 */

describe('import job errors over HTTP', () => {
  let s: TestServer;
  let operator = '';
  beforeAll(async () => {
    s = await startTestServer();
    const u = await createUser(s.rt.control, { name: 'olga', role: 'operator' });
    if (!u.ok) throw new Error('user');
    operator = await issueApiToken(s.rt.control, u.value.id);
  });
  afterAll(async () => {
    await s.stop();
    s.cleanup();
  });

  const upload = async (body: string | Buffer, type: string, query = ''): Promise<JobView> => {
    const res = await fetch(`${s.url}/v1/jobs/import${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': type },
      body,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as JobView;
    for (;;) {
      const r = await fetch(`${s.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${operator}` } });
      const job = (await r.json()) as JobView;
      if (job.status !== 'running') return job;
      await new Promise((res) => setTimeout(res, 20));
    }
  };

  const expectNoServerPath = (message: string | null) => {
    expect(message).not.toBeNull();
    const m = String(message);
    expect(m).not.toContain(s.dataDir);
    expect(m).not.toContain('uploads/');
    expect(m).not.toMatch(/(^|[\s'"(])\/[\w.-]+\/[\w./-]+/); // no absolute path of any kind
    expect(m).not.toMatch(/\n\s+at /); // no stack
  };

  it('a file that is not Parquet: the error names the upload, not the server path', async () => {
    const job = await upload(
      Buffer.from('this is not a parquet file at all'),
      'application/vnd.apache.parquet',
    );
    expect(job.status).toBe('failed');
    expectNoServerPath(job.error);
    expect(job.error).toMatch(/the uploaded file/);
  });

  it('a CSV whose header row is not CSV: the same', async () => {
    const job = await upload('"user_id,event\n', 'text/csv');
    expect(job.status).toBe('failed');
    expectNoServerPath(job.error);
  });

  it('names the upload as the client called it (?name=)', async () => {
    const job = await upload(
      Buffer.from('PAR1 broken'),
      'application/vnd.apache.parquet',
      '?name=events-may.parquet',
    );
    expect(job.status).toBe('failed');
    expectNoServerPath(job.error);
    expect(job.error).toContain('events-may.parquet');
  });

  it('a repeated ?name= is a 400 naming the parameter, and no file is kept', async () => {
    const res = await fetch(`${s.url}/v1/jobs/import?name=a.csv&name=b.csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'text/csv' },
      body: 'user_id,event\nu1,login\n',
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('name');
    const uploads = await readdir(join(s.dataDir, 'uploads')).catch(() => []);
    expect(uploads).toEqual([]);
  });
});

describe('publicErrorMessage (pure)', () => {
  it('names known files by their client name, other absolute paths by their last segment, and drops stacks', () => {
    const file = { path: '/srv/rekindle/data/uploads/9f2c.csv', name: "'may.csv'" };
    expect(publicErrorMessage(`cannot read ${file.path}: no such file`, [file])).toBe(
      "cannot read 'may.csv': no such file",
    );
    expect(publicErrorMessage("ENOENT: no such file or directory, open '/work/x/secret/plan.parquet'")).toBe(
      "ENOENT: no such file or directory, open 'plan.parquet'",
    );
    expect(publicErrorMessage('failed\n    at read (/srv/app/src/x.ts:1:2)\n    at y')).toBe('failed');
    // URLs and API paths are not server paths.
    expect(publicErrorMessage('see https://docs.example/a/b and /v1')).toBe(
      'see https://docs.example/a/b and /v1',
    );
    expect(uploadName('C:\\Users\\me\\events.csv')).toBe("'events.csv'");
    expect(uploadName('\u0000')).toBe('the uploaded file');
    expect(uploadName(undefined)).toBe('the uploaded file');
  });
});
