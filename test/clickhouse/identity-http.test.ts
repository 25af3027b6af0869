import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.ts';
import { startIdentityStitching, type IdentityStitcher } from '../../src/ingest/identity-stitch-loop.ts';
import { createUser, issueApiToken } from '../../src/storage/control/users.ts';
import { testClickHouseTarget } from '../support/clickhouse-target.ts';
import { apiCall, postJson, startTestServer, type TestServer } from '../support/runtime.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * Identity stitching over the HTTP API on a ClickHouse warehouse (features.md A1): the DuckDB
 * scenarios of test/ingest/identity-http.test.ts, with the leader's stitching pass (the loop
 * `rekindle serve` runs, src/ingest/identity-stitch-loop.ts) between the calls, as it runs every
 * REKINDLE_IDENTITY_STITCH_MS.
 */

const NOW = Date.UTC(2026, 5, 1, 10, 0, 0);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

let s: TestServer;
let token: string;
let stitcher: IdentityStitcher;
let dir: ReturnType<typeof tempDir>;
beforeAll(async () => {
  dir = tempDir('rekindle-identity-ch-');
  s = await startTestServer({
    clock: fixedClock(NOW),
    dataDir: dir.dir,
    config: {
      pgliteDir: 'memory://',
      clickhouseWarehouse: testClickHouseTarget(join(dir.dir, 'chdb'), 'identity_http'),
    },
  });
  expect(s.rt.engine.kind).toBe('clickhouse');
  if (s.rt.engine.kind !== 'clickhouse') throw new Error('not on ClickHouse');
  stitcher = startIdentityStitching(s.rt, s.rt.engine.warehouse, {
    everyMs: 0,
    log: { info: () => undefined, error: (o) => console.error(o) },
  });
  const u = await createUser(s.rt.control, { name: 'ops', role: 'operator' });
  if (!u.ok) throw new Error('user exists');
  token = await issueApiToken(s.rt.control, u.value.id);
});
afterAll(async () => {
  await stitcher.stop();
  await s.stop();
  dir.cleanup();
});

const count = async (definition: unknown): Promise<number> => {
  const r = await apiCall(s.url, token, 'POST', '/v1/audiences/preview', { definition });
  expect(r.status).toBe(200);
  return r.json['count'] as number;
};
const rows = (sql: string) => s.rt.warehouse.query(sql);
const stitch = async () => {
  const r = await stitcher.stitchNow();
  expect(r).not.toBeNull();
  return r;
};

describe('identity stitching over HTTP on ClickHouse', () => {
  it('anonymous events then identify: after the pass the audience counts the merged user once, with all events', async () => {
    for (const k of [1, 2, 3]) {
      await postJson(`${s.url}/v1/track`, {
        anonymousId: 'visitor-9',
        event: 'view_item',
        timestamp: iso(NOW - k * DAY),
      });
    }
    const metric = { kind: 'metric', event: 'view_item', fn: 'count', op: 'gte', value: 4 };
    expect(await count({ kind: 'did', event: 'view_item' })).toBe(1);
    const id = await postJson(`${s.url}/v1/identify`, {
      userId: 'member-9',
      anonymousId: 'visitor-9',
      traits: { email: 'm9@example.com' },
    });
    expect(id.json).toMatchObject({ success: true, accepted: 1 });
    await postJson(`${s.url}/v1/track`, { userId: 'member-9', event: 'view_item', timestamp: iso(NOW) });
    // Before the pass the two ids are two users; the pass merges them.
    expect(await count({ kind: 'did', event: 'view_item' })).toBe(2);
    await stitch();
    expect(await count({ kind: 'did', event: 'view_item' })).toBe(1);
    expect(await count(metric)).toBe(1);
    expect(await count({ ...metric, value: 5 })).toBe(0);
    expect(await rows(`SELECT DISTINCT user_id FROM events WHERE event = 'view_item'`)).toEqual([
      { user_id: 'member-9' },
    ]);
    const profiles = await rows(
      `SELECT user_id, email FROM profiles WHERE user_id IN ('visitor-9', 'member-9')`,
    );
    // The anonymous id's profile rows go once they are older than the sweep's margin (30 s).
    expect(profiles).toContainEqual({ user_id: 'member-9', email: 'm9@example.com' });
    const lookup = await apiCall(s.url, token, 'GET', '/v1/users/member-9/churn-risk');
    expect(lookup.status).toBe(200);
  });

  it('an alias cycle is refused in the answer once the first alias was stitched; a replayed batch is idempotent', async () => {
    expect((await postJson(`${s.url}/v1/alias`, { previousId: 'cy-a', userId: 'cy-b' })).status).toBe(200);
    await stitch();
    const cyc = await postJson(`${s.url}/v1/alias`, { previousId: 'cy-b', userId: 'cy-a' });
    expect(cyc.status).toBe(400);
    expect(cyc.json).toMatchObject({
      success: false,
      accepted: 0,
      rejected: 1,
      errors: [
        {
          index: 0,
          field: 'previousId',
          reason: "would make a cycle: userId 'cy-a' is already merged into 'cy-b'",
        },
      ],
    });
    const replay = {
      batch: [
        {
          type: 'track',
          anonymousId: 'rp-anon',
          event: 'login',
          messageId: 'rp-1',
          timestamp: iso(NOW - DAY),
        },
        { type: 'identify', userId: 'rp-user', anonymousId: 'rp-anon', messageId: 'rp-2' },
        { type: 'alias', previousId: 'rp-old', userId: 'rp-user', messageId: 'rp-3' },
        { type: 'page', userId: 'rp-user', name: 'Home', messageId: 'rp-4' },
      ],
    };
    expect((await postJson(`${s.url}/v1/batch`, replay)).json).toMatchObject({ accepted: 4, duplicates: 0 });
    await stitch();
    expect((await postJson(`${s.url}/v1/batch`, replay)).json).toMatchObject({ accepted: 0, duplicates: 4 });
    await stitch();
    expect(
      await rows(`SELECT user_id, event FROM events WHERE message_id LIKE 'rp-%' ORDER BY message_id`),
    ).toEqual([
      { user_id: 'rp-user', event: 'login' },
      { user_id: 'rp-user', event: 'alias' },
      { user_id: 'rp-user', event: 'page' },
    ]);
    expect(
      await rows(
        `SELECT alias_id, canonical_id FROM identity_links WHERE canonical_id = 'rp-user' ORDER BY 1`,
      ),
    ).toEqual([
      { alias_id: 'rp-anon', canonical_id: 'rp-user' },
      { alias_id: 'rp-old', canonical_id: 'rp-user' },
    ]);
  });

  it('an opt-out of the anonymous id holds for the merged user after the pass', async () => {
    await s.rt.control.query(
      `INSERT INTO unsubscribes (workspace_id, user_id, channel, at, source) VALUES ('default', 'oo-anon', 'sms', now(), 'link')`,
    );
    await postJson(`${s.url}/v1/track`, { anonymousId: 'oo-anon', event: 'login' });
    await postJson(`${s.url}/v1/identify`, { userId: 'oo-user', anonymousId: 'oo-anon' });
    await stitch();
    expect(
      await s.rt.control.query(
        `SELECT user_id, channel, source FROM unsubscribes WHERE user_id LIKE 'oo-%' ORDER BY user_id`,
      ),
    ).toEqual([
      { user_id: 'oo-anon', channel: 'sms', source: 'link' },
      { user_id: 'oo-user', channel: 'sms', source: 'identity_merge' },
    ]);
  });
});
