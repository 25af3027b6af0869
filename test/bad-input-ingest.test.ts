import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { runIngestBadInputs } from './support/bad-input-ingest.ts';
import { startTestServer, TEST_WRITE_KEY, type TestServer } from './support/runtime.ts';

describe('malformed ingestion traffic (seeded) against a real server and DuckDB', () => {
  let s: TestServer;
  let apiToken = '';
  beforeAll(async () => {
    s = await startTestServer();
    const user = await createUser(s.rt.control, { name: 'importer', role: 'operator' });
    if (!user.ok) throw new Error('user');
    apiToken = await issueApiToken(s.rt.control, user.value.id);
  }, 60_000);
  afterAll(async () => {
    await s.stop();
    s.cleanup();
  });

  it('answers 800 malformed requests and 8 import files precisely, never 5xx, and stores every valid sibling once', async () => {
    const result = await runIngestBadInputs({
      baseUrl: s.url,
      writeKey: TEST_WRITE_KEY,
      seed: 20261206,
      count: 800,
      warehouse: s.rt.warehouse,
      apiToken,
    });
    expect(result.examples).toEqual([]);
    expect(result.requests).toBeGreaterThanOrEqual(808);
    expect(result.malformed).toBeGreaterThanOrEqual(800);
    expect(result.validSent).toBeGreaterThan(500);
    expect(result).toMatchObject({ fiveXX: 0, imprecise: 0, lost: 0, duplicated: 0 });
    expect(result.validStored).toBe(result.validSent);
  }, 300_000);
});
