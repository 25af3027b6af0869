import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotMembers } from '../src/audience/saved-audiences.ts';
import { loadConfig } from '../src/config.ts';
import { DEFAULT_RETENTION_DAYS, type RetentionDays } from '../src/core/retention/policy.ts';
import { shipFacts } from '../src/facts/ship.ts';
import { runRetention } from '../src/retention/retention.ts';
import { openRuntime, type Runtime } from '../src/runtime.ts';
import { approvedCampaign } from './support/delivery-fixtures.ts';
import { tempDir } from './support/tmp.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12);
const OLD = NOW - 400 * DAY;
const RECENT = NOW - 1 * DAY;

/** Only `table` is pruned; the others are kept for ever, so each test sees one table's rule. */
const only = (table: keyof RetentionDays, days = 30): RetentionDays => ({
  messageLog: 0,
  linkClicks: 0,
  earlyReceipts: 0,
  jobs: 0,
  snapshotMembers: 0,
  planDecisions: 0,
  [table]: days,
});

const tmp = tempDir('rekindle-retention-');
let rt: Runtime;

beforeAll(async () => {
  rt = await openRuntime(loadConfig({}, { dataDir: tmp.dir, logLevel: 'error' }), { clock: () => NOW });
}, 60_000);
afterAll(async () => {
  await rt.close();
  tmp.cleanup();
});

const count = async (sql: string, params: unknown[] = []): Promise<number> =>
  Number((await rt.control.query<{ n: string | number }>(sql, params))[0]?.n ?? 0);
const whCount = async (sql: string): Promise<number> => Number(await rt.warehouse.scalar<bigint>(sql));

describe('retention (PGlite control plane, DuckDB warehouse)', () => {
  it('message_log: deletes old rows already shipped to the warehouse, keeps unshipped and recent ones', async () => {
    const log = (key: string, at: number) =>
      rt.control.query(
        `INSERT INTO message_log (workspace_id, idempotency_key, campaign_id, run_id, step, user_id, channel, kind, at)
         VALUES ('default', $1, 'c', 'r', 'main', 'u', 'push', 'sent', $2) RETURNING seq`,
        [key, new Date(at)],
      );
    await log('ml-old-1', OLD);
    await log('ml-old-2', OLD);
    expect((await shipFacts(rt.control, rt.warehouse, { clock: () => NOW })).shipped).toBe(2);
    // Written after the last shipping pass: old, but not in the warehouse yet.
    await log('ml-old-unshipped', OLD);
    await log('ml-recent', RECENT);

    const r = await runRetention(rt, only('messageLog'), NOW);

    expect(r.messageLog).toBe(2);
    const left = await rt.control.query<{ idempotency_key: string }>(
      `SELECT idempotency_key FROM message_log WHERE idempotency_key LIKE 'ml-%' ORDER BY seq`,
    );
    expect(left.map((x) => x.idempotency_key)).toEqual(['ml-old-unshipped', 'ml-recent']);
    // The facts stay, and the unshipped row still ships afterwards (the cursor is the warehouse's).
    expect(await whCount(`SELECT count(*) FROM message_facts WHERE message_id LIKE 'ml-old-%'`)).toBe(2);
    expect((await shipFacts(rt.control, rt.warehouse, { clock: () => NOW })).shipped).toBe(2);
    expect(await whCount(`SELECT count(*) FROM message_facts WHERE message_id LIKE 'ml-%'`)).toBe(4);
  });

  it('link_clicks: deletes clicks older than the setting, keeps recent ones', async () => {
    const click = (key: string, at: number) =>
      rt.control.query(
        `INSERT INTO link_clicks (code, workspace_id, idempotency_key, at, ua_family) VALUES ('abc', 'default', $1, $2, 'chrome')`,
        [key, new Date(at)],
      );
    await click('lc-old', NOW - 91 * DAY);
    await click('lc-kept', NOW - 89 * DAY);
    const r = await runRetention(rt, only('linkClicks', 90), NOW);
    expect(r.linkClicks).toBe(1);
    const left = await rt.control.query<{ idempotency_key: string }>(
      'SELECT idempotency_key FROM link_clicks',
    );
    expect(left.map((x) => x.idempotency_key)).toEqual(['lc-kept']);
  });

  it('early_receipts: deletes old receipts no unsettled message waits for, keeps the awaited and the recent', async () => {
    const outbox = (key: string, status: string, pmid: string | null) =>
      rt.control.query(
        `INSERT INTO outbox (idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class,
                             send_at, cost_cents, status, created_at, provider_id, provider_message_id)
         VALUES ($1, 'default', 'c', 'r', 'main', 'u', 'sms', 'marketing', $2, 0, $3, $2, 'p1', $4)`,
        [key, new Date(OLD), status, pmid],
      );
    await outbox('er-sending', 'sending', null);
    await outbox('er-by-pmid', 'pending', 'vendor-42');
    await outbox('er-delivered', 'delivered', null);
    const receipt = (key: string | null, pmid: string | null, at: number) =>
      rt.control.query(
        `INSERT INTO early_receipts (workspace_id, provider_id, provider_message_id, idempotency_key, status, at, received_at)
         VALUES ('default', 'p1', $1, $2, 'delivered', $3, $3)`,
        [pmid, key, new Date(at)],
      );
    await receipt('er-sending', null, OLD); // its message is still being sent: kept
    await receipt(null, 'vendor-42', OLD); // names a pending message by the vendor's id: kept
    await receipt('er-delivered', null, OLD); // its message settled long ago: deleted
    await receipt('er-unknown', null, OLD); // no such message: deleted
    await receipt('er-unknown-recent', null, RECENT); // too young: kept
    const r = await runRetention(rt, only('earlyReceipts', 7), NOW);
    expect(r.earlyReceipts).toBe(2);
    const left = await rt.control.query<{
      idempotency_key: string | null;
      provider_message_id: string | null;
    }>('SELECT idempotency_key, provider_message_id FROM early_receipts ORDER BY id');
    expect(left.map((x) => x.idempotency_key ?? x.provider_message_id)).toEqual([
      'er-sending',
      'vendor-42',
      'er-unknown-recent',
    ]);
  });

  it('jobs: deletes old finished jobs, never a running one', async () => {
    const job = (id: string, status: string, finishedAt: number | null) =>
      rt.control.query(
        `INSERT INTO jobs (id, workspace_id, kind, started_by, status, phase, started_at, finished_at, owner, heartbeat_at)
         VALUES ($1, 'default', $2, 1, $3, 'x', $4, $5, 'test', $4)`,
        [id, id, status, new Date(OLD), finishedAt === null ? null : new Date(finishedAt)],
      );
    await job('job-old-done', 'done', OLD);
    await job('job-old-failed', 'failed', OLD);
    await job('job-old-running', 'running', null);
    await job('job-recent-done', 'done', RECENT);
    const r = await runRetention(rt, only('jobs'), NOW);
    expect(r.jobs).toBe(2);
    const left = await rt.control.query<{ id: string }>('SELECT id FROM jobs ORDER BY id');
    expect(left.map((x) => x.id)).toEqual(['job-old-running', 'job-recent-done']);
  });

  it("audience snapshot members: deletes old snapshots' members, keeps a live campaign's current snapshot and recent ones", async () => {
    const [owner] = await rt.control.query<{ id: string }>(
      `INSERT INTO users (workspace_id, name, role) VALUES ('default', 'snap-owner', 'operator') RETURNING id`,
    );
    await rt.control.query(
      `INSERT INTO audiences (id, workspace_id, name, definition, owner_id, created_at, updated_at)
       VALUES ('aud', 'default', 'aud', '{}'::jsonb, $1, $2, $2)`,
      [owner?.id, new Date(OLD)],
    );
    await approvedCampaign(rt.control, 'cmp-live', []);
    await approvedCampaign(rt.control, 'cmp-done', []);
    await rt.control.query(`UPDATE campaigns SET status = 'running' WHERE id = 'cmp-live'`);
    await rt.control.query(`UPDATE campaigns SET status = 'finished' WHERE id = 'cmp-done'`);
    const snapshot = async (id: string, at: number, run?: { campaign: string; slot: number }) => {
      await rt.control.query(
        `INSERT INTO audience_snapshots (id, workspace_id, audience_id, audience_version, definition, as_of, taken_at, member_count, purpose)
         VALUES ($1, 'default', 'aud', 1, '{}'::jsonb, $2, $2, 2, 'campaign')`,
        [id, new Date(at)],
      );
      await rt.warehouse.write(`INSERT INTO audience_snapshot_members VALUES ($1, 'u1'), ($1, 'u2')`, [id]);
      if (run)
        await rt.control.query(
          `INSERT INTO campaign_runs (id, campaign_id, slot_at, snapshot_id, planned_at, members, messages, holdout, skipped, spend_cents)
           VALUES ($1, $2, $3, $1, $3, 2, 0, 0, 0, 0)`,
          [id, run.campaign, new Date(run.slot)],
        );
    };
    await snapshot('snap-live-earlier', OLD, { campaign: 'cmp-live', slot: OLD });
    await snapshot('snap-live-current', OLD + DAY, { campaign: 'cmp-live', slot: OLD + DAY });
    await snapshot('snap-done-last', OLD, { campaign: 'cmp-done', slot: OLD + 2 * DAY });
    await snapshot('snap-manual-old', OLD);
    await snapshot('snap-recent', RECENT);

    const r = await runRetention(rt, only('snapshotMembers'), NOW);

    expect(r).toMatchObject({ snapshots: 3, snapshotMembers: 6 });
    const members = await rt.warehouse.query<{ snapshot_id: string }>(
      'SELECT DISTINCT snapshot_id FROM audience_snapshot_members ORDER BY snapshot_id',
    );
    expect(members.map((m) => m.snapshot_id)).toEqual(['snap-live-current', 'snap-recent']);
    // The rows stay (who took them, when, how many) and say their members are gone.
    const rows = await rt.control.query<{ id: string; purged: Date | null }>(
      'SELECT id, members_purged_at AS purged FROM audience_snapshots ORDER BY id',
    );
    expect(
      Object.fromEntries(rows.map((x) => [x.id, x.purged === null ? null : new Date(x.purged).getTime()])),
    ).toEqual({
      'snap-done-last': NOW,
      'snap-live-current': null,
      'snap-live-earlier': NOW,
      'snap-manual-old': NOW,
      'snap-recent': null,
    });
    // Asking for the deleted members says so, instead of an empty list.
    const actor = {
      userId: Number(owner?.id),
      workspaceId: 'default',
      name: 'snap-owner',
      role: 'operator' as const,
    };
    const gone = await snapshotMembers(rt, actor, 'snap-manual-old', { limit: 10 });
    expect(gone.ok ? null : gone.error).toMatchObject({
      type: 'conflict',
      reason: expect.stringMatching(/deleted by retention/),
    });
    const kept = await snapshotMembers(rt, actor, 'snap-recent', { limit: 10 });
    expect(kept.ok && kept.value.userIds).toEqual(['u1', 'u2']);
    // A second pass finds nothing more to do.
    expect((await runRetention(rt, only('snapshotMembers'), NOW)).snapshots).toBe(0);
  });

  it("plan decisions: deletes old skips, keeps holdouts, a live campaign's ladder skips and recent decisions", async () => {
    // Campaigns from the snapshot test: cmp-live is running, cmp-done finished.
    const group = (
      campaign: string,
      at: number,
      decision: string,
      reason: string | null,
      detail: string | null,
    ) =>
      rt.warehouse.write(
        `INSERT INTO plan_decision_groups VALUES ('run', $1, $2::TIMESTAMP, $3, $4, $5, ['a', 'b'])`,
        [campaign, new Date(at).toISOString(), decision, reason, detail],
      );
    await group('cmp-live', OLD, 'skipped', 'cap', null); // deleted
    await group('cmp-live', OLD, 'holdout', null, null); // the campaign's control group: kept
    await group('cmp-live', OLD, 'holdout', 'global_control', null); // the global control: kept
    await group('cmp-live', OLD, 'skipped', 'cap', 'ladder step 2'); // the live ladder reads it: kept
    await group('cmp-done', OLD, 'skipped', 'cap', 'ladder step 2'); // finished campaign: deleted
    await group('cmp-live', RECENT, 'skipped', 'opt_out', null); // recent: kept
    await rt.warehouse.write(
      `INSERT INTO plan_decisions VALUES ('run', 'cmp-live', $1::TIMESTAMP, 'x', 'skipped', 'budget', NULL),
                                         ('run', 'cmp-live', $1::TIMESTAMP, 'y', 'holdout', NULL, NULL)`,
      [new Date(OLD).toISOString()],
    );

    const r = await runRetention(rt, only('planDecisions', 90), NOW);

    expect(r.planDecisions).toBe(3);
    const left = await rt.warehouse.query<{
      campaign_id: string;
      decision: string;
      reason: string | null;
      detail: string | null;
      n: bigint;
    }>(
      `SELECT campaign_id, decision, reason, detail, count(*) AS n FROM decided_members
       GROUP BY ALL ORDER BY campaign_id, decision, reason NULLS FIRST, detail NULLS FIRST`,
    );
    expect(left.map((x) => [x.campaign_id, x.decision, x.reason, x.detail, Number(x.n)])).toEqual([
      ['cmp-live', 'holdout', null, null, 3],
      ['cmp-live', 'holdout', 'global_control', null, 2],
      ['cmp-live', 'skipped', 'cap', 'ladder step 2', 2],
      ['cmp-live', 'skipped', 'opt_out', null, 2],
    ]);
  });

  it('keeps everything with every setting 0, and refuses a message-log setting shorter than the alert window', async () => {
    const before = await count('SELECT count(*) AS n FROM message_log');
    await runRetention(rt, only('messageLog', 0), NOW + 1000 * DAY);
    expect(await count('SELECT count(*) AS n FROM message_log')).toBe(before);
    expect(loadConfig({}).retention).toEqual(DEFAULT_RETENTION_DAYS);
    expect(loadConfig({ REKINDLE_RETENTION_MESSAGE_LOG_DAYS: '0' }).retention.messageLog).toBe(0);
    expect(loadConfig({ REKINDLE_RETENTION_JOBS_DAYS: '3' }).retention.jobs).toBe(3);
    expect(() => loadConfig({ REKINDLE_RETENTION_MESSAGE_LOG_DAYS: '7' })).toThrow(/at least 8/);
  });
});
