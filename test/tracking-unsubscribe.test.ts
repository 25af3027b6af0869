import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { createCampaignAs, reviewCampaignAs, submitCampaignAs } from '../src/campaigns/campaigns.ts';
import { signUnsubscribe, type UnsubscribeClaim } from '../src/core/tracking/unsubscribe-token.ts';
import { pageLanguage } from '../src/core/tracking/unsubscribe-page.ts';
import { runSlot } from '../src/planner/run-slot.ts';
import { readMessageLog } from '../src/storage/control/message-log.ts';
import type { SqlClient } from '../src/storage/control/sql-client.ts';
import { workspaceSecret } from '../src/storage/control/workspace-secrets.ts';
import { unsubscribeByToken } from '../src/tracking/unsubscribe.ts';
import { makeActor } from './support/planner-scenario.ts';
import { openScenario, profile, seed, type ScenarioStore } from './support/score-scenario.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * One-click unsubscribe (RFC 8058) on a real server: GET only shows a page, POST unsubscribes the
 * signed user from the signed channel once, anything tampered or foreign is refused with nothing
 * recorded; then the planner (real stores) leaves the user out on that channel.
 */

const NOW = Date.UTC(2026, 10, 20, 12);
const KEY = 'c1:r1:0:u1';
const claim: UnsubscribeClaim = { workspaceId: 'default', userId: 'u1', channel: 'sms', idempotencyKey: KEY };

let server: TestServer;
let secret: string;

beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
  const db = server.rt.control;
  secret = await workspaceSecret(db, 'default', 'unsubscribe');
  await db.query(
    `INSERT INTO outbox (idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class, variant,
       send_at, cost_cents, status, created_at)
     VALUES ($1, 'default', 'c1', 'r1', '0', 'u1', 'sms', 'marketing', NULL, $2, 5, 'sent', $2)`,
    [KEY, new Date(NOW)],
  );
  await db.query(`INSERT INTO workspaces (id, name) VALUES ('other', 'Another product')`);
});

afterAll(async () => {
  await server.stop();
  server.cleanup();
});

const oneClick = (token: string, body = 'List-Unsubscribe=One-Click', headers: Record<string, string> = {}) =>
  fetch(`${server.url}/u/${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });

const recorded = async (db: SqlClient) => ({
  unsubscribes: await db.query<{ user_id: string; channel: string; source: string; at: Date }>(
    'SELECT user_id, channel, source, at FROM unsubscribes ORDER BY user_id, channel',
  ),
  log: (await readMessageLog(db, 0, 100)).filter((e) => e.kind === 'unsubscribed'),
});

/** Replaces one character of the token's payload (i = 0) or signature (i = 1) part. */
const tamper = (token: string, part: 0 | 1): string => {
  const parts = token.split('.');
  const s = parts[part] ?? '';
  const at = Math.floor(s.length / 2);
  parts[part] = s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
  return parts.join('.');
};

describe('/u/:token', () => {
  it('GET shows a confirmation page (Chinese by default, English when preferred) and records nothing', async () => {
    const token = signUnsubscribe(secret, claim);
    const zh = await fetch(`${server.url}/u/${token}`);
    expect(zh.status).toBe(200);
    const zhText = await zh.text();
    expect(zhText).toContain('lang="zh-CN"');
    expect(zhText).toContain('确认退订');
    expect(zhText).toContain('短信');
    expect(zhText).toContain('name="List-Unsubscribe" value="One-Click"');
    const en = await fetch(`${server.url}/u/${token}`, {
      headers: { 'accept-language': 'en-GB,en;q=0.9,zh;q=0.5' },
    });
    expect(await en.text()).toContain('Stop receiving our marketing messages by SMS?');
    expect((await recorded(server.rt.control)).unsubscribes).toEqual([]);
  });

  it('refuses tampered payloads, tampered signatures and tokens signed by another workspace; records nothing', async () => {
    const token = signUnsubscribe(secret, claim);
    const otherSecret = await workspaceSecret(server.rt.control, 'other', 'unsubscribe');
    const forged = [
      tamper(token, 0),
      tamper(token, 1),
      // Claims workspace 'default' but was signed with the other workspace's secret.
      signUnsubscribe(otherSecret, claim),
      // Claims a workspace that has no secret (and does not exist).
      signUnsubscribe(otherSecret, { ...claim, workspaceId: 'nope' }),
      token.split('.')[0] ?? '',
      'not-a-token',
    ];
    for (const t of forged) {
      const page = await fetch(`${server.url}/u/${t}`);
      expect(page.status, t).toBe(400);
      const post = await oneClick(t);
      expect(post.status, t).toBe(400);
      expect(await post.text()).toContain('这个退订链接无效');
    }
    const en = await oneClick(tamper(token, 1), undefined, { 'accept-language': 'en' });
    expect(await en.text()).toContain('This unsubscribe link is not valid');
    expect(await recorded(server.rt.control)).toEqual({ unsubscribes: [], log: [] });
  });

  it('POST without the RFC 8058 body is refused', async () => {
    const r = await oneClick(signUnsubscribe(secret, claim), 'List-Unsubscribe=Maybe');
    expect(r.status).toBe(400);
    expect((await recorded(server.rt.control)).unsubscribes).toEqual([]);
  });

  it('POST unsubscribes the user from the channel and logs it once; replays change nothing', async () => {
    const token = signUnsubscribe(secret, claim);
    const first = await oneClick(token);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('已退订');
    // A replay, and the same link posted as multipart by another mail client.
    expect((await oneClick(token)).status).toBe(200);
    const multipart = new FormData();
    multipart.set('List-Unsubscribe', 'One-Click');
    expect((await fetch(`${server.url}/u/${token}`, { method: 'POST', body: multipart })).status).toBe(200);

    const r = await recorded(server.rt.control);
    expect(r.unsubscribes).toEqual([{ user_id: 'u1', channel: 'sms', source: 'link', at: new Date(NOW) }]);
    expect(r.log).toHaveLength(1);
    expect(r.log[0]).toMatchObject({
      idempotencyKey: KEY,
      campaignId: 'c1',
      runId: 'r1',
      userId: 'u1',
      channel: 'sms',
      at: NOW,
      properties: { channel: 'sms', source: 'link' },
    });
  });
});

describe('pageLanguage', () => {
  it('is English only when English is preferred', () => {
    expect(pageLanguage(undefined)).toBe('zh-CN');
    expect(pageLanguage('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(pageLanguage('en-US,en;q=0.9')).toBe('en');
    expect(pageLanguage('zh;q=0.5, en;q=0.8')).toBe('en');
    expect(pageLanguage('fr')).toBe('zh-CN');
  });
});

describe('the planner after a link unsubscribe', () => {
  let store: ScenarioStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('skips the user on that channel and still reaches them on another', async () => {
    const s = await openScenario();
    store = s;
    s.setNow(NOW);
    const base = {
      acquisition_channel: 'distribution',
      timezone: 'Asia/Shanghai',
      consent_sms: true,
    } as const;
    await seed(s.warehouse, [
      profile('u1', NOW - 100 * 86_400_000, { ...base, phone: '13800000001', push_token: 't1' }),
      profile('u2', NOW - 100 * 86_400_000, { ...base, phone: '13800000002', push_token: 't2' }),
    ]);
    const op = await makeActor(s.control, 'olga', 'operator');
    const rev = await makeActor(s.control, 'rita', 'reviewer');
    const aud = await createSavedAudience(s, op, {
      name: 'Distribution users',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    if (!aud.ok) throw new Error('audience');
    const c = await createCampaignAs(s, op, {
      name: 'SMS first',
      definition: {
        audienceId: aud.value.id,
        timing: { kind: 'one_off', at: new Date(NOW).toISOString() },
        channels: ['sms', 'push'],
        content: [
          {
            channel: 'sms',
            text: '您的专属券已到账 https://example.com/a 回T退订',
            signature: '【Rekindle】',
          },
          { channel: 'push', title: '好久不见', body: '回来看看', landingUrl: 'https://example.com/a' },
        ],
        holdoutShare: 0,
      },
    });
    if (!c.ok) throw new Error(JSON.stringify(c.error));
    await submitCampaignAs(s, op, c.value.id, 1);
    const r = await reviewCampaignAs(s, rev, c.value.id, { decision: 'approve', version: 1 });
    if (!r.ok) throw new Error(JSON.stringify(r.error));

    const token = signUnsubscribe(await workspaceSecret(s.control, 'default', 'unsubscribe'), claim);
    const u = await unsubscribeByToken(s, token);
    expect(u.ok && u.value.alreadyUnsubscribed).toBe(false);

    await runSlot(s, 'default', NOW);
    const outbox = await s.control.query<{ user_id: string; channel: string }>(
      'SELECT user_id, channel FROM outbox ORDER BY user_id',
    );
    expect(outbox).toEqual([
      { user_id: 'u1', channel: 'push' },
      { user_id: 'u2', channel: 'sms' },
    ]);
  });
});
