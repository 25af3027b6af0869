import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkCode } from '../src/core/tracking/link-code.ts';
import { userAgentFamily } from '../src/core/tracking/user-agent.ts';
import { readMessageLog } from '../src/storage/control/message-log.ts';
import { saveShortLinks } from '../src/storage/control/short-links.ts';
import type { SqlClient } from '../src/storage/control/sql-client.ts';
import { workspaceSecret } from '../src/storage/control/workspace-secrets.ts';
import { settleClickJournals } from '../src/tracking/click-journal.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Short links on a real server (PGlite control plane, loopback HTTP): the redirect goes to the
 * stored URL whatever the request says, every click is kept (hashed IP, browser family), and the
 * message log gets one `clicked` per message however often and however concurrently it is hit.
 */

const NOW = Date.UTC(2026, 10, 20, 12);
const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2f) NetType/WIFI Language/zh_CN';

let server: TestServer;

const addMessage = async (db: SqlClient, key: string, userId: string) =>
  db.query(
    `INSERT INTO outbox (idempotency_key, workspace_id, campaign_id, run_id, step, user_id, channel, class, variant,
       send_at, cost_cents, status, created_at)
     VALUES ($1, 'default', 'c1', 'r1', '0', $2, 'sms', 'marketing', 'B', $3, 5, 'sent', $3)`,
    [key, userId, new Date(NOW)],
  );

const links: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
  const db = server.rt.control;
  const secret = await workspaceSecret(db, 'default', 'tracking');
  await addMessage(db, 'c1:r1:0:u1', 'u1');
  await addMessage(db, 'c1:r1:0:u2', 'u2');
  const urls = {
    u1a: ['c1:r1:0:u1', 0, 'https://shop.example.com/back?from=sms&x=1'],
    u1b: ['c1:r1:0:u1', 1, 'https://shop.example.com/coupons'],
    u2a: ['c1:r1:0:u2', 0, 'https://shop.example.com/back?from=sms&x=2'],
    bad: ['c1:r1:0:u2', 1, 'javascript:alert(1)'],
  } as const;
  for (const [name, [key, i]] of Object.entries(urls)) links[name] = linkCode(secret, key, i);
  await saveShortLinks(
    db,
    Object.entries(urls).map(([name, [key, , url]]) => ({
      code: links[name] ?? '',
      workspaceId: 'default',
      idempotencyKey: key,
      url,
    })),
    NOW,
  );
});

afterAll(async () => {
  await server.stop();
  server.cleanup();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { redirect: 'manual', headers });

// Acknowledged clicks are journaled; the control plane has them a moment later (settled here).
const clicks = async (key: string) => {
  await settleClickJournals();
  return server.rt.control.query<{ code: string; ua_family: string; ip_hash: string | null; at: Date }>(
    'SELECT code, ua_family, ip_hash, at FROM link_clicks WHERE idempotency_key = $1 ORDER BY id',
    [key],
  );
};

describe('GET /l/:code', () => {
  it('redirects to the stored URL, records the click and logs the first click of the message once', async () => {
    const r = await get(`/l/${links['u1a']}`, { 'user-agent': WECHAT_UA });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('https://shop.example.com/back?from=sms&x=1');
    expect(r.headers.get('cache-control')).toBe('no-store');
    // The other link of the same message, and the first again: clicks, but the message was clicked already.
    expect((await get(`/l/${links['u1b']}`, { 'user-agent': 'curl/8.5.0' })).status).toBe(302);
    expect((await get(`/l/${links['u1a']}`, { 'user-agent': 'Bookmark opener/1.0' })).status).toBe(302);

    const rows = await clicks('c1:r1:0:u1');
    expect(rows.map((c) => [c.code, c.ua_family])).toEqual([
      [links['u1a'], 'wechat'],
      [links['u1b'], 'curl'],
      [links['u1a'], 'other'],
    ]);
    expect(rows[0]?.at.getTime()).toBe(NOW);
    // The address is kept only as a keyed hash: the same client hashes the same, the raw IP is nowhere.
    expect(new Set(rows.map((c) => c.ip_hash)).size).toBe(1);
    expect(rows[0]?.ip_hash).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const raw = await server.rt.control.query("SELECT 1 FROM link_clicks WHERE ip_hash LIKE '%127.0.0.1%'");
    expect(raw).toHaveLength(0);

    const log = (await readMessageLog(server.rt.control, 0, 100)).filter((e) => e.kind === 'clicked');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      idempotencyKey: 'c1:r1:0:u1',
      campaignId: 'c1',
      runId: 'r1',
      step: '0',
      variant: 'B',
      userId: 'u1',
      channel: 'sms',
      at: NOW,
      properties: { code: links['u1a'], uaFamily: 'wechat' },
    });
  });

  it('logs one click per message under concurrent clicks, and keeps every click', async () => {
    const codes = Array.from({ length: 30 }, () => links['u2a'] ?? '');
    const answers = await Promise.all(codes.map((c) => get(`/l/${c}`)));
    expect(answers.map((a) => a.status)).toEqual(codes.map(() => 302));
    expect(await clicks('c1:r1:0:u2')).toHaveLength(30);
    const log = (await readMessageLog(server.rt.control, 0, 1000)).filter(
      (e) => e.kind === 'clicked' && e.idempotencyKey === 'c1:r1:0:u2',
    );
    expect(log).toHaveLength(1);
  });

  it('never redirects anywhere but the stored URL: no open redirect', async () => {
    const stored = 'https://shop.example.com/back?from=sms&x=1';
    for (const path of [
      `/l/${links['u1a']}?url=https://evil.example`,
      `/l/${links['u1a']}?redirect=//evil.example&next=https%3A%2F%2Fevil.example`,
    ]) {
      const r = await get(path);
      expect(r.status).toBe(302);
      expect(r.headers.get('location')).toBe(stored);
    }
    for (const path of [
      '/l///evil.example',
      '/l/%2F%2Fevil.example',
      '/l/https:%2F%2Fevil.example',
      `/l/${links['u1a']}%2F%2Fevil.example`,
      `/l/${links['u1a']}/..%2F..%2Fevil`,
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.headers.get('location'), path).toBeNull();
    }
    expect((await get('//evil.example')).headers.get('location')).toBeNull();
  });

  it('answers 404 with a page for unknown codes, malformed codes and stored non-web URLs', async () => {
    const before = (await server.rt.control.query('SELECT count(*)::int AS n FROM link_clicks'))[0];
    for (const code of ['AAAAAAAAAAAA', 'short', 'x'.repeat(90), links['bad'] ?? '']) {
      const r = await get(`/l/${code}`);
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toContain('text/html');
      expect(r.headers.get('location')).toBeNull();
      expect(await r.text()).toContain('链接无效');
    }
    // Longer than a route parameter may be: Fastify's own 404 or 414 (URI too long, depending on
    // how its router gives up), never a redirect, and no click recorded.
    expect([404, 414]).toContain((await get(`/l/${'x'.repeat(200)}`)).status);
    const after = (await server.rt.control.query('SELECT count(*)::int AS n FROM link_clicks'))[0];
    expect(after).toEqual(before);
  });
});

describe('userAgentFamily', () => {
  it('names in-app browsers before the engines their user agents also mention', () => {
    expect(userAgentFamily(WECHAT_UA)).toBe('wechat');
    expect(
      userAgentFamily(
        'Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
      ),
    ).toBe('chrome');
    expect(
      userAgentFamily(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
      ),
    ).toBe('safari');
    expect(userAgentFamily('Mozilla/5.0 (compatible; Googlebot/2.1)')).toBe('bot');
    expect(userAgentFamily(undefined)).toBe('unknown');
    expect(userAgentFamily('SomethingElse/1.0')).toBe('other');
  });
});
