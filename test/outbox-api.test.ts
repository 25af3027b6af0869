import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskUserId } from '../src/core/audience/mask-user-id.ts';
import { planRetry } from '../src/core/delivery/retry-dead-letter.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { approvedCampaign, fillOutbox, webhookContent } from './support/delivery-fixtures.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * The outbox view and dead letters (issue 17): counts by campaign and channel, the oldest
 * pending, dead letters with their reasons in words and the user masked, and the retry: audited,
 * admin/operator only, and refused whenever the message may have reached the user.
 */

const NOW = Date.UTC(2026, 2, 10, 4, 0, 0); // 12:00 in Shanghai
const T0 = NOW - 3_600_000;

let s: TestServer;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};

type DeadLetter = {
  ref: string;
  user: string;
  channel: string;
  reason: string | null;
  attempts: number;
  providerName: string | null;
  reasonWords: { zhCN: string; en: string };
  retry: { possible: boolean; why: { zhCN: string } | null };
};

const setRow = (key: string, sql: string, params: unknown[] = []) =>
  s.rt.control.query(`UPDATE outbox SET ${sql} WHERE idempotency_key = $1`, [key, ...params]);

const statusOf = async (key: string) =>
  (
    await s.rt.control.query<{ status: string; attempts: number; provider_pinned: boolean }>(
      'SELECT status, attempts, provider_pinned FROM outbox WHERE idempotency_key = $1',
      [key],
    )
  )[0];

const auditOf = async (action: string) =>
  (
    await s.rt.control.query<{ actor_id: unknown; object_type: string; object_id: string; details: unknown }>(
      'SELECT actor_id, object_type, object_id, details FROM audit_log WHERE action = $1 ORDER BY id',
      [action],
    )
  ).map((r) => ({ ...r, actor_id: r.actor_id === null ? null : Number(r.actor_id) }));

beforeAll(async () => {
  s = await startTestServer({ clock: () => NOW });
  for (const [name, role] of [
    ['ada', 'admin'],
    ['olga', 'operator'],
    ['vic', 'viewer'],
  ] as const) {
    const u = await createUser(s.rt.control, { name, role });
    if (!u.ok) throw new Error('user');
    ids[name] = u.value.id;
    tokens[name] = await issueApiToken(s.rt.control, u.value.id);
  }
  const db = s.rt.control;
  await approvedCampaign(db, 'cmp_a', [webhookContent('http://127.0.0.1:9/x')]);
  await approvedCampaign(db, 'cmp_gone', [webhookContent('http://127.0.0.1:9/x')]);
  await db.query(`UPDATE campaigns SET status = 'cancelled' WHERE id = 'cmp_gone'`);
  // A provider that does not drop repeated keys (a webhook without `deduplicatesByKey`).
  await db.query(
    `INSERT INTO providers (id, workspace_id, channel, kind, name, priority, rate_per_second, config, secrets_enc, created_at, updated_at)
     VALUES ('prv_hook', 'default', 'webhook', 'webhook', 'Shop hook', 1, 10, '{"url":"http://127.0.0.1:9/x"}', 'x', now(), now())`,
  );
  const row = (key: string, userId: string, campaignId = 'cmp_a', sendAt = T0) => ({
    key,
    campaignId,
    userId,
    channel: 'webhook',
    sendAt,
  });
  await fillOutbox(db, [
    row('k-pending-1', 'u_pending_1', 'cmp_a', T0 - 600_000),
    row('k-pending-2', 'u_pending_2'),
    row('k-leased', 'u_leased'),
    row('k-sent', 'u_sent'),
    row('k-dead-plain', '13812345678'),
    row('k-dead-pinned', 'u_dead_pinned_user'),
    row('k-dead-clicked', 'u_dead_clicked'),
    row('k-dead-cancelled', 'u_dead_cancelled', 'cmp_gone'),
  ]);
  await setRow('k-leased', `status = 'sending', lease_until = $2, claim_token = 't'`, [
    new Date(NOW + 60_000),
  ]);
  await setRow('k-sent', `status = 'sent', sent_at = $2, provider_id = 'prv_hook'`, [new Date(T0)]);
  await setRow(
    'k-dead-plain',
    `status = 'dead', dead_reason = 'max_attempts', attempts = 5, provider_id = 'prv_hook', last_error = 'http_500: server error', final_at = $2`,
    [new Date(NOW - 60_000)],
  );
  await setRow(
    'k-dead-pinned',
    `status = 'dead', dead_reason = 'max_attempts', attempts = 5, provider_id = 'prv_hook', provider_pinned = true, last_error = 'timeout: no answer', final_at = $2`,
    [new Date(NOW - 120_000)],
  );
  await setRow('k-dead-clicked', `status = 'dead', dead_reason = 'E42', attempts = 1, final_at = $2`, [
    new Date(NOW - 180_000),
  ]);
  await setRow('k-dead-cancelled', `status = 'dead', dead_reason = 'campaign_cancelled', final_at = $2`, [
    new Date(NOW - 240_000),
  ]);
  // Someone clicked a link of k-dead-clicked: it reached the user after all.
  await db.query(
    `INSERT INTO link_clicks (code, workspace_id, idempotency_key, at, ua_family) VALUES ('c1', 'default', 'k-dead-clicked', now(), 'Chrome')`,
  );
  // A batch not yet expanded counts as pending.
  await db.query(
    `INSERT INTO outbox_batches (workspace_id, campaign_id, run_id, step, channel, class, send_at, cost_cents, created_at, user_ids)
     VALUES ('default', 'cmp_a', 'run2', 'main', 'webhook', 'marketing', $1, 5, $1, '{b1,b2,b3}')`,
    [new Date(NOW + 3_600_000)],
  );
});

afterAll(async () => {
  await s.stop();
  s.cleanup();
});

describe('outbox API', () => {
  it('counts messages by campaign, channel and status, batches included, with the oldest pending', async () => {
    const r = await apiCall(s.url, tokens['vic'] ?? '', 'GET', '/v1/outbox/summary');
    expect(r.status).toBe(200);
    const rows = r.json['rows'] as { campaignId: string; campaignName: string }[];
    expect(rows.find((x) => x.campaignId === 'cmp_a')).toMatchObject({
      campaignName: 'cmp_a',
      channel: 'webhook',
      pending: 5,
      leased: 1,
      sent: 1,
      dead: 3,
      oldestPendingDue: new Date(T0 - 600_000).toISOString(),
    });
    expect(r.json['totals']).toMatchObject({ pending: 5, leased: 1, sent: 1, dead: 4 });
  });

  it('lists dead letters newest first with the user masked, the provider and the reason in words', async () => {
    const r = await apiCall(s.url, tokens['vic'] ?? '', 'GET', '/v1/outbox/dead-letters');
    expect(r.status).toBe(200);
    const list = r.json['deadLetters'] as DeadLetter[];
    expect(list.map((d) => d.reason)).toEqual(['max_attempts', 'max_attempts', 'E42', 'campaign_cancelled']);
    const [plain, pinned, clicked, cancelled] = list;
    expect(plain).toMatchObject({ user: '138****5678', providerName: 'Shop hook', attempts: 5 });
    expect(plain?.reasonWords.zhCN).toBe('多次重试后仍失败，已放弃');
    expect(plain?.retry).toEqual({ possible: true, why: null });
    expect(JSON.stringify(list)).not.toContain('13812345678');
    expect(JSON.stringify(list)).not.toContain('u_dead_pinned_user');
    expect(pinned?.user).toBe('u_d***er');
    expect(pinned?.retry.possible).toBe(false);
    expect(pinned?.retry.why?.zhCN).toContain('不按幂等键去重');
    expect(clicked?.reasonWords.en).toBe('the provider refused it (code E42)');
    expect(cancelled?.retry.possible).toBe(false);
    const only = await apiCall(
      s.url,
      tokens['vic'] ?? '',
      'GET',
      '/v1/outbox/dead-letters?campaignId=cmp_gone',
    );
    expect((only.json['deadLetters'] as DeadLetter[]).map((d) => d.reason)).toEqual(['campaign_cancelled']);
  });

  it('retries a dead letter only for admins and operators, audited, once', async () => {
    const list = (await apiCall(s.url, tokens['vic'] ?? '', 'GET', '/v1/outbox/dead-letters')).json[
      'deadLetters'
    ] as DeadLetter[];
    const ref = list[0]?.ref ?? '';
    const refused = await apiCall(
      s.url,
      tokens['vic'] ?? '',
      'POST',
      `/v1/outbox/dead-letters/${ref}/retry`,
      {},
    );
    expect(refused.status).toBe(403);
    expect((await statusOf('k-dead-plain'))?.status).toBe('dead');
    // The refusal itself is in the audit log: who, which route, why.
    const denied = await auditOf('access.refused');
    expect(denied.at(-1)).toMatchObject({
      actor_id: ids['vic'],
      object_type: 'route',
      object_id: 'POST /v1/outbox/dead-letters/:ref/retry',
    });

    const done = await apiCall(
      s.url,
      tokens['olga'] ?? '',
      'POST',
      `/v1/outbox/dead-letters/${ref}/retry`,
      {},
    );
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ campaignId: 'cmp_a', channel: 'webhook', keepPin: false });
    expect(await statusOf('k-dead-plain')).toMatchObject({ status: 'pending', attempts: 0 });
    const audit = await auditOf('outbox.retry');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: ids['olga'], object_type: 'message', object_id: ref });
    expect(JSON.stringify(audit[0]?.details)).not.toContain('13812345678');
    // A second retry finds no dead letter: nothing is queued twice.
    const again = await apiCall(
      s.url,
      tokens['ada'] ?? '',
      'POST',
      `/v1/outbox/dead-letters/${ref}/retry`,
      {},
    );
    expect(again.status).toBe(404);
    expect(await auditOf('outbox.retry')).toHaveLength(1);
  });

  it('refuses a retry when the message may have reached the user or its campaign was cancelled', async () => {
    const list = (await apiCall(s.url, tokens['ada'] ?? '', 'GET', '/v1/outbox/dead-letters')).json[
      'deadLetters'
    ] as DeadLetter[];
    for (const d of list) {
      const r = await apiCall(
        s.url,
        tokens['ada'] ?? '',
        'POST',
        `/v1/outbox/dead-letters/${d.ref}/retry`,
        {},
      );
      expect([d.reason, r.status]).toEqual([d.reason, 409]);
    }
    for (const key of ['k-dead-pinned', 'k-dead-clicked', 'k-dead-cancelled'])
      expect((await statusOf(key))?.status).toBe('dead');
    expect(await auditOf('outbox.retry')).toHaveLength(1);
  });

  it('keeps the pin when the provider drops repeated keys: only it gets the message, with the same key', async () => {
    await s.rt.control.query(
      `UPDATE providers SET config = '{"url":"http://127.0.0.1:9/x","deduplicatesByKey":true}' WHERE id = 'prv_hook'`,
    );
    const list = (await apiCall(s.url, tokens['ada'] ?? '', 'GET', '/v1/outbox/dead-letters')).json[
      'deadLetters'
    ] as DeadLetter[];
    const pinned = list.find((d) => d.user === 'u_d***er');
    expect(pinned?.retry.possible).toBe(true);
    const r = await apiCall(
      s.url,
      tokens['ada'] ?? '',
      'POST',
      `/v1/outbox/dead-letters/${pinned?.ref ?? ''}/retry`,
      {},
    );
    expect(r.json).toMatchObject({ keepPin: true });
    expect(await statusOf('k-dead-pinned')).toMatchObject({ status: 'pending', provider_pinned: true });
  });
});

describe('planRetry (pure)', () => {
  const base = {
    reason: 'max_attempts',
    campaignStatus: 'running',
    pinned: false,
    providerDedupes: false,
    evidence: [],
  };
  it('allows a plain dead letter, keeping a pin only where the provider drops repeated keys', () => {
    expect(planRetry(base)).toEqual({ ok: true, keepPin: false });
    expect(planRetry({ ...base, pinned: true, providerDedupes: true })).toEqual({ ok: true, keepPin: true });
    expect(planRetry({ ...base, pinned: true }).ok).toBe(false);
  });
  it('refuses whatever may have reached the user, a cancelled campaign and an opt-out', () => {
    for (const evidence of [['receipt'], ['click'], ['inbox']])
      expect(planRetry({ ...base, evidence }).ok).toBe(false);
    expect(planRetry({ ...base, campaignStatus: 'cancelled' }).ok).toBe(false);
    expect(planRetry({ ...base, campaignStatus: null }).ok).toBe(false);
    expect(planRetry({ ...base, reason: 'unsubscribed' }).ok).toBe(false);
    expect(planRetry({ ...base, campaignStatus: 'finished' }).ok).toBe(true);
  });
  it('masks user ids shaped like contacts as contacts, others to their ends', () => {
    expect(maskUserId('+8613812345678')).toBe('138****5678');
    expect(maskUserId('lisa@example.com')).toBe('l***@example.com');
    expect(maskUserId('u_1234567')).toBe('u_1***67');
    expect(maskUserId('u1')).toBe('**');
  });
});
